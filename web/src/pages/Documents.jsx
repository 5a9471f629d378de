// The documents page: RAG collections (/api/rag/collections) — create one with an embedding model
// from the store, upload files into it with progress, list its documents, delete it after
// confirmation — and retrieval from one (POST /api/rag/query). The app shows this page only when
// the server has those routes.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, formatBytes, getJson, upload } from '../api.js';
import { capabilities, isEmbeddingOnly } from '../capabilities.js';
import { Confirm } from '../confirm.jsx';
import { SourceText, where } from '../sources.jsx';

// The store's embedding models, the only ones a collection can use.
async function embeddingModels() {
  const names = (await getJson('/api/tags')).models.map((m) => m.name);
  const caps = await capabilities(names);
  return names.filter((n) => isEmbeddingOnly(caps[n]));
}

function CreateForm({ onCreated }) {
  const [models, setModels] = useState(null);
  const [name, setName] = useState('');
  const [model, setModel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    embeddingModels().then((m) => { setModels(m); setModel(m[0] || ''); }, (e) => setError(e.message));
  }, []);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api('/api/rag/collections', { method: 'POST', body: { name: name.trim(), embed_model: model } });
      setName('');
      onCreated(name.trim());
    } catch (err) { setError(err.message); }
    setBusy(false);
  };
  return (
    <form class="search row" onSubmit={submit} aria-labelledby="create-title">
      <h2 id="create-title" class="full">New collection</h2>
      <label>Name{' '}<input id="collection-name" value={name} onInput={(e) => setName(e.target.value)} required
                               pattern="[A-Za-z0-9][A-Za-z0-9._\-]*" title="letters, digits, dot, dash and underscore" /></label>
      <label>Embedding model{' '}
        <select id="embed-model" value={model} onChange={(e) => setModel(e.target.value)} required>
          {(models || []).map((m) => <option value={m}>{m}</option>)}
        </select>
      </label>
      <button type="submit" class="primary" disabled={busy || !model || !name.trim()}>Create</button>
      {models && !models.length && <p class="muted full">The store has no embedding model; import one (a BERT-family GGUF) first.</p>}
      {error && <p class="error full" role="alert">{error}</p>}
    </form>
  );
}

function DocumentList({ name, epoch }) {
  const [info, setInfo] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => { getJson(`/api/rag/collections/${encodeURIComponent(name)}`).then(setInfo, (e) => setError(e.message)); }, [name, epoch]);
  if (error) return <p class="error">{error}</p>;
  if (!info) return <p class="muted">Loading…</p>;
  if (!info.documents_list.length) return <p class="muted">No document yet.</p>;
  return (
    <ul class="doc-list" aria-label={`Documents in ${name}`}>
      {info.documents_list.map((d) => <li><code>{d.path}</code> <span class="muted">{d.format} · {formatBytes(d.size)} · {d.chunks} chunks</span></li>)}
    </ul>
  );
}

function reportText(r) {
  const parts = [`${r.added} added`, r.updated && `${r.updated} updated`, r.unchanged && `${r.unchanged} unchanged`,
    r.unsupported && `${r.unsupported} unsupported`, `${r.chunks} chunks`];
  return parts.filter(Boolean).join(', ');
}

// Upload state per collection: {sent, total} while the files go out, {indexing} while the server
// embeds them, then {report} or {error}.
function UploadStatus({ state }) {
  if (!state) return null;
  if (state.error) return <p class="error" role="alert">Upload failed: {state.error}</p>;
  if (state.report) {
    const failures = state.report.failures || [];
    return (
      <div role="status">
        <p class={failures.length ? '' : 'ok'}>Uploaded: {reportText(state.report)}.</p>
        {failures.length > 0 && <ul class="error">{failures.map((f) => <li>{typeof f === 'string' ? f : `${f.path}: ${f.reason}`}</li>)}</ul>}
      </div>
    );
  }
  if (state.indexing) return <p role="status">Indexing: reading, chunking and embedding on the server…</p>;
  return (
    <label class="progress">Uploading {formatBytes(state.sent)} of {formatBytes(state.total)}{' '}
      <progress max={state.total} value={state.sent} />
    </label>
  );
}

function Search({ collections }) {
  const [collection, setCollection] = useState(collections[0]?.name || '');
  const [query, setQuery] = useState('');
  const [topK, setTopK] = useState(8);
  const [answer, setAnswer] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
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
    <>
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
      {error && <p class="error" role="alert">{error}</p>}
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
                  <SourceText source={r} />
                </details>
              </li>
            ))}
          </ol>
          <p class="muted">{answer.results.length} results in {Math.round(answer.duration_ms)} ms</p>
        </>
      )}
    </>
  );
}

export function Documents() {
  const [collections, setCollections] = useState(null);
  const [open, setOpen] = useState('');
  const [uploads, setUploads] = useState({});
  const [epoch, setEpoch] = useState(0);  // bumped after an upload: the open document list reloads
  const [confirming, setConfirming] = useState('');
  const [error, setError] = useState('');

  const refresh = () => getJson('/api/rag/collections').then((r) => setCollections(r.collections), (e) => setError(e.message));
  useEffect(() => { refresh(); }, []);

  const setUpload = (name, state) => setUploads((u) => ({ ...u, [name]: state }));
  const send = async (name, input) => {
    const files = [...input.files];
    input.value = '';
    if (!files.length) return;
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    setUpload(name, { sent: 0, total: files.reduce((n, f) => n + f.size, 0) });
    try {
      const report = await upload(`/api/rag/collections/${encodeURIComponent(name)}/documents`, form,
        (sent, total) => setUpload(name, sent < total ? { sent, total } : { indexing: true }));
      setUpload(name, { report });
    } catch (e) { setUpload(name, { error: e.message }); }
    setEpoch((n) => n + 1);
    refresh();
  };
  const remove = async (name) => {
    setConfirming('');
    setError('');
    try { await api(`/api/rag/collections/${encodeURIComponent(name)}`, { method: 'DELETE' }); } catch (e) { setError(e.message); }
    refresh();
  };

  return (
    <section class="page">
      <h1>Documents</h1>
      {error && <p class="error" role="alert">{error}</p>}
      <CreateForm onCreated={(name) => { refresh(); setOpen(name); }} />
      <h2>Collections</h2>
      {!collections ? <p class="muted">Loading…</p> : !collections.length ? <p>No collection yet.</p> : (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Collection</th><th scope="col">Embedding model</th><th scope="col">Documents</th><th scope="col">Chunks</th><th scope="col">Size</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {collections.map((c) => (
                <Fragment key={c.name}>
                  <tr>
                    <th scope="row">{c.name}</th><td>{c.embed_model}</td><td>{c.documents}</td><td>{c.chunks}</td><td>{formatBytes(c.size)}</td>
                    <td class="actions">
                      <button type="button" aria-expanded={open === c.name} aria-label={`Documents of ${c.name}`} onClick={() => setOpen(open === c.name ? '' : c.name)}>Documents</button>
                      <label class="button">Upload files<span class="sr-only"> into {c.name}</span>
                        <input type="file" multiple class="sr-only" disabled={uploads[c.name] && !uploads[c.name].report && !uploads[c.name].error} onChange={(e) => send(c.name, e.target)} />
                      </label>
                      <button type="button" class="danger" aria-label={`Delete collection ${c.name}`} onClick={() => setConfirming(c.name)}>Delete</button>
                    </td>
                  </tr>
                  {(open === c.name || uploads[c.name]) && (
                    <tr><td colSpan={6}>
                      <UploadStatus state={uploads[c.name]} />
                      {open === c.name && <DocumentList name={c.name} epoch={epoch} />}
                    </td></tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {collections?.length > 0 && <Search collections={collections} />}
      {confirming && (
        <Confirm title={`Delete the collection ${confirming}?`} action="Delete"
                 text="Its documents, chunks and index are removed from the server. The original files are not touched. This cannot be undone."
                 onConfirm={() => remove(confirming)} onCancel={() => setConfirming('')} />
      )}
    </section>
  );
}
