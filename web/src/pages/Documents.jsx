// The documents page: RAG collections (GET /api/rag/collections) and retrieval from one of them
// (POST /api/rag/query), each result numbered with its source (path, page or lines, heading) and
// the chunk's text a click away. The app shows this page only when the server has those routes.
import { useEffect, useState } from 'preact/hooks';
import { formatBytes, getJson } from '../api.js';

function where(r) {
  if (r.page) return `page ${r.page}`;
  if (r.lines) return `lines ${r.lines[0]}–${r.lines[1]}`;
  return '';
}

export function Documents() {
  const [collections, setCollections] = useState(null);
  const [collection, setCollection] = useState('');
  const [query, setQuery] = useState('');
  const [topK, setTopK] = useState(8);
  const [answer, setAnswer] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    getJson('/api/rag/collections').then((r) => {
      setCollections(r.collections);
      setCollection(r.collections[0]?.name || '');
    }, (e) => setError(e.message));
  }, []);

  const search = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      setAnswer(await getJson('/api/rag/query', { method: 'POST', body: { collection, query, top_k: Number(topK) } }));
    } catch (err) { setError(err.message); }
    setBusy(false);
  };

  return (
    <section class="page">
      <h1>Documents</h1>
      {error && <p class="error" role="alert">{error}</p>}
      {!collections ? <p class="muted">Loading…</p> : !collections.length ? <p>No collection yet. Create one with <code>airlock rag create</code>.</p> : (
        <>
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Collection</th><th scope="col">Embedding model</th><th scope="col">Documents</th><th scope="col">Chunks</th><th scope="col">Size</th></tr></thead>
              <tbody>
                {collections.map((c) => (
                  <tr key={c.name}><th scope="row">{c.name}</th><td>{c.embed_model}</td><td>{c.documents}</td><td>{c.chunks}</td><td>{formatBytes(c.size)}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Search</h2>
          <form class="search row" onSubmit={search}>
            <label>Collection{' '}
              <select value={collection} onChange={(e) => setCollection(e.target.value)}>
                {collections.map((c) => <option value={c.name}>{c.name}</option>)}
              </select>
            </label>
            <label class="grow">Query{' '}<input type="search" value={query} onInput={(e) => setQuery(e.target.value)} required /></label>
            <label>Results{' '}<input type="number" min={1} max={100} value={topK} onInput={(e) => setTopK(e.target.value)} /></label>
            <button type="submit" class="primary" disabled={busy || !query.trim()}>Search</button>
          </form>
          {answer && (
            <>
              {answer.warning && <p class="muted">{answer.warning}</p>}
              <ol class="sources" aria-label="Results">
                {answer.results.map((r) => (
                  <li key={r.chunk_id}>
                    <details>
                      <summary>
                        <span class="badge">[{r.number}]</span> <code>{r.path}</code> {where(r)}{r.heading ? ` · ${r.heading}` : ''}
                        <span class="muted"> · score {r.score.toFixed(3)}</span>
                      </summary>
                      <pre class="code chunk">{r.text}</pre>
                    </details>
                  </li>
                ))}
              </ol>
              <p class="muted">{answer.results.length} results in {Math.round(answer.duration_ms)} ms</p>
            </>
          )}
        </>
      )}
    </section>
  );
}
