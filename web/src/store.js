// Conversations in the browser's IndexedDB (database "airlock", store "conversations"), so they stay
// on this machine and survive a reload; nothing is sent to the server but the chat requests.
let dbPromise;

function db() {
  dbPromise ||= new Promise((resolve, reject) => {
    const req = indexedDB.open('airlock', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('conversations', { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return dbPromise;
}

async function run(mode, f) {
  const tx = (await db()).transaction('conversations', mode);
  const req = f(tx.objectStore('conversations'));
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(req?.result);
    tx.onerror = () => reject(tx.error);
  });
}

export async function listConversations() {
  const all = await run('readonly', (s) => s.getAll());
  return all.sort((a, b) => b.updated - a.updated);
}
export const saveConversation = (c) => run('readwrite', (s) => s.put(c));
export const deleteConversation = (id) => run('readwrite', (s) => s.delete(id));

export function newConversation(model = '') {
  return { id: newId(), title: 'New chat', model, collection: '', system: '', options: {}, schema: '', messages: [], updated: Date.now() };
}

// An import file is what export wrote: {"airlock_conversations": 1, "conversations": [...]}.
export function parseExport(text) {
  const data = JSON.parse(text);
  const list = Array.isArray(data) ? data : data.conversations;
  if (!Array.isArray(list)) throw new Error('not an airlock conversation export');
  return list.filter((c) => c && typeof c.id === 'string' && Array.isArray(c.messages));
}

// crypto.randomUUID exists only in secure contexts; a page served over plain http on a LAN address is not one.
function newId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}
