// Calls to airlock's API with the session's API key. A 401 asks the app for a key (keyPrompt) and
// the call fails; the key lives in sessionStorage only, so it goes when the tab closes.
const KEY = 'airlock.apiKey';
let askForKey = () => {};

export function onUnauthorized(f) { askForKey = f; }
export function apiKey() { return sessionStorage.getItem(KEY) || ''; }
export function setApiKey(k) { sessionStorage.setItem(KEY, k); }

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = {};
  if (apiKey()) headers.Authorization = 'Bearer ' + apiKey();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.ok) return res;
  let message = res.statusText;
  try { message = (await res.json()).error || message; } catch { /* not JSON */ }
  if (res.status === 401) askForKey();
  throw new ApiError(res.status, typeof message === 'string' ? message : JSON.stringify(message));
}

export async function getJson(path, opts) { return (await api(path, opts)).json(); }

// Newline-delimited JSON as the native API streams it, one object at a time.
export async function* ndjson(res) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line);
    }
  }
  if (buf.trim()) yield JSON.parse(buf);
}

export function formatBytes(n) {
  if (!Number.isFinite(n)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n.toFixed(i && n < 10 ? 1 : 0)} ${units[i]}`;
}
