// OpenAI's Responses API (/v1/responses) through the official openai client: input as a string
// and as a message list with instructions, max_output_tokens, streaming (events against the
// whole response, and the SDK's own stream helper), function tools with function_call output
// items checked by ajv and sent back as function_call_output, and errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import OpenAI from 'openai';
import { startServer } from './server.mjs';

// ajv is installed (pinned) for the structured-output e2e test; share that copy.
const require = createRequire(new URL('./structured/', import.meta.url));
const AjvModule = require('ajv');
const Ajv = AjvModule.default ?? AjvModule;

const tools = [
  { type: 'function', name: 'get_weather', description: 'Current weather in a city', parameters: {
    type: 'object', properties: { city: { type: 'string', maxLength: 20 }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
    required: ['city', 'unit'], additionalProperties: false } },
  { type: 'function', name: 'add', description: 'Adds integers', parameters: {
    type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer', minimum: 0, maximum: 9 } },
    required: ['a', 'b'], additionalProperties: false } },
];
const ajv = new Ajv({ strict: false, allErrors: true });
const validators = Object.fromEntries(tools.map((t) => [t.name, ajv.compile(t.parameters)]));

function checkCall(item, where) {
  assert.equal(item.type, 'function_call', where);
  assert.match(item.call_id, /^call_/, where);
  const check = validators[item.name];
  assert.ok(check, `${where}: '${item.name}' is not one of the tools`);
  const args = JSON.parse(item.arguments);
  assert.ok(check(args), `${where}: ${item.arguments}: ${ajv.errorsText(check.errors)}`);
}

let server, openai;

before(async () => {
  server = await startServer([['llama-spm-q8_0.gguf', 'llama']]);
  openai = new OpenAI({ baseURL: server.url + '/v1', apiKey: 'unused', maxRetries: 0 });
});
after(async () => { await server?.stop(); });

test('input as a string or a message list, instructions, max_output_tokens', async () => {
  const r = await openai.responses.create({ model: 'llama', input: 'Tell me a story.', max_output_tokens: 12, temperature: 0 });
  assert.equal(r.object, 'response');
  assert.match(r.id, /^resp_/);
  assert.ok(r.output_text.length > 0);
  assert.equal(r.output[0].type, 'message');
  assert.equal(r.output[0].content[0].type, 'output_text');
  assert.ok(r.usage.output_tokens <= 12);
  assert.ok(r.status === 'completed' || (r.status === 'incomplete' && r.incomplete_details.reason === 'max_output_tokens'));
  // The same conversation as a message list gives the same greedy text.
  const listed = await openai.responses.create({ model: 'llama', max_output_tokens: 12, temperature: 0,
    input: [{ role: 'user', content: [{ type: 'input_text', text: 'Tell me a story.' }] }] });
  assert.equal(listed.output_text, r.output_text);
  const instructed = await openai.responses.create({ model: 'llama', input: 'Tell me a story.', max_output_tokens: 4,
    instructions: 'You are a pirate.' });
  assert.ok(instructed.usage.input_tokens > r.usage.input_tokens);
  assert.equal(instructed.instructions, 'You are a pirate.');
});

test('streaming: response.* events add up to the whole response', async () => {
  const request = { model: 'llama', input: 'Tell me a story.', max_output_tokens: 16, temperature: 0 };
  const whole = await openai.responses.create(request);
  const types = [];
  let text = '', done = null, completed = null;
  for await (const ev of await openai.responses.create({ ...request, stream: true })) {
    types.push(ev.type);
    if (ev.type === 'response.output_text.delta') text += ev.delta;
    if (ev.type === 'response.output_text.done') done = ev.text;
    if (ev.type === 'response.completed' || ev.type === 'response.incomplete') completed = ev.response;
  }
  assert.equal(types[0], 'response.created');
  assert.ok(types.includes('response.output_text.delta'));
  assert.ok(types.indexOf('response.output_text.done') > types.lastIndexOf('response.output_text.delta'));
  assert.ok(['response.completed', 'response.incomplete'].includes(types.at(-1)));
  assert.equal(text, whole.output_text);
  assert.equal(done, text);
  assert.equal(completed.output[0].content[0].text, text);
  // The SDK's helper builds its snapshot from the events (its final one comes only with
  // response.completed; a reply cut by max_output_tokens ends with response.incomplete).
  const final = await openai.responses.stream(request).finalResponse();
  assert.equal(final.output[0].content[0].text, whole.output_text);
});

test('function tools: function_call items valid for their schema, whole and streamed; outputs go back in', async () => {
  let most = 0;
  for (let i = 0; i < 4; i++) {
    const request = { model: 'llama', input: 'Weather in Oslo?', tools, tool_choice: 'required', max_output_tokens: 120, temperature: 1 };
    const r = await openai.responses.create(request);
    assert.ok(r.output.length >= 1);
    r.output.forEach((item, j) => checkCall(item, `response ${i} item ${j}`));
    most = Math.max(most, r.output.length);
    const calls = [];
    for await (const ev of await openai.responses.create({ ...request, stream: true }))
      if (ev.type === 'response.output_item.done') calls.push(ev.item);
    assert.ok(calls.length >= 1);
    calls.forEach((item, j) => checkCall(item, `streamed ${i} item ${j}`));
    const one = await openai.responses.create({ ...request, parallel_tool_calls: false, tool_choice: { type: 'function', name: 'add' } });
    assert.equal(one.output.length, 1);
    assert.equal(one.output[0].name, 'add');
  }
  assert.ok(most >= 2, 'no response held several function calls');

  const call = (await openai.responses.create({ model: 'llama', input: 'Add 2 and 3.', tools,
    tool_choice: { type: 'function', name: 'add' }, max_output_tokens: 120 })).output[0];
  const back = await openai.responses.create({ model: 'llama', tools, max_output_tokens: 8, input: [
    { role: 'user', content: 'Add 2 and 3.' },
    { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
    { type: 'function_call_output', call_id: call.call_id, output: '5' },
  ] });
  assert.equal(back.object, 'response');
  assert.ok(back.usage.input_tokens > 0);
});

test('errors: previous_response_id, built-in tools, images, unknown model', async () => {
  const bad = (request, pattern) => assert.rejects(openai.responses.create({ model: 'llama', ...request }),
    (err) => err instanceof OpenAI.BadRequestError && pattern.test(err.message));
  await bad({ input: 'hi', previous_response_id: 'resp_123' }, /previous_response_id/);
  await bad({ input: 'hi', tools: [{ type: 'web_search_preview' }] }, /tools\[0\]\.type/);
  await bad({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'data:image/png;base64,aGk=' }] }] },
    /input_image parts are not supported/);
  await assert.rejects(openai.responses.create({ model: 'missing', input: 'hi' }), (err) => err.status === 404);
});
