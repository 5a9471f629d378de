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

// A multipart upload through XMLHttpRequest, the one browser API that reports upload progress:
// onProgress(sent, total) while the body goes out; resolves with the JSON answer.
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    if (apiKey()) xhr.setRequestHeader('Authorization', 'Bearer ' + apiKey());
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
    xhr.onerror = () => reject(new ApiError(0, 'the upload failed: no answer from the server'));
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300 && body) return resolve(body);
      if (xhr.status === 401) askForKey();
      reject(new ApiError(xhr.status, body?.error || xhr.statusText || `HTTP ${xhr.status}`));
    };
    xhr.send(form);
  });
}

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

// 1234567 -> "1.2 M" (decimal prefixes), the number part of a size or a count.
export function formatCount(n) {
  if (!Number.isFinite(n)) return '';
  const prefixes = ['', 'K', 'M', 'G', 'T'];
  let i = 0;
  while (n >= 1000 && i < prefixes.length - 1) { n /= 1000; i++; }
  return `${n.toFixed(i && n < 10 ? 1 : 0)} ${prefixes[i]}`.trimEnd();
}

export function formatBytes(n) {
  const count = formatCount(n);
  return count && (/\d$/.test(count) ? `${count} B` : `${count}B`);
}
