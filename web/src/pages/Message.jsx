// One chat message: user text, or the assistant's reply with its <think> blocks collapsed, Markdown,
// tool calls, the structured-output check, the sources of a documents answer (citations [n] open
// their chunk) and speed; plus edit (user) and regenerate (last reply).
import { useState } from 'preact/hooks';
import { CodeBlock, Markdown } from '../markdown.jsx';
import { SourceDialog, SourceList } from '../sources.jsx';

// Splits "<think>…</think>" sections out of a reply; the last one may still be open while streaming.
export function splitThinking(text) {
  const parts = [];
  let rest = text;
  for (;;) {
    const start = rest.indexOf('<think>');
    if (start < 0) { parts.push({ text: rest }); break; }
    parts.push({ text: rest.slice(0, start) });
    const stop = rest.indexOf('</think>', start);
    if (stop < 0) { parts.push({ think: true, open: true, text: rest.slice(start + 7) }); break; }
    parts.push({ think: true, text: rest.slice(start + 7, stop) });
    rest = rest.slice(stop + 8);
  }
  return parts.filter((p) => p.think || p.text.trim());
}

function Reply({ message, streaming, cite }) {
  if (message.check) {
    return (
      <div class="structured">
        <p class={message.check.ok ? 'ok' : 'error'} role="status">
          {message.check.ok ? 'Valid JSON: matches the schema' : 'Does not match the schema'}
        </p>
        {message.check.ok ? <CodeBlock code={message.check.pretty} lang="json" /> : (
          <>
            <ul>{message.check.errors.map((e) => <li>{e}</li>)}</ul>
            <CodeBlock code={message.content} lang="json" />
          </>
        )}
      </div>
    );
  }
  return (
    <>
      {splitThinking(message.content).map((p) => (p.think ? (
        <details class="think">
          <summary>{p.open && streaming ? 'Thinking…' : 'Thought'}</summary>
          <Markdown text={p.text} />
        </details>
      ) : <Markdown text={p.text} cite={cite} />))}
      {streaming && !message.content && <p class="muted">Waiting for the model…</p>}
    </>
  );
}

function ToolCalls({ calls }) {
  return calls.map((c) => (
    <div class="tool-call">
      <p>Tool call: <code>{c.function?.name}</code></p>
      <CodeBlock code={JSON.stringify(c.function?.arguments ?? {}, null, 2)} lang="json" />
    </div>
  ));
}

export function Message({ message, streaming, canRegenerate, onRegenerate, onEdit }) {
  const [editing, setEditing] = useState(null);
  const [source, setSource] = useState(null);
  const user = message.role === 'user';
  const s = message.stats;
  const byNumber = new Map((message.sources || []).map((x) => [x.number, x]));
  const cite = byNumber.size ? (n) => byNumber.has(n) && (
    <button type="button" class="cite" aria-label={`Source ${n}`} onClick={() => setSource(byNumber.get(n))}>[{n}]</button>
  ) : undefined;
  return (
    <li class={`msg ${message.role}`} aria-label={user ? 'You' : 'Assistant'}>
      <div class="who" aria-hidden="true">{user ? 'You' : 'Assistant'}</div>
      {editing !== null ? (
        <form class="edit" onSubmit={(e) => { e.preventDefault(); setEditing(null); onEdit(editing); }}>
          <label class="sr-only" for="edit-text">Edit message</label>
          <textarea id="edit-text" rows={3} value={editing} onInput={(e) => setEditing(e.target.value)} autofocus />
          <div class="row">
            <button type="submit" class="primary">Save and send</button>
            <button type="button" onClick={() => setEditing(null)}>Cancel</button>
          </div>
        </form>
      ) : user ? <p class="user-text">{message.content}</p> : <Reply message={message} streaming={streaming} cite={cite} />}
      {message.tool_calls && <ToolCalls calls={message.tool_calls} />}
      <SourceList sources={message.sources} onOpen={setSource} />
      {source && <SourceDialog source={source} onClose={() => setSource(null)} />}
      {message.stopped && <p class="muted">Stopped.</p>}
      {message.failed && <p class="error">Failed: {message.failed}</p>}
      <div class="meta">
        {s && s.tokens > 0 && <span>{s.tokens} tokens · {(s.tokens / s.seconds).toFixed(1)} tokens/s</span>}
        {onEdit && editing === null && <button type="button" class="link" onClick={() => setEditing(message.content)}>Edit</button>}
        {canRegenerate && <button type="button" class="link" onClick={onRegenerate}>Regenerate</button>}
      </div>
    </li>
  );
}
