// The web UI in Debian's headless Chromium (playwright-core, no browser download) against a real
// `airlock serve` with fixture models: load time, streaming, stop, model switch, structured output,
// delete confirmation and the API-key prompt. Every page is also checked for CSP violations and
// uncaught script errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startServer } from '../server.mjs';
import { chooseModel, lastReply, launch, open as openIn, setOption } from './page.mjs';

let server, browser;

before(async () => {
  server = await startServer([['stories260K.gguf', 'stories'], ['llama-spm-q4_0.gguf', 'llama'], ['stories260K.gguf', 'spare']]);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const open = (url, path, options) => openIn(browser, url, path, options);

test('the page loads from a cold server in under 1 s', async () => {
  const cold = await startServer([['stories260K.gguf', 'stories']]);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const t0 = performance.now();
    const res = await page.goto(cold.url + '/');
    await page.locator('#model option').first().waitFor({ state: 'attached' });  // rendered and /api/tags answered
    const ms = performance.now() - t0;
    console.log(`# page load, cold server: ${ms.toFixed(0)} ms`);
    assert.ok(ms < 1000, `took ${ms} ms`);
    const csp = res.headers()['content-security-policy'];
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    await context.close();
  } finally {
    await cold.stop();
  }
});

test('the Documents page is offered only when the server has the RAG routes', async () => {
  const rag = (await fetch(server.url + '/api/rag/collections')).status;
  const ui = await open(server.url, '/#/documents');
  const { page } = ui;
  // Without the routes the page falls back to Chat (its model list loads); with them it shows.
  if (rag === 404) await page.locator('#model option').first().waitFor({ state: 'attached' });
  else await page.getByRole('link', { name: 'Documents' }).waitFor();
  const links = await page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents();
  if (rag === 404) {
    assert.deepEqual(links, ['Chat', 'Models', 'Status']);
    assert.equal(await page.getByRole('link', { name: 'Chat' }).getAttribute('aria-current'), 'page');
  } else {
    assert.deepEqual(links, ['Chat', 'Documents', 'Models', 'Status']);
  }
  await ui.close();
});

test('a message streams its reply in token by token', async () => {
  const ui = await open(server.url);
  const { page } = ui;
  await chooseModel(page, 'llama:latest');
  await setOption(page, 'num_predict', 400);
  // Record each distinct text the reply shows while it is being written.
  await page.evaluate(() => {
    window.seen = new Set();
    new MutationObserver(() => {
      const r = [...document.querySelectorAll('li.msg.assistant')].pop();
      if (r) window.seen.add(r.textContent);
    }).observe(document.querySelector('.messages'), { subtree: true, childList: true, characterData: true });
  });
  await page.fill('#prompt', 'Tell me a story');
  await page.press('#prompt', 'Enter');
  await page.getByRole('button', { name: 'Stop' }).waitFor();
  await lastReply(page).locator('.meta', { hasText: 'tokens/s' }).waitFor({ timeout: 60000 });
  const seen = await page.evaluate(() => window.seen.size);
  assert.ok(seen >= 3, `reply shown in ${seen} steps, not streamed`);
  assert.match(await lastReply(page).textContent(), /400 tokens/);
  await page.getByRole('button', { name: 'Send' }).waitFor();
  // The conversation is kept in IndexedDB: it is listed after a reload.
  await page.reload();
  await page.getByRole('button', { name: 'Tell me a story', exact: true }).waitFor();
  await ui.close();
});

async function metric(name) {
  const text = await (await fetch(server.url + '/metrics')).text();
  return Number(text.match(new RegExp(`^${name} (\\d+)`, 'm'))[1]);
}
const cancelledCount = () => metric('airlock_cancelled_requests_total');

test('Stop ends a reply and the server cancels it', async () => {
  const ui = await open(server.url);
  const { page } = ui;
  await chooseModel(page, 'llama:latest');
  await setOption(page, 'num_predict', -1);  // no limit (the context shifts): seconds of generation
  const before = await cancelledCount();
  await page.fill('#prompt', 'Go on and on');
  await page.press('#prompt', 'Enter');
  await lastReply(page).locator('.md').first().waitFor();
  await page.getByRole('button', { name: 'Stop' }).click();
  await lastReply(page).getByText('Stopped.').waitFor();
  const text = await lastReply(page).textContent();
  await page.waitForTimeout(500);
  assert.equal(await lastReply(page).textContent(), text, 'the reply went on after Stop');
  assert.doesNotMatch(text, /tokens\/s/);
  for (let i = 0; i < 50 && (await cancelledCount()) === before; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await cancelledCount(), before + 1);
  await ui.close();
});

test('switching the model sends the next message to it', async () => {
  const ui = await open(server.url);
  const { page } = ui;
  for (const name of ['stories:latest', 'llama:latest']) {
    await chooseModel(page, name);
    await setOption(page, 'num_predict', 8);
    await page.fill('#prompt', `Hello ${name}`);
    await page.press('#prompt', 'Enter');
    await lastReply(page).locator('.meta', { hasText: 'tokens/s' }).waitFor();
    const ps = await (await fetch(server.url + '/api/ps')).json();
    const newest = ps.models.sort((a, b) => b.expires_at.localeCompare(a.expires_at))[0];
    assert.equal(newest.name, name);
  }
  await ui.close();
});

test('structured-output mode answers JSON that matches the pasted schema', async () => {
  const ui = await open(server.url);
  const { page } = ui;
  const schema = {
    type: 'object',
    properties: { name: { type: 'string', maxLength: 20 }, age: { type: 'integer', minimum: 0, maximum: 120 }, tags: { type: 'array', items: { enum: ['a', 'b'] }, maxItems: 3 } },
    required: ['name', 'age', 'tags'],
    additionalProperties: false,
  };
  await chooseModel(page, 'stories:latest');
  await setOption(page, 'num_predict', 200);
  await page.fill('#schema', JSON.stringify(schema));
  await page.fill('#prompt', 'Describe a person');
  await page.press('#prompt', 'Enter');
  await lastReply(page).getByText('Valid JSON: matches the schema').waitFor();
  const value = JSON.parse(await lastReply(page).locator('pre.code').textContent());
  assert.deepEqual(Object.keys(value).sort(), ['age', 'name', 'tags']);
  assert.equal(typeof value.name, 'string');
  assert.ok(Number.isInteger(value.age) && value.age >= 0 && value.age <= 120);
  assert.ok(Array.isArray(value.tags) && value.tags.every((t) => t === 'a' || t === 'b'));
  await ui.close();
});

test('edit and resend, regenerate, and export then import a conversation', async () => {
  const ui = await open(server.url);
  const { page } = ui;
  await chooseModel(page, 'stories:latest');
  await setOption(page, 'num_predict', 8);
  await page.fill('#prompt', 'First version');
  await page.press('#prompt', 'Enter');
  await lastReply(page).locator('.meta', { hasText: 'tokens/s' }).waitFor();

  await page.locator('li.msg.user').getByRole('button', { name: 'Edit' }).click();
  await page.fill('#edit-text', 'Second version');
  await page.getByRole('button', { name: 'Save and send' }).click();
  await lastReply(page).locator('.meta', { hasText: 'tokens/s' }).waitFor();
  assert.deepEqual(await page.locator('li.msg .user-text').allTextContents(), ['Second version']);
  assert.equal(await page.locator('li.msg.assistant').count(), 1);

  const generated = await metric('airlock_generated_tokens_total');
  await page.getByRole('button', { name: 'Regenerate' }).click();
  await page.getByRole('button', { name: 'Regenerate' }).waitFor();  // back once the new reply is done
  assert.equal(await metric('airlock_generated_tokens_total'), generated + 8);
  assert.equal(await page.locator('li.msg').count(), 2);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export' }).click()]);
  const file = join(mkdtempSync(join(tmpdir(), 'airlock-export-')), 'conversations.json');
  await download.saveAs(file);  // the download itself goes with its browser context
  const exported = JSON.parse(readFileSync(file, 'utf8'));
  const conv = exported.conversations.find((c) => c.messages[0]?.content === 'Second version');
  assert.ok(conv, 'the edited conversation is in the export');
  assert.equal(conv.messages.length, 2);
  await ui.close();

  const fresh = await open(server.url);
  await fresh.page.setInputFiles('input[type=file]', file);
  await fresh.page.getByRole('button', { name: conv.title, exact: true }).click();
  assert.deepEqual(await fresh.page.locator('li.msg .user-text').allTextContents(), ['Second version']);
  await fresh.close();
  rmSync(dirname(file), { recursive: true });
});

test('a reader at the end of a conversation stays there when the list shrinks', async () => {
  const ui = await open(server.url, '/', { viewport: { width: 390, height: 844 } });
  const { page } = ui;
  await page.setInputFiles('input[type=file]', new URL('sample-chat.json', import.meta.url).pathname);
  await page.getByRole('button', { name: 'Explain airlock', exact: true }).click();
  const atEnd = () => { const s = document.querySelector('.scroller'); return s.scrollHeight - s.scrollTop - s.clientHeight < 2; };
  await page.waitForFunction(() => { const s = document.querySelector('.scroller'); return s.scrollHeight > s.clientHeight + 100; });
  await page.waitForFunction(atEnd);
  await page.getByRole('button', { name: 'Settings' }).click();  // the settings panel takes room from the list
  await page.locator('#settings').waitFor();
  await page.waitForFunction(atEnd, null, { timeout: 3000 }).catch(() => assert.fail('the list kept its scroll position and hid the end'));
  await ui.close();
});

test('deleting a model asks for confirmation first', async () => {
  const ui = await open(server.url, '/#/models');
  const { page } = ui;
  const names = async () => (await (await fetch(server.url + '/api/tags')).json()).models.map((m) => m.name);
  await page.getByRole('button', { name: 'Delete spare:latest' }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.ok((await names()).includes('spare:latest'), 'deleted without confirmation');
  await page.getByRole('button', { name: 'Delete spare:latest' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('button', { name: 'Delete spare:latest' }).waitFor({ state: 'detached' });
  assert.ok(!(await names()).includes('spare:latest'));
  await ui.close();
});

test('a server with API keys prompts for one and keeps it for the session only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-keys-'));
  const right = 'right-key-0123456789abcdef';  // the server refuses keys under 16 characters
  writeFileSync(join(dir, 'keys'), right + '\n', { mode: 0o600 });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ api_key_file: join(dir, 'keys') }));
  const locked = await startServer([['stories260K.gguf', 'stories']], { AIRLOCK_CONFIG: join(dir, 'config.json') });
  try {
    const ui = await open(locked.url);
    const { page } = ui;
    ui.problems.length = 0;
    const dialog = page.getByRole('dialog', { name: 'API key needed' });
    await dialog.waitFor();
    await page.fill('#api-key', 'wrong-key');
    await page.press('#api-key', 'Enter');
    // Asked again, in a fresh dialog: the wrong key got a 401 too.
    await page.waitForFunction(() => sessionStorage.getItem('airlock.apiKey') === 'wrong-key' &&
                                     document.querySelector('dialog[open] #api-key')?.value === '');
    await page.fill('#api-key', right);
    await page.press('#api-key', 'Enter');
    await page.locator('#model option', { hasText: 'stories:latest' }).waitFor({ state: 'attached' });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('airlock.apiKey')), right);
    assert.equal(await page.evaluate((k) => JSON.stringify(localStorage).includes(k), right), false);
    await ui.close();
  } finally {
    await locked.stop();
    rmSync(dir, { recursive: true });
  }
});
