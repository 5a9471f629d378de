// The sources of a retrieval-augmented answer (the `sources` of /api/chat with `rag`, the results
// of /api/rag/query): where a chunk is, its text, and the dialog a citation [n] opens.
import { useEffect, useRef } from 'preact/hooks';

export function where(s) {
  if (s.page) return `page ${s.page}`;
  if (s.lines) return `lines ${s.lines[0]}–${s.lines[1]}`;
  return '';
}

export function SourceText({ source }) {
  return <pre class="code chunk">{source.text}</pre>;
}

export function SourceDialog({ source, onClose }) {
  const ref = useRef();
  useEffect(() => { ref.current.showModal(); }, []);
  return (
    <dialog ref={ref} class="dialog wide" aria-labelledby="source-title" onClose={onClose}>
      <h2 id="source-title">Source [{source.number}]</h2>
      <p><code class="path">{source.path}</code>{where(source) && ` · ${where(source)}`}{source.heading ? ` · ${source.heading}` : ''}</p>
      {source.collection && <p class="muted">Collection {source.collection}{Number.isFinite(source.similarity) ? ` · similarity ${source.similarity.toFixed(3)}` : ''}</p>}
      <SourceText source={source} />
      <div class="row end"><button type="button" autofocus onClick={() => ref.current.close()}>Close</button></div>
    </dialog>
  );
}

// The list under an answer: every source the server returned (those the answer cited, when it
// cited any), each a button that opens its chunk.
export function SourceList({ sources, onOpen }) {
  if (!sources?.length) return null;
  return (
    <div class="answer-sources">
      <p class="muted">Sources</p>
      <ol class="source-buttons">
        {sources.map((s) => (
          <li>
            <button type="button" class="link" aria-label={`Source ${s.number}: ${s.path}${where(s) ? ', ' + where(s) : ''}`} onClick={() => onOpen(s)}>
              [{s.number}] <code>{s.path}</code>{where(s) && ` · ${where(s)}`}
            </button>
          </li>
        ))}
      </ol>
    </div>
  );
}
