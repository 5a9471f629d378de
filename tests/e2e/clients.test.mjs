// The official ollama and openai JavaScript clients against `airlock serve`: chat and generate,
// streaming and not, embeddings, model lists and errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { startServer } from './server.mjs';

let server, ollama, openai;

before(async () => {
  server = await startServer([['stories260K.gguf', 'stories'], ['bert-bge-f16.gguf', 'bge']]);
  ollama = new Ollama({ host: server.url });
  openai = new OpenAI({ baseURL: server.url + '/v1', apiKey: 'unused', maxRetries: 0 });
});
after(async () => { await server?.stop(); });

const greedy = { temperature: 0, repeat_penalty: 1, num_predict: 16 };

test('ollama: list and show', async () => {
  const { models } = await ollama.list();
  assert.deepEqual(models.map((m) => m.name).sort(), ['bge:latest', 'stories:latest']);
  const info = await ollama.show({ model: 'stories' });
  assert.equal(info.details.family, 'llama');
});

test('ollama: generate, whole and streamed, agree', async () => {
  const whole = await ollama.generate({ model: 'stories', prompt: 'Once upon a time', raw: true, options: greedy });
  assert.equal(whole.done, true);
  assert.equal(whole.eval_count, 16);
  assert.ok(whole.response.length > 0);
  let text = '';
  let last;
  for await (const part of await ollama.generate({ model: 'stories', prompt: 'Once upon a time', raw: true, options: greedy, stream: true })) {
    text += part.response;
    last = part;
  }
  assert.equal(text, whole.response);
  assert.equal(last.done, true);
  assert.equal(last.done_reason, 'length');
});

test('ollama: chat, whole and streamed', async () => {
  const messages = [{ role: 'user', content: 'Tell me a story' }];
  const whole = await ollama.chat({ model: 'stories', messages, options: greedy });
  assert.equal(whole.message.role, 'assistant');
  let text = '';
  for await (const part of await ollama.chat({ model: 'stories', messages, options: greedy, stream: true })) text += part.message.content;
  assert.equal(text, whole.message.content);
});

test('ollama: embed', async () => {
  const r = await ollama.embed({ model: 'bge', input: ['Hello world', 'airlock'] });
  assert.equal(r.embeddings.length, 2);
  assert.equal(r.embeddings[0].length, 256);
  const norm = Math.hypot(...r.embeddings[0]);
  assert.ok(Math.abs(norm - 1) < 1e-4);
});

test('ollama: errors', async () => {
  await assert.rejects(ollama.generate({ model: 'missing', prompt: 'x' }), /model 'missing:latest' not found/);
  await assert.rejects(ollama.pull({ model: 'llama3' }), /offline/);
});

test('openai: chat completion, whole and streamed with usage', async () => {
  const messages = [{ role: 'user', content: 'Once upon a time' }];
  const whole = await openai.chat.completions.create({ model: 'stories', messages, temperature: 0, max_tokens: 12 });
  assert.equal(whole.object, 'chat.completion');
  const content = whole.choices[0].message.content;
  const stream = await openai.chat.completions.create({
    model: 'stories', messages, temperature: 0, max_tokens: 12, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let usage;
  for await (const chunk of stream) {
    if (chunk.choices.length) text += chunk.choices[0].delta.content ?? '';
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, content);
  assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
});

test('openai: completions and embeddings', async () => {
  const c = await openai.completions.create({ model: 'stories', prompt: 'The little dog', temperature: 0, max_tokens: 8 });
  assert.ok(c.choices[0].text.length > 0);
  assert.equal(c.usage.completion_tokens, 8);
  // The SDK asks for base64 and decodes it: the vectors must agree with the float form.
  const e = await openai.embeddings.create({ model: 'bge', input: 'Hello world' });
  const f = await openai.embeddings.create({ model: 'bge', input: 'Hello world', encoding_format: 'float' });
  assert.equal(e.data[0].embedding.length, 256);
  for (let i = 0; i < 256; i++) assert.ok(Math.abs(e.data[0].embedding[i] - f.data[0].embedding[i]) < 1e-6);
});

test('openai: models and errors', async () => {
  const list = await openai.models.list();
  assert.deepEqual(list.data.map((m) => m.id).sort(), ['bge:latest', 'stories:latest']);
  const one = await openai.models.retrieve('stories:latest');
  assert.equal(one.id, 'stories:latest');
  await assert.rejects(openai.chat.completions.create({ model: 'ghost', messages: [{ role: 'user', content: 'x' }] }),
    (err) => err.status === 404 && /not found/.test(err.message));
  await assert.rejects(openai.chat.completions.create({ model: 'stories', messages: [] }), (err) => err.status === 400);
});

test('curl: generate over plain HTTP', async () => {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync('curl', ['-sS', server.url + '/api/generate', '-d',
    JSON.stringify({ model: 'stories', prompt: 'Once', stream: false, options: { num_predict: 3 } })], { encoding: 'utf8' });
  assert.equal(JSON.parse(out).done, true);
});
