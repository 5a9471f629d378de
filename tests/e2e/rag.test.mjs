// Retrieval-augmented chat through the official ollama and openai clients: a collection made and
// filled over HTTP (a server-side folder under rag_root, and an upload), then the one extra `rag`
// field on ollama.chat and openai.chat.completions.create, whole and streamed; the answer carries
// the sources (path, lines, chunk text) the clients pass through untouched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { startServer } from './server.mjs';

let server, ollama, openai, docs;

async function api(method, path, body, type = 'application/json') {
  const res = await fetch(server.url + path, { method, body, headers: { 'Content-Type': type } });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  docs = realpathSync(mkdtempSync(join(tmpdir(), 'airlock-e2e-docs-')));
  mkdirSync(join(docs, 'sop'));
  writeFileSync(join(docs, 'sop', 'pump.md'),
    '# Coolant pump\n\nThe coolant pump must be inspected every 400 operating hours. Replace the impeller seal when ' +
    'the drip rate exceeds three drops per minute.\n');
  server = await startServer([['qwen2-gpt2-q4_k_m.gguf', 'qwen'], ['bert-bge-f16.gguf', 'bge']], { AIRLOCK_RAG_ROOT: docs });
  ollama = new Ollama({ host: server.url });
  openai = new OpenAI({ baseURL: server.url + '/v1', apiKey: 'unused', maxRetries: 0 });
  const made = await api('POST', '/api/rag/collections',
    JSON.stringify({ name: 'plant', embed_model: 'bge', chunk_tokens: 64, overlap_tokens: 8 }));
  assert.equal(made.status, 200, JSON.stringify(made.body));
  const ingested = await api('POST', '/api/rag/collections/plant/ingest', JSON.stringify({ paths: ['sop'] }));
  assert.equal(ingested.status, 200, JSON.stringify(ingested.body));
  assert.equal(ingested.body.added, 1);
  const uploaded = await api('POST', '/api/rag/collections/plant/documents?path=badge.txt',
    'Visitors receive a yellow badge at the north gate and are escorted at all times.\n', 'text/plain');
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
  assert.equal(uploaded.body.added, 1);
});
after(async () => {
  await server?.stop();
  if (docs) rmSync(docs, { recursive: true, force: true });
});

const rag = { collection: 'plant', top_k: 2 };
const options = { temperature: 0, num_predict: 8 };
const pump = () => join(docs, 'sop', 'pump.md');

function checkSources(sources, path) {
  assert.ok(Array.isArray(sources) && sources.length > 0, JSON.stringify(sources));
  const hit = sources.find((s) => s.path === path);
  assert.ok(hit, `${path} not among ${JSON.stringify(sources.map((s) => s.path))}`);
  assert.equal(typeof hit.text, 'string');
  assert.ok(hit.text.length > 0);
  assert.equal(typeof hit.number, 'number');
}

test('ollama: chat with the rag field, whole and streamed', async () => {
  const messages = [{ role: 'user', content: 'How often is the coolant pump inspected?' }];
  const whole = await ollama.chat({ model: 'qwen', messages, options, rag });
  assert.equal(whole.done, true);
  checkSources(whole.sources, pump());
  assert.ok(Array.isArray(whole.sources[0].lines));
  const plain = await ollama.chat({ model: 'qwen', messages, options });
  assert.equal(plain.sources, undefined);
  assert.ok(whole.prompt_eval_count > plain.prompt_eval_count + 30, 'the sources are in the prompt');
  let last;
  let text = '';
  for await (const part of await ollama.chat({ model: 'qwen', messages, options, rag, stream: true })) {
    if (!part.done) assert.equal(part.sources, undefined);
    text += part.message.content;
    last = part;
  }
  assert.equal(text, whole.message.content);
  checkSources(last.sources, pump());
});

test('openai: chat.completions with the rag field, whole and streamed', async () => {
  const messages = [{ role: 'user', content: 'What badge do visitors receive at the gate?' }];
  const whole = await openai.chat.completions.create({ model: 'qwen', messages, max_tokens: 8, temperature: 0, rag });
  assert.equal(whole.object, 'chat.completion');
  checkSources(whole.sources, 'badge.txt');
  const stream = await openai.chat.completions.create({ model: 'qwen', messages, max_tokens: 8, temperature: 0, rag, stream: true });
  let last;
  for await (const chunk of stream) last = chunk;
  assert.ok(last.choices[0].finish_reason);
  checkSources(last.sources, 'badge.txt');
});

test('nothing relevant: both clients get the nothing-found answer, no sources', async () => {
  const messages = [{ role: 'user', content: 'zyxwv qqqq' }];
  const strict = { collection: 'plant', min_similarity: 1 };
  const o = await ollama.chat({ model: 'qwen', messages, options, rag: strict });
  assert.match(o.message.content, /found nothing/);
  assert.deepEqual(o.sources, []);
  assert.equal(o.eval_count, 0);
  const a = await openai.chat.completions.create({ model: 'qwen', messages, rag: strict });
  assert.equal(a.choices[0].message.content, o.message.content);
  assert.deepEqual(a.sources, []);
});

test('errors: an unknown collection is a 404 both clients raise', async () => {
  const messages = [{ role: 'user', content: 'pump' }];
  await assert.rejects(ollama.chat({ model: 'qwen', messages, rag: { collection: 'nope' } }), (e) => e.status_code === 404);
  await assert.rejects(openai.chat.completions.create({ model: 'qwen', messages, rag: { collection: 'nope' } }),
    (e) => e.status === 404);
});
