// The Anthropic-style /v1/messages through the official @anthropic-ai/sdk client pointed at the
// server: a plain reply, streaming (the SDK's own event accumulation against the whole reply),
// count_tokens, a tool_use round trip with inputs checked by ajv against each tool's schema, and
// errors surfacing as the SDK's typed errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Anthropic from '@anthropic-ai/sdk';
import { startServer } from './server.mjs';

// ajv is installed (pinned) for the structured-output e2e test; share that copy.
const require = createRequire(new URL('./structured/', import.meta.url));
const AjvModule = require('ajv');
const Ajv = AjvModule.default ?? AjvModule;

const tools = [
  { name: 'get_weather', description: 'Current weather in a city', input_schema: {
    type: 'object', properties: { city: { type: 'string', maxLength: 20 }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
    required: ['city', 'unit'], additionalProperties: false } },
  { name: 'add', description: 'Adds integers', input_schema: {
    type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer', minimum: 0, maximum: 9 } },
    required: ['a', 'b'], additionalProperties: false } },
];
const ajv = new Ajv({ strict: false, allErrors: true });
const validators = Object.fromEntries(tools.map((t) => [t.name, ajv.compile(t.input_schema)]));

function checkToolUse(block, where) {
  assert.equal(block.type, 'tool_use', where);
  assert.match(block.id, /^toolu_/, where);
  const check = validators[block.name];
  assert.ok(check, `${where}: '${block.name}' is not one of the tools`);
  assert.ok(check(block.input), `${where}: ${JSON.stringify(block.input)}: ${ajv.errorsText(check.errors)}`);
}

let server, client;
const messages = [{ role: 'user', content: 'Tell me a story.' }];

before(async () => {
  server = await startServer([['llama-spm-q8_0.gguf', 'llama']]);
  client = new Anthropic({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
});
after(async () => { await server?.stop(); });

test('a plain reply, and count_tokens agrees with its usage', async () => {
  const msg = await client.messages.create({ model: 'llama', max_tokens: 16, temperature: 0, system: 'Be brief.', messages });
  assert.equal(msg.type, 'message');
  assert.equal(msg.role, 'assistant');
  assert.match(msg.id, /^msg_/);
  assert.equal(msg.content[0].type, 'text');
  assert.ok(msg.content[0].text.length > 0);
  assert.ok(['end_turn', 'max_tokens'].includes(msg.stop_reason), msg.stop_reason);
  assert.ok(msg.usage.output_tokens <= 16);
  const counted = await client.messages.countTokens({ model: 'llama', system: 'Be brief.', messages });
  assert.equal(counted.input_tokens, msg.usage.input_tokens);
});

test('streaming: the SDK accumulates the events into the same message', async () => {
  const request = { model: 'llama', max_tokens: 24, temperature: 0, messages };
  const whole = await client.messages.create(request);
  let text = '';
  const stream = client.messages.stream(request).on('text', (t) => { text += t; });
  const final = await stream.finalMessage();
  assert.equal(text, whole.content[0].text);
  assert.deepEqual(final.content, whole.content);
  assert.equal(final.stop_reason, whole.stop_reason);
  assert.equal(final.usage.output_tokens, whole.usage.output_tokens);
  const types = [];
  for await (const ev of await client.messages.create({ ...request, stream: true })) types.push(ev.type);
  assert.equal(types[0], 'message_start');
  assert.equal(types[1], 'content_block_start');
  assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
});

test('tool_use round trip: calls valid for their schema, whole and streamed; the result goes back in', async () => {
  let most = 0;
  for (let i = 0; i < 4; i++) {
    const request = { model: 'llama', max_tokens: 120, temperature: 1, tools, tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Weather in Oslo?' }] };
    const msg = await client.messages.create(request);
    assert.equal(msg.stop_reason, 'tool_use');
    msg.content.forEach((b, j) => checkToolUse(b, `reply ${i} block ${j}`));
    most = Math.max(most, msg.content.length);
    const streamed = await client.messages.stream(request).finalMessage();
    assert.equal(streamed.stop_reason, 'tool_use');
    streamed.content.forEach((b, j) => checkToolUse(b, `streamed ${i} block ${j}`));
    const one = await client.messages.create({ ...request, tool_choice: { type: 'tool', name: 'add', disable_parallel_tool_use: true } });
    assert.equal(one.content.length, 1);
    checkToolUse(one.content[0], `named ${i}`);
    assert.equal(one.content[0].name, 'add');
  }
  assert.ok(most >= 2, 'no reply held several tool_use blocks');

  const call = (await client.messages.create({ model: 'llama', max_tokens: 120, tools, tool_choice: { type: 'tool', name: 'add' },
    messages: [{ role: 'user', content: 'Add 2 and 3.' }] })).content[0];
  const back = await client.messages.create({ model: 'llama', max_tokens: 8, tools, messages: [
    { role: 'user', content: 'Add 2 and 3.' },
    { role: 'assistant', content: [call] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '5' }] },
  ] });
  assert.equal(back.role, 'assistant');
  assert.ok(back.content.length >= 1);
});

test('errors arrive as the SDK\'s typed errors', async () => {
  await assert.rejects(client.messages.create({ model: 'llama', messages, max_tokens: undefined }),
    (err) => err instanceof Anthropic.BadRequestError && err.status === 400 && /max_tokens/.test(err.message)
      && err.error?.error?.type === 'invalid_request_error');
  await assert.rejects(client.messages.create({ model: 'missing', max_tokens: 4, messages }),
    (err) => err instanceof Anthropic.NotFoundError && err.error?.error?.type === 'not_found_error');
  await assert.rejects(client.messages.create({ model: 'llama', max_tokens: 4, messages: [{ role: 'user', content: [
    { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'aGk=' } }] }] }),
  (err) => err instanceof Anthropic.BadRequestError && /image blocks are not supported/.test(err.message));
});
