// The status page: server version, models in memory (/api/ps) and the counters of /metrics, polled
// every 2 s while the page is open.
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

export function Status() {
  const [metrics, setMetrics] = useState(null);
  const [ps, setPs] = useState([]);
  const [version, setVersion] = useState('');
  const [error, setError] = useState('');
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const [text, p, v] = await Promise.all([api('/metrics').then((r) => r.text()), getJson('/api/ps'), getJson('/api/version')]);
        if (stopped) return;
        setMetrics(parseMetrics(text));
        setPs(p.models);
        setVersion(v.version);
        setError('');
      } catch (e) { if (!stopped) setError(e.message); }
    };
    poll();
    const t = setInterval(poll, 2000);
    return () => { stopped = true; clearInterval(t); };
  }, []);
  const g = (k) => (metrics ? metrics[k] ?? 0 : '…');
  const cards = [
    ['Models in memory', g('airlock_loaded_models')],
    ['Requests queued or running', g('airlock_queue_depth')],
    ['Tokens/s (per stream)', metrics ? Number(g('airlock_tokens_per_second')).toFixed(1) : '…'],
    ['Tokens generated', g('airlock_generated_tokens_total')],
    ['Prompt tokens', g('airlock_prompt_tokens_total')],
    ['Requests answered', g('airlock_requests_total')],
    ['Generations cancelled', g('airlock_cancelled_requests_total')],
  ];
  return (
    <section class="page">
      <h1>Status</h1>
      {error && <p class="error" role="alert">{error}</p>}
      <p class="muted">airlock {version}</p>
      <dl class="cards">
        {cards.map(([k, v]) => <div class="card"><dt>{k}</dt><dd>{v}</dd></div>)}
      </dl>
      <h2>Loaded models</h2>
      {!ps.length ? <p class="muted">None.</p> : (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Memory</th><th scope="col">Context</th><th scope="col">Unloads at</th></tr></thead>
            <tbody>
              {ps.map((m) => (
                <tr><th scope="row">{m.name}</th><td>{formatBytes(m.size)}</td><td>{m.context_length}</td>
                  <td>{m.expires_at && !m.expires_at.startsWith('0001') ? new Date(m.expires_at).toLocaleTimeString() : 'never'}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
