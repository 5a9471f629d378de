// A model's versions (POST /api/history, newest first): when each came, from where, its bundle
// signature, and a rollback to any earlier one (POST /api/rollback, after confirmation).
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Confirm } from '../confirm.jsx';

// state -> [label, badge class, what it means when no key names it]
const SIGNATURES = {
  trusted: ['Signed, trusted key', 'ok'],
  untrusted: ['Signed by an untrusted key', 'warn'],
  unsigned: ['Unsigned bundle', 'warn', 'imported from a bundle without a signature'],
  none: ['Local import', '', 'imported or created on this machine, not from a bundle'],
  unknown: ['Not recorded', '', 'imported before airlock recorded signatures'],
};

export function SignatureBadge({ signature }) {
  if (!signature) return null;
  const [label, cls, meaning] = SIGNATURES[signature.state] || SIGNATURES.unknown;
  return <span class={`badge ${cls}`} title={signature.key_id ? `key ${signature.key_id}` : meaning}>{label}{signature.key_id ? ` ${signature.key_id.slice(0, 8)}` : ''}</span>;
}

const short = (digest) => digest.replace(/^sha256:/, '').slice(0, 12);

export function Versions({ name, history, onChanged }) {
  const [asking, setAsking] = useState(null);
  const [error, setError] = useState('');
  if (!history) return <p class="muted">Loading versions…</p>;
  const rollback = async (digest) => {
    setAsking(null);
    setError('');
    try {
      await api('/api/rollback', { method: 'POST', body: { model: name, to: digest } });
    } catch (e) { setError(e.message); }
    onChanged();
  };
  const seen = new Set();
  return (
    <div class="versions">
      <h3>Versions</h3>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Version</th><th scope="col">Change</th><th scope="col">Source</th><th scope="col">Signature</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {history.versions.map((v) => {
              // One rollback button per version, on its newest row.
              const offer = v.action === 'set' && !v.current && v.digest !== history.current && !seen.has(v.digest);
              seen.add(v.digest);
              return (
                <tr class={v.current ? 'current' : ''}>
                  <td>{v.time.slice(0, 19).replace('T', ' ')}</td>
                  <td><code title={v.digest}>{short(v.digest)}</code>{v.current && <span class="badge ok">current</span>}</td>
                  <td>{v.action === 'set' ? 'set' : 'removed'}</td>
                  <td class="source">{v.source}</td>
                  <td><SignatureBadge signature={v.signature} /></td>
                  <td>{offer && <button type="button" aria-label={`Roll back ${name} to ${short(v.digest)}`} onClick={() => setAsking(v.digest)}>Roll back</button>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {asking && (
        <Confirm title={`Roll back ${name}?`} action="Roll back"
                 text={`${name} will point at version ${short(asking)} again; new requests run that version. The current version stays in the history and can be restored the same way.`}
                 onConfirm={() => rollback(asking)} onCancel={() => setAsking(null)} />
      )}
    </div>
  );
}
