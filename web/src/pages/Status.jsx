// The status page: the server's compliance settings and per-model slots (/api/status), models in
// memory (/api/ps) and the counters of /metrics, polled every 2 s while the page is open.
import { useEffect, useState } from 'preact/hooks';
import { api, formatBytes, getJson } from '../api.js';

// Prometheus text format: "name{labels} value" lines; labelled series are summed per name.
export function parseMetrics(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/);
    if (m && !line.startsWith('#')) out[m[1]] = (out[m[1]] || 0) + Number(m[3]);
  }
  return out;
}

const onOff = (on) => <span class={`badge ${on ? 'ok' : ''}`}>{on ? 'on' : 'off'}</span>;

// What the trail keeps, in words: the content mode and whether requests wait on it.
function auditDetails(a) {
  const content = { full: 'full prompts and answers', hash: 'hashes of prompts and answers', none: 'no prompt or answer content' }[a.content] || a.content;
  return [`keeps ${content}`, a.required && 'requests refused while it cannot be written', a.signed && 'segments signed'].filter(Boolean).join(', ');
}

function Settings({ s }) {
  const rows = [
    ['Audit trail', <>{onOff(s.audit.enabled)} {s.audit.enabled && auditDetails(s.audit)}</>],
    ['Egress lock-down', onOff(s.lockdown)],
    ['TLS (HTTPS)', onOff(s.tls)],
    ['Read-only store', onOff(s.read_only)],
    ['API keys required', onOff(s.keys_required)],
    ['Slots per model', s.num_parallel],
  ];
  return (
    <dl class="settings-list" aria-label="Server settings">
      {rows.map(([k, v]) => <div><dt>{k}</dt><dd>{v}</dd></div>)}
    </dl>
  );
}

export function Status() {
  const [metrics, setMetrics] = useState(null);
  const [ps, setPs] = useState([]);
  const [status, setStatus] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const [text, p, s] = await Promise.all([api('/metrics').then((r) => r.text()), getJson('/api/ps'), getJson('/api/status')]);
        if (stopped) return;
        setMetrics(parseMetrics(text));
        setPs(p.models);
        setStatus(s);
        setError('');
      } catch (e) { if (!stopped) setError(e.message); }
    };
    poll();
    const t = setInterval(poll, 2000);
    return () => { stopped = true; clearInterval(t); };
  }, []);
  const g = (k) => (metrics ? metrics[k] ?? 0 : '…');
  const slots = status?.models.filter((m) => !m.embedding) || [];
  const cards = [
    ['Models in memory', g('airlock_loaded_models')],
    ['Slots busy', status ? `${slots.reduce((n, m) => n + m.busy, 0)} / ${slots.reduce((n, m) => n + m.slots, 0)}` : '…'],
    ['Requests waiting', status ? slots.reduce((n, m) => n + m.queued, 0) : '…'],
    ['Tokens/s (per stream)', metrics ? Number(g('airlock_tokens_per_second')).toFixed(1) : '…'],
    ['Tokens generated', g('airlock_generated_tokens_total')],
    ['Prompt tokens', g('airlock_prompt_tokens_total')],
    ['Requests answered', g('airlock_requests_total')],
    ['Generations cancelled', g('airlock_cancelled_requests_total')],
  ];
  const slotsOf = (name) => status?.models.find((m) => m.name === name);
  return (
    <section class="page">
      <h1>Status</h1>
      {error && <p class="error" role="alert">{error}</p>}
      <p class="muted">airlock {status?.version}</p>
      <dl class="cards">
        {cards.map(([k, v]) => <div class="card"><dt>{k}</dt><dd>{v}</dd></div>)}
      </dl>
      <h2>Server</h2>
      {status ? <Settings s={status} /> : <p class="muted">Loading…</p>}
      <h2>Loaded models</h2>
      {!ps.length ? <p class="muted">None.</p> : (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Memory</th><th scope="col">Context</th><th scope="col">Slots busy</th><th scope="col">Waiting</th><th scope="col">Unloads at</th></tr></thead>
            <tbody>
              {ps.map((m) => {
                const s = slotsOf(m.name);
                return (
                  <tr><th scope="row">{m.name}</th><td>{formatBytes(m.size)}</td><td>{m.context_length}</td>
                    <td>{s && !s.embedding ? `${s.busy} / ${s.slots}` : '–'}</td><td>{s && !s.embedding ? s.queued : '–'}</td>
                    <td>{m.expires_at && !m.expires_at.startsWith('0001') ? new Date(m.expires_at).toLocaleTimeString() : 'never'}</td></tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
