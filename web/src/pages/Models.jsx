// The models page: what the store holds (/api/tags) and what is in memory (/api/ps); each model's
// bundle signature and versions (/api/history), details from /api/show; load (a generate with no
// prompt), unload (keep_alive 0), rollback and delete, the last two after confirmation.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, formatBytes, formatCount, getJson } from '../api.js';
import { Confirm } from '../confirm.jsx';
import { SignatureBadge, Versions } from './Versions.jsx';

function Details({ name }) {
  const [info, setInfo] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => { getJson('/api/show', { method: 'POST', body: { model: name } }).then(setInfo, (e) => setError(e.message)); }, [name]);
  if (error) return <p class="error">{error}</p>;
  if (!info) return <p class="muted">Loading…</p>;
  const rows = [['Parameters', info.parameters], ['Template', info.template], ['System prompt', info.system],
    ['License', [].concat(info.license || []).join('\n\n')], ['Modelfile', info.modelfile]];
  return (
    <div class="details">
      <p class="muted">{(info.capabilities || []).join(', ')}{info.model_info?.['general.parameter_count'] ? ` · ${formatCount(info.model_info['general.parameter_count'])} parameters` : ''}</p>
      {rows.filter(([, v]) => v).map(([k, v]) => (
        <details>
          <summary>{k}</summary>
          <pre class="code">{v}</pre>
        </details>
      ))}
    </div>
  );
}

export function Models() {
  const [models, setModels] = useState(null);
  const [loaded, setLoaded] = useState(new Set());
  const [histories, setHistories] = useState({});
  const [open, setOpen] = useState('');
  const [pending, setPending] = useState({});
  const [confirming, setConfirming] = useState('');
  const [error, setError] = useState('');
  const [note, setNote] = useState('');

  const refresh = async () => {
    try {
      const [tags, ps] = await Promise.all([getJson('/api/tags'), getJson('/api/ps')]);
      setModels(tags.models);
      setLoaded(new Set(ps.models.map((m) => m.name)));
      // Versions and signatures after the list: the table shows first.
      const entries = await Promise.all(tags.models.map((m) => getJson('/api/history', { method: 'POST', body: { model: m.name } })
        .then((h) => [m.name, h], () => [m.name, null])));
      setHistories(Object.fromEntries(entries));
    } catch (e) { setError(e.message); }
  };
  useEffect(() => { refresh(); }, []);

  const act = async (name, label, f) => {
    setPending((p) => ({ ...p, [name]: label }));
    setError('');
    try {
      await f();
      setNote(`${name}: ${label.toLowerCase().replace('…', '')} done`);
    } catch (e) { setError(`${name}: ${e.message}`); }
    setPending((p) => ({ ...p, [name]: undefined }));
    refresh();
  };
  const load = (name) => act(name, 'Loading…', () => api('/api/generate', { method: 'POST', body: { model: name, prompt: '', stream: false } }));
  const unload = (name) => act(name, 'Unloading…', () => api('/api/generate', { method: 'POST', body: { model: name, keep_alive: 0, stream: false } }));
  const remove = (name) => {
    setConfirming('');
    act(name, 'Deleting…', () => api('/api/delete', { method: 'DELETE', body: { model: name } }));
  };
  const versionCount = (h) => new Set(h.versions.filter((v) => v.action === 'set').map((v) => v.digest)).size;

  return (
    <section class="page">
      <h1>Models</h1>
      {error && <p class="error" role="alert">{error}</p>}
      <p class="sr-only" role="status">{note}</p>
      {!models ? <p class="muted">Loading…</p> : !models.length ? <p>The store holds no model. Import one with <code>airlock import</code> or a bundle with <code>airlock bundle import</code>.</p> : (
        <div class="table-wrap">
          <table class="models">
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Size</th><th scope="col">Quantisation</th><th scope="col">Family</th><th scope="col">Digest</th>
                <th scope="col">Signature</th><th scope="col">Versions</th><th scope="col">State</th><th scope="col"><span class="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {models.map((m) => {
                const h = histories[m.name];
                return (
                  <Fragment key={m.name}>
                    <tr>
                      <th scope="row">{m.name}</th>
                      <td>{formatBytes(m.size)}</td>
                      <td>{m.details?.quantization_level}</td>
                      <td>{m.details?.family} {m.details?.parameter_size}</td>
                      <td><code title={m.digest}>{m.digest.slice(0, 12)}</code></td>
                      <td>{h ? <SignatureBadge signature={h.signature} /> : ''}</td>
                      <td>{h ? versionCount(h) : ''}</td>
                      <td>{pending[m.name] || (loaded.has(m.name) ? <span class="badge ok">loaded</span> : 'on disk')}</td>
                      <td class="actions">
                        <button type="button" aria-expanded={open === m.name} aria-label={`Details of ${m.name}`} onClick={() => setOpen(open === m.name ? '' : m.name)}>Details</button>
                        {loaded.has(m.name)
                          ? <button type="button" disabled={!!pending[m.name]} aria-label={`Unload ${m.name}`} onClick={() => unload(m.name)}>Unload</button>
                          : <button type="button" disabled={!!pending[m.name]} aria-label={`Load ${m.name}`} onClick={() => load(m.name)}>Load</button>}
                        <button type="button" class="danger" disabled={!!pending[m.name]} aria-label={`Delete ${m.name}`} onClick={() => setConfirming(m.name)}>Delete</button>
                      </td>
                    </tr>
                    {open === m.name && (
                      <tr><td colSpan={9}>
                        <Details name={m.name} />
                        <Versions name={m.name} history={h} onChanged={refresh} />
                      </td></tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {confirming && (
        <Confirm title={`Delete ${confirming}?`} action="Delete"
                 text="The model is removed from the store; its files are freed once no other model uses them. This cannot be undone."
                 onConfirm={() => remove(confirming)} onCancel={() => setConfirming('')} />
      )}
    </section>
  );
}
