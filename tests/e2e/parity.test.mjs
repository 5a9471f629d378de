// Fields that today's scripts send, through the official ollama and openai clients: log
// probabilities (whole, streamed, with tools), a num_ctx above the model's trained context,
// embedding dimensions with batch input and base64, thinking (think, reasoning_effort, with a
// format), truncate and shift, and the errors for bad values. Numbers are
// checked against each other (streamed against whole, cut against full), never written in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, fixtures, startServer } from './server.mjs';
import { vocabulary, withMetadata } from './gguf_metadata.mjs';

let server, ollama, openai;

before(async () => {
  server = await startServer([['stories260K.gguf', 'stories'], ['bert-bge-f16.gguf', 'bge'], ['llama-spm-q8_0.gguf', 'llama']]);
  ollama = new Ollama({ host: server.url });
  openai = new OpenAI({ baseURL: server.url + '/v1', apiKey: 'unused', maxRetries: 0 });
  // A thinking model: the qwen fixture with the DeepSeek-R1 distill template (its generation
  // prompt opens <think>), imported into the running server's store.
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-e2e-r1-'));
  const r1 = join(scratch, 'r1.gguf');
  const template = readFileSync(join(fixtures, 'templates', 'deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja'), 'utf8');
  const qwen = join(fixtures, 'models', 'qwen2-gpt2-q4_k_m.gguf');
  withMetadata(qwen, r1, { 'tokenizer.chat_template': template });
  // A code model: three of qwen's tokens named as its fill-in-the-middle tokens.
  const coder = join(scratch, 'coder.gguf');
  const vocab = vocabulary(qwen);
  withMetadata(qwen, coder, Object.fromEntries(FIM.map(([key, spelling]) => [key, vocab.indexOf(spelling)])));
  const env = { ...process.env, AIRLOCK_MODELS: server.store };
  execFileSync(bin, ['import', r1, '--name', 'r1'], { env, stdio: 'ignore' });
  execFileSync(bin, ['import', coder, '--name', 'coder'], { env, stdio: 'ignore' });
  rmSync(scratch, { recursive: true, force: true });
});
after(async () => { await server?.stop(); });

const greedy = { temperature: 0, repeat_penalty: 1, num_predict: 12 };
// The qwen fixture's GPT-2 vocabulary has no FIM tokens: digits stand in (its pre-tokenizer never
// merges them with the letters and newlines around them, so the hand-written layout tokenizes alike).
const FIM = [['tokenizer.ggml.fim_pre_token_id', '7'], ['tokenizer.ggml.fim_suf_token_id', '8'],
  ['tokenizer.ggml.fim_mid_token_id', '9']];

// Shared checks of native / OpenAI-chat entries; returns their tokens joined.
function checkEntries(entries, nTop, isGreedy) {
  let text = '';
  for (const e of entries) {
    text += e.token;
    assert.deepEqual(e.bytes, [...Buffer.from(e.token, 'utf8')]);
    assert.ok(e.logprob <= 1e-6);
    if (!nTop) continue;
    assert.equal(e.top_logprobs.length, nTop);
    for (let i = 1; i < nTop; i++) assert.ok(e.top_logprobs[i - 1].logprob >= e.top_logprobs[i].logprob);
    if (isGreedy) assert.equal(e.top_logprobs[0].token, e.token);
  }
  return text;
}

test('ollama: generate and chat logprobs, whole and streamed', async () => {
  const req = { model: 'stories', prompt: 'Once upon a time', raw: true, options: greedy, logprobs: true, top_logprobs: 3 };
  const whole = await ollama.generate(req);
  assert.equal(whole.logprobs.length, whole.eval_count);
  assert.equal(checkEntries(whole.logprobs, 3, true), whole.response);
  const streamed = [];
  for await (const part of await ollama.generate({ ...req, stream: true })) streamed.push(...(part.logprobs ?? []));
  assert.deepEqual(streamed, whole.logprobs);

  const chat = await ollama.chat({ model: 'stories', messages: [{ role: 'user', content: 'Tell me a story' }],
    options: greedy, logprobs: true });
  assert.equal(chat.logprobs.length, chat.eval_count);
  assert.equal(checkEntries(chat.logprobs, 0, true), chat.message.content);
  await assert.rejects(ollama.generate({ ...req, top_logprobs: 21 }), /top_logprobs/);
});

test('openai: chat logprobs whole and streamed, completions logprobs', async () => {
  const body = { model: 'stories', messages: [{ role: 'user', content: 'Once upon a time' }], temperature: 0,
    max_tokens: 10, logprobs: true, top_logprobs: 4 };
  const whole = await openai.chat.completions.create(body);
  const content = whole.choices[0].logprobs.content;
  assert.equal(content.length, whole.usage.completion_tokens);
  assert.equal(checkEntries(content, 4, true), whole.choices[0].message.content);
  const streamed = [];
  for await (const chunk of await openai.chat.completions.create({ ...body, stream: true }))
    streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
  assert.deepEqual(streamed, content);
  await assert.rejects(openai.chat.completions.create({ ...body, logprobs: false }),
    (err) => err.status === 400 && /top_logprobs/.test(err.message));

  const c = await openai.completions.create({ model: 'stories', prompt: 'The little dog', temperature: 0, max_tokens: 8, logprobs: 2 });
  const lp = c.choices[0].logprobs;
  assert.equal(lp.tokens.join(''), c.choices[0].text);
  assert.equal(lp.token_logprobs.length, 8);
  lp.tokens.forEach((t, i) => assert.ok(t in lp.top_logprobs[i]));
});

test('openai: logprobs with a required tool call', async () => {
  const tools = [{ type: 'function', function: { name: 'add', parameters: { type: 'object',
    properties: { a: { type: 'integer' }, b: { type: 'integer' } }, required: ['a', 'b'] } } }];
  const r = await openai.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'Add 2 and 3' }],
    tools, tool_choice: 'required', temperature: 1, seed: 2, max_tokens: 60, logprobs: true, top_logprobs: 2 });
  assert.equal(r.choices[0].finish_reason, 'tool_calls');
  assert.equal(r.choices[0].logprobs.content.length, r.usage.completion_tokens);
  for (const e of r.choices[0].logprobs.content) assert.equal(typeof e.logprob, 'number');
});

test('ollama: num_ctx above the trained context is capped, shown by ps', async () => {
  // stories260K was trained with a 512-token context.
  const r = await ollama.generate({ model: 'stories', prompt: 'Once', raw: true, options: { num_predict: 2, num_ctx: 4096 } });
  assert.equal(r.done, true);
  const { models } = await ollama.ps();
  const m = models.find((x) => x.name === 'stories:latest');
  assert.ok(m.context_length < 4096, JSON.stringify(m));
  const info = await ollama.show({ model: 'stories' });
  const trained = Object.entries(info.model_info).find(([k]) => k.endsWith('.context_length'))[1];
  assert.equal(m.context_length, trained);
});

test('embeddings: dimensions with batch input, float and base64, truncate false', async () => {
  const input = ['Hello world', 'The quick brown fox'];
  const full = await ollama.embed({ model: 'bge', input });
  const cut = await ollama.embed({ model: 'bge', input, dimensions: 32 });
  const viaOpenAi = await openai.embeddings.create({ model: 'bge', input, dimensions: 32 });  // base64 on the wire
  const asFloat = await openai.embeddings.create({ model: 'bge', input, dimensions: 32, encoding_format: 'float' });
  for (let i = 0; i < 2; i++) {
    const prefix = full.embeddings[i].slice(0, 32);
    const norm = Math.hypot(...prefix);
    assert.equal(cut.embeddings[i].length, 32);
    for (let j = 0; j < 32; j++) {
      assert.ok(Math.abs(cut.embeddings[i][j] - prefix[j] / norm) < 1e-5);
      assert.ok(Math.abs(viaOpenAi.data[i].embedding[j] - cut.embeddings[i][j]) < 1e-6);
      assert.ok(Math.abs(asFloat.data[i].embedding[j] - cut.embeddings[i][j]) < 1e-6);
    }
  }
  await assert.rejects(ollama.embed({ model: 'bge', input, dimensions: 100000 }), /dimensions/);
  await assert.rejects(openai.embeddings.create({ model: 'bge', input, dimensions: 0 }),
    (err) => err.status === 400 && /dimensions/.test(err.message));
  const long = 'word '.repeat(3000);
  await assert.rejects(ollama.embed({ model: 'bge', input: long, truncate: false }), /context holds/);
});

// The prompt opened the block: the reported tokens, joined, are thinking up to "</think>", then
// the answer (leading whitespace dropped).
function expectedSplit(entries) {
  const raw = entries.map((e) => e.token).join('');
  const close = raw.indexOf('</think>');
  return close < 0 ? [raw, ''] : [raw.slice(0, close), raw.slice(close + 8).trimStart()];
}

test('thinking: ollama think, whole and streamed, show capabilities, errors', async () => {
  const info = await ollama.show({ model: 'r1' });
  assert.ok(info.capabilities.includes('thinking'), JSON.stringify(info.capabilities));
  const messages = [{ role: 'user', content: 'Hello' }];
  const options = { temperature: 0.9, seed: 11, num_predict: 24 };
  const whole = await ollama.chat({ model: 'r1', messages, think: true, options, logprobs: true });
  const [thinking, answer] = expectedSplit(whole.logprobs);
  assert.ok(thinking.length > 0);
  assert.equal(whole.message.thinking, thinking);
  assert.equal(whole.message.content, answer);
  let st = '', sa = '';
  for await (const part of await ollama.chat({ model: 'r1', messages, think: true, options, stream: true })) {
    st += part.message.thinking ?? '';
    sa += part.message.content;
  }
  assert.equal(st, thinking);
  assert.equal(sa, answer);
  const dropped = await ollama.chat({ model: 'r1', messages, think: false, options });
  assert.equal(dropped.message.thinking, undefined);
  assert.equal(dropped.message.content, answer);
  await assert.rejects(ollama.generate({ model: 'stories', prompt: 'Once', think: true }), /does not support thinking/);
});

test('thinking: think + format constrains only the answer', async () => {
  const req = { model: 'r1', messages: [{ role: 'user', content: 'Hello' }], think: 'low',
    options: { temperature: 0.9, seed: 5, num_predict: 20 } };
  const free = await ollama.chat(req);
  const constrained = await ollama.chat({ ...req, format: 'json' });
  const n = Math.min(free.message.thinking.length, constrained.message.thinking.length);
  assert.ok(n > 0);
  assert.equal(constrained.message.thinking.slice(0, n), free.message.thinking.slice(0, n));
});

test('thinking: openai reasoning_content in message and deltas', async () => {
  const body = { model: 'r1', messages: [{ role: 'user', content: 'Hello' }], temperature: 0, max_tokens: 16,
    reasoning_effort: 'medium', logprobs: true };
  const whole = await openai.chat.completions.create(body);
  const [thinking, answer] = expectedSplit(whole.choices[0].logprobs.content);
  assert.equal(whole.choices[0].message.reasoning_content, thinking);
  assert.equal(whole.choices[0].message.content, answer);
  let st = '', sa = '';
  for await (const chunk of await openai.chat.completions.create({ ...body, stream: true })) {
    st += chunk.choices[0]?.delta?.reasoning_content ?? '';
    sa += chunk.choices[0]?.delta?.content ?? '';
  }
  assert.equal(st, thinking);
  assert.equal(sa, answer);
  await assert.rejects(openai.chat.completions.create({ ...body, reasoning_effort: 'extreme' }),
    (err) => err.status === 400 && /reasoning_effort/.test(err.message));
});

test('store: create with from and quantize, show capabilities, pull offline', async () => {
  const done = await ollama.create({ model: 's8', from: 'stories', quantize: 'q8_0' });
  assert.equal(done.status, 'success');
  const statuses = [];
  for await (const p of await ollama.create({ model: 's4', from: 'stories', quantize: 'Q4_K_M', stream: true })) statuses.push(p.status);
  assert.ok(statuses[0].includes('quantizing'), statuses.join());
  assert.equal((await ollama.show({ model: 's8' })).details.quantization_level, 'Q8_0');
  const r = await ollama.generate({ model: 's4', prompt: 'Once', raw: true, options: { num_predict: 3 } });
  assert.equal(r.eval_count, 3);
  await assert.rejects(ollama.create({ model: 'bad', from: 'stories', quantize: 'q9_z' }), /quantize/);
  assert.deepEqual((await ollama.show({ model: 'bge' })).capabilities, ['embedding']);
  assert.deepEqual((await ollama.show({ model: 'stories' })).capabilities, ['completion']);
  const started = Date.now();
  await assert.rejects(ollama.pull({ model: 'llama3' }), /airlock bundle/);
  assert.ok(Date.now() - started < 5000);
  const one = await openai.models.retrieve('s8:latest');
  assert.equal(one.id, 's8:latest');
});

test('suffix: fill-in-the-middle answers as the hand-written layout', async () => {
  const prefix = 'x = a\n', suffix = '\ny = b\n';
  const options = { temperature: 0, num_predict: 10 };
  const fim = await ollama.generate({ model: 'coder', prompt: prefix, suffix, options });
  const layout = FIM[0][1] + prefix + FIM[1][1] + suffix + FIM[2][1];
  const raw = await ollama.generate({ model: 'coder', prompt: layout, raw: true, options });
  assert.equal(fim.response, raw.response);
  const c = await openai.completions.create({ model: 'coder', prompt: prefix, suffix, temperature: 0, max_tokens: 10 });
  assert.equal(c.choices[0].text, raw.response);
  await assert.rejects(ollama.generate({ model: 'stories', prompt: 'a', suffix: 'b' }), /fill-in-the-middle/);
  await assert.rejects(openai.completions.create({ model: 'stories', prompt: 'a', suffix: 'b' }),
    (err) => err.status === 400 && /fill-in-the-middle/.test(err.message));
  await assert.rejects(ollama.generate({ model: 'stories', prompt: 'hi', images: ['aGk='] }), /images/);
});

test('truncate and shift: an overlong prompt is cut unless truncate is false, a full context shifts unless shift is false', async () => {
  const options = { num_ctx: 48, num_predict: 120, temperature: 0 };
  const messages = [{ role: 'user', content: 'Tell me a story.' }];
  // By default generation goes on past the 48 positions; with shift false the context ends it.
  const shifted = await ollama.chat({ model: 'stories', messages, options });
  assert.equal(shifted.eval_count, 120);
  const streamed = [];
  for await (const part of await ollama.chat({ model: 'stories', messages, options, stream: true })) streamed.push(part);
  assert.equal(streamed.map((p) => p.message.content).join(''), shifted.message.content);
  const fixed = await ollama.chat({ model: 'stories', messages, options, shift: false });
  assert.equal(fixed.done_reason, 'length');
  assert.ok(fixed.eval_count < 48, `${fixed.eval_count}`);
  assert.equal(fixed.message.content, shifted.message.content.slice(0, fixed.message.content.length));

  const long = 'The dog ran to the park. '.repeat(30);
  const cut = await ollama.generate({ model: 'stories', prompt: long, options: { ...options, num_predict: 8 } });
  assert.equal(cut.eval_count, 8);
  assert.ok(cut.prompt_eval_count <= 40, `${cut.prompt_eval_count}`);
  await assert.rejects(ollama.generate({ model: 'stories', prompt: long, truncate: false, options }),
    /the prompt is \d+ tokens, the context holds 48/);
  await assert.rejects(ollama.chat({ model: 'stories', messages: [{ role: 'user', content: long }], truncate: false, options }),
    /context holds 48/);
});
