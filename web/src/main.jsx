// The app shell: navigation between the pages (location hash, so the server needs only "/"), the
// light/dark theme, and the API-key dialog shown when the server answers 401.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, onUnauthorized, setApiKey } from './api.js';
import { Chat } from './pages/Chat.jsx';
import { Documents } from './pages/Documents.jsx';
import { Models } from './pages/Models.jsx';
import { Status } from './pages/Status.jsx';
import './style.css';

const PAGES = { chat: ['Chat', Chat], documents: ['Documents', Documents], models: ['Models', Models], status: ['Status', Status] };

function currentPage(hash, hidden) {
  const p = hash.replace(/^#\/?/, '');
  return PAGES[p] && !hidden.includes(p) ? p : 'chat';
}

// Documents needs the RAG routes, which a server may not have: the page is hidden while
// /api/rag/collections answers 404 (or anything but success).
function useHiddenPages(keyEpoch) {
  const [hidden, setHidden] = useState(['documents']);
  useEffect(() => {
    api('/api/rag/collections').then(() => setHidden([]), () => setHidden(['documents']));
  }, [keyEpoch]);
  return hidden;
}

function useTheme() {
  const [theme, setTheme] = useState(localStorage.getItem('airlock.theme') || 'system');
  useEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem('airlock.theme', theme);
  }, [theme]);
  return [theme, setTheme];
}

function KeyDialog({ onDone }) {
  const ref = useRef();
  const [key, setKey] = useState('');
  useEffect(() => { ref.current.showModal(); }, []);
  const submit = (e) => {
    e.preventDefault();
    setApiKey(key.trim());
    ref.current.close();
    onDone();
  };
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="key-title" onCancel={(e) => e.preventDefault()}>
      <form onSubmit={submit}>
        <h2 id="key-title">API key needed</h2>
        <p>This airlock server asks for an API key. It is kept in this tab only (session storage) and sent with each request.</p>
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="off" value={key} onInput={(e) => setKey(e.target.value)} required autofocus />
        <div class="row end"><button type="submit" class="primary">Use key</button></div>
      </form>
    </dialog>
  );
}

function App() {
  const [theme, setTheme] = useTheme();
  const [needKey, setNeedKey] = useState(false);
  // Bumped when a key is entered, so that pages fetch again with it.
  const [keyEpoch, setKeyEpoch] = useState(0);
  const hidden = useHiddenPages(keyEpoch);
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    onUnauthorized(() => setNeedKey(true));
    const f = () => setHash(location.hash);
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  const page = currentPage(hash, hidden);
  useEffect(() => { document.title = `${PAGES[page][0]} · airlock`; }, [page]);
  const Page = PAGES[page][1];
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>Skip to content</a>
      <header class="top">
        <span class="brand" aria-hidden="true">airlock</span>
        <nav aria-label="Pages">
          {Object.entries(PAGES).filter(([id]) => !hidden.includes(id)).map(([id, [label]]) => (
            <a href={`#/${id}`} aria-current={page === id ? 'page' : undefined}>{label}</a>
          ))}
        </nav>
        <label class="theme">
          <span class="sr-only">Theme</span>
          <select value={theme} onChange={(e) => setTheme(e.target.value)}>
            <option value="system">System theme</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
      </header>
      <main id="main" tabIndex={-1}>
        <Page key={`${page}-${keyEpoch}`} />
      </main>
      {needKey && <KeyDialog onDone={() => { setNeedKey(false); setKeyEpoch((n) => n + 1); }} />}
    </>
  );
}

render(<App />, document.getElementById('app'));
