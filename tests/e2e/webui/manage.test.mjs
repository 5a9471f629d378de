// The web UI's management pages in Debian's headless Chromium against a real `airlock serve`:
// documents (create a collection with the BERT fixture embedder, upload a file, a chat answer from
// it whose sources open their chunk, delete after confirmation), model versions and signatures (a
// bundle signed and imported with the CLI, a rollback from the page), the server's status, and on
// every page: named controls, keyboard order, contrast in both themes and a narrow screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, startServer } from '../server.mjs';
import { chooseModel, lastReply, launch, open, setOption } from './page.mjs';

let server, browser;
const PUMP = 'The coolant pump must be inspected every 400 operating hours.\n' +
  'Replace the impeller seal when the drip rate exceeds three drops per minute.\n';

before(async () => {
  server = await startServer([['stories260K.gguf', 'stories'], ['llama-spm-q4_0.gguf', 'llama'], ['bert-bge-f16.gguf', 'bge']]);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const json = async (path, init) => (await fetch(server.url + path, init)).json();
const post = (path, body) => json(path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

test('documents: create a collection, upload a file, chat with it and open a cited source', async () => {
  const ui = await open(browser, server.url, '/#/documents');
  const { page } = ui;
  // Only the embedding model is offered for a collection.
  await page.locator('#embed-model option').first().waitFor({ state: 'attached' });
  assert.deepEqual(await page.locator('#embed-model option').allTextContents(), ['bge:latest']);
  await page.fill('#collection-name', 'plant');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.getByRole('rowheader', { name: 'plant' }).waitFor();

  // A file the server cannot read: the bar shows its bytes going out, then the refusal by name.
  await page.evaluate(() => {
    window.bars = [];
    new MutationObserver(() => {
      const bar = document.querySelector('progress');
      if (bar) window.bars.push([bar.value, bar.max]);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  await page.getByLabel('Upload files into plant').setInputFiles({ name: 'scan.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(1 << 20, 7) });
  await page.getByText('scan.bin: unsupported file type').waitFor();
  const bars = await page.evaluate(() => window.bars);
  // The total is the file's size, then the request body's (the file plus its multipart framing).
  assert.ok(bars.length > 0 && bars.every(([sent, total]) => total >= 1 << 20 && total < (1 << 20) + 1024 && sent <= total),
            `progress ${JSON.stringify(bars)}`);
  await page.getByLabel('Upload files into plant').setInputFiles({ name: 'pump.txt', mimeType: 'text/plain', buffer: Buffer.from(PUMP) });
  await page.getByText('Uploaded: 1 added, 1 chunks.').waitFor();
  const stored = await json('/api/rag/collections/plant');
  assert.deepEqual(stored.documents_list.map((d) => d.path), ['pump.txt']);
  // A new collection opens its document list, which the upload refreshed.
  await page.getByRole('list', { name: 'Documents in plant' }).getByText('pump.txt').waitFor();

  // A chat that answers from the collection: its reply lists the numbered sources.
  await page.getByRole('link', { name: 'Chat' }).click();
  // The embedding model cannot chat: it leaves the model list once its capabilities are known.
  await page.waitForFunction(() => { const o = [...document.querySelectorAll('#model option')].map((x) => x.value); return o.length && !o.includes('bge:latest'); });
  assert.deepEqual(await page.locator('#model option').allTextContents(), ['llama:latest', 'stories:latest']);
  await chooseModel(page, 'llama:latest');
  await page.locator('#collection option', { hasText: 'plant' }).waitFor({ state: 'attached' });
  await page.selectOption('#collection', 'plant');
  await setOption(page, 'num_predict', 8);
  await page.fill('#prompt', 'How often is the coolant pump inspected?');
  await page.press('#prompt', 'Enter');
  await lastReply(page).locator('.meta', { hasText: 'tokens/s' }).waitFor();
  const source = lastReply(page).getByRole('button', { name: 'Source 1: pump.txt, lines 1–2' });
  await source.click();
  const dialog = page.getByRole('dialog', { name: 'Source [1]' });
  await dialog.waitFor();
  const shown = await dialog.textContent();
  assert.ok(shown.includes(PUMP.trim().split('\n')[0]), shown);
  assert.match(shown, /pump\.txt · lines 1–2/);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await source.evaluate((b) => b === document.activeElement), true, 'focus back on the source button');
  // The sources stay with the conversation: still there after a reload.
  await page.reload();
  await page.getByRole('button', { name: 'How often is the coolant pump inspected?', exact: true }).click();
  await lastReply(page).getByRole('button', { name: 'Source 1: pump.txt, lines 1–2' }).waitFor();

  // Delete asks first.
  await page.getByRole('link', { name: 'Documents' }).click();
  await page.getByRole('button', { name: 'Delete collection plant' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await json('/api/rag/collections')).collections.length, 1, 'deleted without confirmation');
  await page.getByRole('button', { name: 'Delete collection plant' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('rowheader', { name: 'plant' }).waitFor({ state: 'detached' });
  assert.equal((await json('/api/rag/collections')).collections.length, 0);
  await ui.close();
});

test('a citation [n] in an answer opens its source', async () => {
  // An answer that cites, as a model that follows the sources prompt writes it (the fixture models
  // write noise): an exported conversation, imported through the page.
  const dir = mkdtempSync(join(tmpdir(), 'airlock-cite-'));
  const file = join(dir, 'cited.json');
  const source = { number: 2, path: 'manuals/pump.md', lines: [3, 4], heading: 'Coolant pump', text: 'Inspect every 400 hours.', collection: 'plant' };
  const conversation = { id: 'c1', title: 'Cited answer', model: 'llama:latest', collection: '', system: '', options: {}, schema: '', updated: 1,
    messages: [{ role: 'user', content: 'How often?' }, { role: 'assistant', content: 'Every 400 hours [2].', sources: [source] }] };
  writeFileSync(file, JSON.stringify({ airlock_conversations: 1, conversations: [conversation] }));
  const ui = await open(browser, server.url);
  const { page } = ui;
  await page.setInputFiles('input[type=file]', file);
  await page.getByRole('button', { name: 'Cited answer', exact: true }).click();
  await lastReply(page).getByRole('button', { name: 'Source 2', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Source [2]' });
  assert.match(await dialog.textContent(), /manuals\/pump\.md · lines 3–4 · Coolant pump.*Inspect every 400 hours\./s);
  await ui.close();
  rmSync(dir, { recursive: true });
});

test('models: signature of a bundle import, versions, and a rollback after confirmation', async () => {
  // A signed bundle, made and imported with the CLI into the server's store.
  const dir = mkdtempSync(join(tmpdir(), 'airlock-bundle-'));
  const cli = (...args) => execFileSync(bin, args, { env: { ...process.env, AIRLOCK_MODELS: server.store }, stdio: 'pipe' });
  cli('keys', 'generate', '-o', join(dir, 'site'));
  cli('cp', 'stories', 'signed');
  cli('bundle', 'export', 'signed', '-o', join(dir, 'b.tar'), '--sign', join(dir, 'site.key'));
  cli('rm', 'signed');
  cli('keys', 'trust', join(dir, 'site.pub'));
  cli('bundle', 'import', join(dir, 'b.tar'));
  const keyId = readFileSync(join(dir, 'site.pub'), 'utf8').match(/key-id: (\w+)/)[1];
  // The file's name, not where it lay on the server.
  assert.equal((await post('/api/history', { model: 'signed' })).versions[0].source, `bundle b.tar (signed by key ${keyId}, trusted)`);
  rmSync(dir, { recursive: true });
  // Two versions of another name: the second adds a system prompt.
  await post('/api/create', { model: 'versioned', from: 'stories', stream: false });
  const first = (await post('/api/history', { model: 'versioned' })).current;
  await post('/api/create', { model: 'versioned', from: 'stories', system: 'Be brief.', stream: false });

  const ui = await open(browser, server.url, '/#/models');
  const { page } = ui;
  const row = page.getByRole('row', { name: /^signed:latest/ });
  await row.getByText('Signed, trusted key').waitFor();
  assert.equal(await row.getByText('Signed, trusted key').getAttribute('title'), `key ${keyId}`);
  assert.match(await page.getByRole('row', { name: /^stories:latest/ }).textContent(), /Local import/);

  await page.getByRole('button', { name: 'Details of versioned:latest' }).click();
  const back = page.getByRole('button', { name: `Roll back versioned:latest to ${first.slice(7, 19)}` });
  await back.click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
  assert.notEqual((await post('/api/history', { model: 'versioned' })).current, first, 'rolled back without confirmation');
  await back.click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Roll back', exact: true }).click();
  await page.locator('.versions tr.current', { hasText: first.slice(7, 19) }).waitFor();
  assert.equal((await post('/api/history', { model: 'versioned' })).current, first);
  assert.equal((await post('/api/show', { model: 'versioned' })).system, undefined);
  await ui.close();
});

test('status: server settings, slots and counters', async () => {
  const ui = await open(browser, server.url, '/#/status');
  const { page } = ui;
  await page.locator('.settings-list').waitFor();
  const text = await page.locator('.settings-list').textContent();
  for (const row of ['Audit trailoff', 'Egress lock-downoff', 'TLS (HTTPS)off', 'Read-only storeoff', 'API keys requiredoff'])
    assert.ok(text.includes(row), `${row} not in ${text}`);
  // A model in memory shows its slots.
  await post('/api/generate', { model: 'stories', prompt: 'Once', stream: false, options: { num_predict: 2 } });
  await page.getByRole('row', { name: /^stories:latest/ }).getByRole('cell', { name: '0 / 4' }).waitFor();
  await ui.close();
});

// WCAG relative luminance and contrast ratio of two #rrggbb colours.
function contrast(a, b) {
  const lum = (hex) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

// Controls a screen reader could not name: no label, aria-label(ledby), title or text.
const unnamedControls = () => [...document.querySelectorAll('button, input, select, textarea, a[href]')]
  .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') ||
                    el.title || (el.matches('button, a') && el.textContent.trim())))
  .map((el) => el.outerHTML.slice(0, 80));

test('every page: named controls, keyboard order, contrast in both themes, no sideways scroll on a phone', async () => {
  await post('/api/rag/collections', { name: 'manuals', embed_model: 'bge' });
  for (const colorScheme of ['light', 'dark']) {
    const ui = await open(browser, server.url, '/', { colorScheme, viewport: { width: 390, height: 844 } });
    const { page } = ui;
    const colours = await page.evaluate(() => Object.fromEntries(['fg', 'bg', 'muted', 'panel', 'accent', 'accent-fg', 'danger', 'ok', 'warn']
      .map((v) => [v, getComputedStyle(document.documentElement).getPropertyValue(`--${v}`).trim()])));
    for (const [text, background] of [['fg', 'bg'], ['fg', 'panel'], ['muted', 'bg'], ['muted', 'panel'], ['accent', 'bg'], ['accent', 'panel'],
      ['accent-fg', 'accent'], ['danger', 'bg'], ['danger', 'panel'], ['ok', 'bg'], ['warn', 'bg']])
      assert.ok(contrast(colours[text], colours[background]) >= 4.5, `${colorScheme}: ${text} on ${background} below 4.5:1`);
    // Keyboard: the skip link first, then the pages in order, then the theme.
    await page.locator('#model option').first().waitFor({ state: 'attached' });
    await page.getByRole('link', { name: 'Documents' }).waitFor();  // shown once the RAG routes answer
    const order = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement.getAttribute('aria-label') || document.activeElement.textContent.trim().slice(0, 20)));
    }
    assert.deepEqual(order.slice(0, 5), ['Skip to content', 'Chat', 'Documents', 'Models', 'Status']);
    assert.match(order[5], /^System theme/);
    // Each page once its fetched content is in (the chat's collection picker, a collection's row).
    for (const [hash, ready] of [['#/chat', '#collection'], ['#/documents', 'th:text-is("manuals")'], ['#/models', 'table.models'], ['#/status', '.settings-list']]) {
      await page.goto(server.url + '/' + hash);
      await page.locator(ready).first().waitFor();
      assert.deepEqual(await page.evaluate(unnamedControls), [], `${hash}: controls without a name`);
      const sideways = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
      assert.ok(sideways <= 0, `${hash} (${colorScheme}): the page scrolls sideways by ${sideways} px at 390 px wide`);
    }
    await ui.close();
  }
});
