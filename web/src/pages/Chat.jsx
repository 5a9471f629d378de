// The chat page: conversations (IndexedDB) on the side, the selected one in the middle, its model,
// system prompt, sampling settings and JSON Schema in a settings panel, and the document collection
// it answers from (the `rag` field: the reply then carries numbered sources). Replies stream from
// /api/chat; Stop aborts the request, which the server notices and cancels.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, getJson, ndjson } from '../api.js';
import { capabilities, isEmbeddingOnly } from '../capabilities.js';
import { deleteConversation, listConversations, newConversation, parseExport, saveConversation } from '../store.js';
import { validate } from '../schema.js';
import { Message } from './Message.jsx';
import { Settings } from './Settings.jsx';

function requestMessages(conv, history) {
  const msgs = history.map(({ role, content, tool_calls }) => (tool_calls ? { role, content, tool_calls } : { role, content }));
  return conv.system.trim() ? [{ role: 'system', content: conv.system }, ...msgs] : msgs;
}

// The schema as a `format` value, or an error message.
function parseSchema(text) {
  if (!text.trim()) return { format: undefined };
  try { return { format: JSON.parse(text) }; } catch (e) { return { error: `The JSON Schema is not valid JSON: ${e.message}` }; }
}

function checkAgainstSchema(schema, content) {
  let value;
  try { value = JSON.parse(content); } catch (e) { return { ok: false, errors: [`not JSON: ${e.message}`] }; }
  const errors = validate(schema, value);
  return { ok: errors.length === 0, errors, pretty: JSON.stringify(value, null, 2) };
}

function download(name, text) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

export function Chat() {
  const [convs, setConvs] = useState([]);
  const [conv, setConv] = useState(newConversation());
  const [models, setModels] = useState([]);
  const [collections, setCollections] = useState([]);
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [showSettings, setShowSettings] = useState(false);
  const abort = useRef(null);
  const input = useRef();
  const scroller = useRef();
  // Follow a streaming reply only while the reader is at the bottom: whether they are is read
  // during render, before the new text changes the list's height; scrolling up stops following.
  const follow = useRef(true);
  const el = scroller.current;
  follow.current = !el || el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  const shownId = useRef('');  // a conversation just opened starts at its end
  useEffect(() => {
    if (follow.current || shownId.current !== conv.id) scroller.current.scrollTop = scroller.current.scrollHeight;
    shownId.current = conv.id;
  }, [conv.messages]);
  // The list also shrinks without a new message (the toolbar wraps when the collection picker
  // appears, the settings open): a reader at the end stays there.
  useEffect(() => {
    const list = scroller.current;
    const observer = new ResizeObserver(() => { if (follow.current) list.scrollTop = list.scrollHeight; });
    observer.observe(list);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    listConversations().then(setConvs).catch((e) => setError(`Conversations are not stored: ${e.message}`));
    // Every model at once, then without the embedding models, which cannot chat.
    getJson('/api/tags').then(async (r) => {
      const names = r.models.map((m) => m.name);
      setModels(names);
      const caps = await capabilities(names);
      setModels(names.filter((n) => !isEmbeddingOnly(caps[n])));
    }).catch((e) => setError(e.message));
    // A server without the RAG routes (or a key that may not list them) offers no collection.
    getJson('/api/rag/collections').then((r) => setCollections(r.collections.map((c) => c.name)), () => setCollections([]));
    return () => abort.current?.abort();
  }, []);
  const model = conv.model && models.includes(conv.model) ? conv.model : models[0] || '';
  const collection = conv.collection && collections.includes(conv.collection) ? conv.collection : '';

  const persist = async (c) => {
    if (!c.messages.length) return;
    await saveConversation(c);
    setConvs(await listConversations());
  };
  const update = (patch) => setConv((c) => ({ ...c, ...patch }));

  // Sends `history` (ending with a user message) and streams the reply into a new assistant message.
  async function run(history) {
    const { format, error: schemaError } = parseSchema(conv.schema);
    if (schemaError) { setError(schemaError); return; }
    setError('');
    const title = conv.title === 'New chat' ? history.find((m) => m.role === 'user')?.content.slice(0, 60) || conv.title : conv.title;
    let reply = { role: 'assistant', content: '' };
    let current = { ...conv, model, title, messages: [...history, reply], updated: Date.now() };
    setConv(current);
    setBusy(true);
    const controller = new AbortController();
    abort.current = controller;
    // Tokens can arrive faster than the screen refreshes: render at most once per frame, so that a
    // long reply does not keep the page busy re-rendering (and Stop stays responsive).
    let frame = 0;
    const show = (patch) => {
      reply = { ...reply, ...patch };
      current = { ...current, messages: [...history, reply] };
      frame ||= requestAnimationFrame(() => { frame = 0; setConv(current); });
    };
    try {
      const res = await api('/api/chat', {
        method: 'POST',
        signal: controller.signal,
        body: { model, messages: requestMessages(current, history), stream: true, options: current.options, format,
                ...(collection ? { rag: { collection } } : {}) },
      });
      for await (const part of ndjson(res)) {
        if (part.error) throw new Error(part.error);
        const m = part.message || {};
        show({ content: reply.content + (m.content || ''), ...(m.tool_calls ? { tool_calls: m.tool_calls } : {}) });
        if (part.done) {
          const stats = { tokens: part.eval_count, seconds: part.eval_duration / 1e9, reason: part.done_reason };
          show({ stats, ...(format ? { check: checkAgainstSchema(format, reply.content) } : {}),
                 ...(part.sources ? { sources: part.sources } : {}) });
        }
      }
    } catch (e) {
      if (e.name === 'AbortError') show({ stopped: true });
      else { show({ failed: e.message }); setError(e.message); }
    } finally {
      cancelAnimationFrame(frame);
      setConv(current);
      abort.current = null;
      setBusy(false);
      await persist(current).catch((e) => setError(e.message));
      input.current?.focus();
    }
  }

  const send = (e) => {
    e.preventDefault();
    if (!draft.trim() || busy || !model) return;
    const history = [...conv.messages, { role: 'user', content: draft }];
    setDraft('');
    run(history);
  };
  const regenerate = () => {
    const lastUser = conv.messages.map((m) => m.role).lastIndexOf('user');
    if (lastUser >= 0) run(conv.messages.slice(0, lastUser + 1));
  };
  const editAndResend = (index, content) => run([...conv.messages.slice(0, index), { role: 'user', content }]);

  const open = (c) => {
    if (busy) return;
    setConv(c);
    setError('');
  };
  const remove = async (c) => {
    if (!confirm(`Delete the conversation "${c.title}"?`)) return;
    await deleteConversation(c.id);
    setConvs(await listConversations());
    if (c.id === conv.id) setConv(newConversation(model));
  };
  const exportAll = () => download('airlock-conversations.json', JSON.stringify({ airlock_conversations: 1, conversations: convs }, null, 2));
  const importFile = async (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    try {
      for (const c of parseExport(await file.text())) await saveConversation(c);
      setConvs(await listConversations());
    } catch (err) { setError(`Import failed: ${err.message}`); }
  };

  const last = conv.messages[conv.messages.length - 1];
  return (
    <div class="chat">
      <aside class="sidebar" aria-label="Conversations">
        <button type="button" class="primary wide" onClick={() => !busy && setConv(newConversation(model))}>New chat</button>
        <ul class="conv-list">
          {convs.map((c) => (
            <li key={c.id} class={c.id === conv.id ? 'active' : ''}>
              <button type="button" class="link" aria-current={c.id === conv.id ? 'true' : undefined} onClick={() => open(c)}>{c.title}</button>
              <button type="button" class="icon" aria-label={`Delete conversation ${c.title}`} onClick={() => remove(c)}>×</button>
            </li>
          ))}
        </ul>
        <div class="row">
          <button type="button" onClick={exportAll} disabled={!convs.length}>Export</button>
          <label class="button">Import<input type="file" accept="application/json,.json" class="sr-only" onChange={importFile} /></label>
        </div>
      </aside>
      <section class="conversation" aria-label="Conversation">
        <div class="toolbar">
          <label>
            Model{' '}
            <select id="model" value={model} onChange={(e) => update({ model: e.target.value })} disabled={busy}>
              {models.map((m) => <option value={m}>{m}</option>)}
            </select>
          </label>
          {collections.length > 0 && (
            <label>
              Documents{' '}
              <select id="collection" value={collection} onChange={(e) => update({ collection: e.target.value })} disabled={busy}>
                <option value="">None</option>
                {collections.map((c) => <option value={c}>{c}</option>)}
              </select>
            </label>
          )}
          <button type="button" aria-expanded={showSettings} aria-controls="settings" onClick={() => setShowSettings(!showSettings)}>Settings</button>
          {conv.schema.trim() && <span class="badge">JSON Schema on</span>}
        </div>
        {showSettings && <Settings conv={conv} update={update} />}
        <div class="scroller" ref={scroller}>
          <ol class="messages" aria-live="polite" aria-busy={busy}>
            {conv.messages.map((m, i) => (
              <Message key={i} message={m} streaming={busy && m === last && m.role === 'assistant'}
                       canRegenerate={!busy && m === last && m.role === 'assistant'} onRegenerate={regenerate}
                       onEdit={m.role === 'user' && !busy ? (text) => editAndResend(i, text) : null} />
            ))}
          </ol>
          {error && <p class="error" role="alert">{error}</p>}
        </div>
        <form class="composer" onSubmit={send}>
          <label for="prompt" class="sr-only">Message</label>
          <textarea id="prompt" ref={input} rows={3} value={draft} placeholder={model ? `Message ${model} (Enter sends, Shift+Enter adds a line)` : 'No model available'}
                    onInput={(e) => setDraft(e.target.value)}
                    onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) send(e); }} />
          {busy
            ? <button key="stop" type="button" class="danger" onClick={() => abort.current?.abort()}>Stop</button>
            : <button key="send" type="submit" class="primary" disabled={!draft.trim() || !model}>Send</button>}
        </form>
      </section>
    </div>
  );
}
