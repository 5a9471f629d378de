// Tool calling through the official clients: with tool_choice "required" every call the openai
// SDK receives (whole, or accumulated by its stream helper from deltas) names one of the tools
// and carries arguments that ajv, an independent JSON Schema validator, accepts for that tool;
// a reply may hold several calls unless parallel_tool_calls is false; the ollama client gets text
// or valid calls; tool results go back in through both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomInt } from 'node:crypto';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { startServer } from './server.mjs';

// ajv is installed (pinned) for the structured-output e2e test; share that copy.
const require = createRequire(new URL('./structured/', import.meta.url));
const AjvModule = require('ajv');
const Ajv = AjvModule.default ?? AjvModule;

const fn = (name, description, parameters) => ({ type: 'function', function: { name, description, parameters } });
const tools = [
  fn('get_weather', 'Current weather in a city', {
    type: 'object',
    properties: { city: { type: 'string', minLength: 1, maxLength: 24 }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
    required: ['city', 'unit'], additionalProperties: false,
  }),
  fn('add', 'Adds integers', {
    type: 'object',
    properties: { a: { type: 'integer', minimum: -100, maximum: 100 }, b: { type: 'integer', minimum: 0, maximum: 9 } },
    required: ['a', 'b'], additionalProperties: false,
  }),
  fn('book_flight', 'Books a flight', {
    type: 'object',
    properties: {
      route: {
        type: 'object',
        properties: { from: { type: 'string', maxLength: 3 }, to: { type: 'string', maxLength: 3 } },
        required: ['from', 'to'], additionalProperties: false,
      },
      passengers: { type: 'array', items: { type: 'string', maxLength: 8 }, minItems: 1, maxItems: 3 },
      window_seat: { type: 'boolean' },
    },
    required: ['route', 'passengers'], additionalProperties: false,
  }),
  fn('set_volume', 'Sets the volume', {
    type: 'object',
    properties: { level: { type: 'number', minimum: 0, maximum: 1 }, mute: { type: ['boolean', 'null'] } },
    required: ['level'], additionalProperties: false,
  }),
  { type: 'function', function: { name: 'now', description: 'The current time' } },
];

const ajv = new Ajv({ strict: false, allErrors: true });
const validators = Object.fromEntries(tools.map((t) =>
  [t.function.name, ajv.compile(t.function.parameters ?? { type: 'object', additionalProperties: false })]));

// Throws unless {name, arguments (an object)} is a valid call of one of the tools.
function checkCall(name, args, where) {
  const check = validators[name];
  assert.ok(check, `${where}: '${name}' is not one of the tools`);
  assert.ok(check(args), `${where}: ${name} ${JSON.stringify(args)}: ${ajv.errorsText(check.errors)}`);
}

let server, ollama, openai;
const models = ['stories', 'llama', 'qwen'];

before(async () => {
  server = await startServer([['stories260K.gguf', 'stories'], ['llama-spm-q8_0.gguf', 'llama'],
    ['qwen2-gpt2-q4_k_m.gguf', 'qwen']]);
  ollama = new Ollama({ host: server.url });
  openai = new OpenAI({ baseURL: server.url + '/v1', apiKey: 'unused', maxRetries: 0 });
});
after(async () => { await server?.stop(); });

test('ajv rejects arguments that break a schema', () => {
  // Without this a pass below would not mean much.
  assert.equal(validators.add({ a: 1 }), false);
  assert.equal(validators.get_weather({ city: 'Oslo', unit: 'kelvin' }), false);
  assert.equal(validators.now({ x: 1 }), false);
});

test('openai: 60 required calls, whole and streamed, all valid', { timeout: 120000 }, async () => {
  const names = new Set();
  for (let i = 0; i < 60; i++) {
    const seed = randomInt(1, 2 ** 31);
    const named = i % 5 === 4 ? tools[i % tools.length].function.name : null;
    const request = {
      model: models[i % models.length], temperature: 1, seed, max_tokens: 96, tools,
      messages: [{ role: 'user', content: 'Use a tool.' }],
      tool_choice: named ? { type: 'function', function: { name: named } } : 'required',
      ...(i % 3 === 0 ? { parallel_tool_calls: false } : {}),
    };
    const where = `request ${i} (${request.model}, seed ${seed})`;
    const completion = i % 2 === 0
      ? await openai.chat.completions.create(request)
      : await openai.chat.completions.stream(request).finalChatCompletion();
    const choice = completion.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls', where);
    assert.equal(choice.message.content, null, where);
    const calls = choice.message.tool_calls ?? [];
    if (request.parallel_tool_calls === false) assert.equal(calls.length, 1, `${where}: ${JSON.stringify(choice.message)}`);
    else assert.ok(calls.length >= 1, `${where}: ${JSON.stringify(choice.message)}`);
    for (const call of calls) {
      assert.equal(call.type, 'function', where);
      assert.match(call.id, /^call_/, where);
      if (named) assert.equal(call.function.name, named, where);
      checkCall(call.function.name, JSON.parse(call.function.arguments), where);
      names.add(call.function.name);
    }
  }
  assert.ok(names.size >= 3, `calls only ever named ${[...names]}`);
});

test('openai: raw stream deltas add up to the whole answer', async () => {
  const request = { model: 'llama', temperature: 1, seed: 11, max_tokens: 96, tools, tool_choice: 'required',
    messages: [{ role: 'user', content: 'Use a tool.' }] };
  const whole = (await openai.chat.completions.create(request)).choices[0].message.tool_calls;
  const calls = [];
  let finish = null;
  for await (const chunk of await openai.chat.completions.create({ ...request, stream: true })) {
    const choice = chunk.choices[0];
    assert.ok(!choice.delta.content, 'a call leaked into content');
    for (const d of choice.delta.tool_calls ?? []) {
      const c = (calls[d.index] ??= { id: '', name: '', arguments: '' });
      c.id += d.id ?? '';
      c.name += d.function?.name ?? '';
      c.arguments += d.function?.arguments ?? '';
    }
    finish = choice.finish_reason ?? finish;
  }
  assert.equal(finish, 'tool_calls');
  assert.equal(calls.length, whole.length);
  calls.forEach((c, i) => {
    assert.match(c.id, /^call_/);
    assert.equal(c.name, whole[i].function.name);
    assert.deepEqual(JSON.parse(c.arguments), JSON.parse(whole[i].function.arguments));
  });
});

test('openai: parallel tool calls come back as several valid calls, one with parallel_tool_calls false', async () => {
  let most = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const request = { model: 'llama', temperature: 1, seed, max_tokens: 200, tools, tool_choice: 'required',
      messages: [{ role: 'user', content: 'Weather in Oslo and in Rome?' }] };
    const calls = (await openai.chat.completions.create(request)).choices[0].message.tool_calls;
    for (const c of calls) checkCall(c.function.name, JSON.parse(c.function.arguments), `seed ${seed}`);
    assert.equal(new Set(calls.map((c) => c.id)).size, calls.length, 'call ids differ');
    most = Math.max(most, calls.length);
    const single = await openai.chat.completions.create({ ...request, parallel_tool_calls: false });
    assert.equal(single.choices[0].message.tool_calls.length, 1, `seed ${seed}`);
  }
  assert.ok(most >= 2, 'no reply held several calls');
});

test('ollama: chats with tools answer text or valid calls', async () => {
  for (let i = 0; i < 9; i++) {
    const seed = randomInt(1, 2 ** 31);
    const where = `chat ${i} seed ${seed}`;
    const reply = await ollama.chat({ model: models[i % 3], tools, messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      options: { temperature: 1, seed, num_predict: 24 } });
    if (reply.message.tool_calls?.length) {
      for (const c of reply.message.tool_calls) checkCall(c.function.name, c.function.arguments, where);
    } else {
      assert.ok(reply.message.content.length > 0, where);
    }
  }
});

test('tool results go back in through both clients', async () => {
  const call = { id: 'call_abc', type: 'function', function: { name: 'add', arguments: '{"a": 2, "b": 3}' } };
  const completion = await openai.chat.completions.create({ model: 'llama', max_tokens: 8, tools, messages: [
    { role: 'user', content: '2+3?' },
    { role: 'assistant', content: null, tool_calls: [call] },
    { role: 'tool', tool_call_id: 'call_abc', content: '5' },
  ] });
  assert.ok(completion.choices[0].message.content !== undefined);
  const reply = await ollama.chat({ model: 'llama', tools, options: { num_predict: 8 }, messages: [
    { role: 'user', content: '2+3?' },
    { role: 'assistant', content: '', tool_calls: [{ function: { name: 'add', arguments: { a: 2, b: 3 } } }] },
    { role: 'tool', tool_name: 'add', content: '5' },
  ] });
  assert.equal(reply.message.role, 'assistant');
  await assert.rejects(openai.chat.completions.create({ model: 'llama', max_tokens: 8, tools, messages: [
    { role: 'user', content: '2+3?' },
    { role: 'assistant', content: null, tool_calls: [{ ...call, function: { name: 'add', arguments: '{"a":' } }] },
  ] }), (err) => err.status === 400 && /messages\[1\]\.tool_calls\[0\]\.function\.arguments/.test(err.message));
});
