// Takes the README's screenshots of each page, light and dark, into docs/screenshots/:
//   AIRLOCK_BIN=build/airlock AIRLOCK_FIXTURES=../shared/fixtures node tests/e2e/webui/screenshots.mjs
// The fixture models write nonsense, so the chat shown is an imported conversation (sample-chat.json)
// that shows Markdown, code, a thinking block and a tool call, followed by one live reply. The
// documents, citation and models pages show real state: a collection filled over HTTP, a chat
// answered from it, a bundle signed and imported with the CLI, and a model with two versions.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, startServer } from '../server.mjs';
import { launch } from './page.mjs';

const out = new URL('../../../docs/screenshots/', import.meta.url).pathname;
const sample = new URL('sample-chat.json', import.meta.url).pathname;
const MANUAL = `# Coolant pump P-101

## Inspection
Inspect the coolant pump every 400 operating hours. Check the drip rate at the impeller seal and
the bearing temperature; log both in the maintenance book.

## Seal replacement
Replace the impeller seal when the drip rate exceeds three drops per minute. Isolate the pump,
drain the casing and fit the new seal dry.
`;

mkdirSync(out, { recursive: true });
const server = await startServer([['stories260K.gguf', 'stories'], ['llama-spm-q4_0.gguf', 'llama'], ['bert-bge-f16.gguf', 'bge']]);
const post = (path, body, type = 'application/json') =>
  fetch(server.url + path, { method: 'POST', body: type === 'application/json' ? JSON.stringify(body) : body, headers: { 'Content-Type': type } });
await post('/api/rag/collections', { name: 'manuals', embed_model: 'bge', chunk_tokens: 48, overlap_tokens: 8 });
await post('/api/rag/collections/manuals/documents?path=pump-p101.md', MANUAL, 'text/markdown');
const keys = mkdtempSync(join(tmpdir(), 'airlock-shots-'));
const cli = (...args) => execFileSync(bin, args, { env: { ...process.env, AIRLOCK_MODELS: server.store }, stdio: 'pipe' });
cli('keys', 'generate', '-o', join(keys, 'site'));
cli('cp', 'stories', 'tales');
cli('bundle', 'export', 'tales', '-o', join(keys, 'b.tar'), '--sign', join(keys, 'site.key'));
cli('rm', 'tales');
cli('keys', 'trust', join(keys, 'site.pub'));
cli('bundle', 'import', join(keys, 'b.tar'));
rmSync(keys, { recursive: true });
await post('/api/create', { model: 'stories', from: 'stories', system: 'Tell short stories.', stream: false });

const browser = await launch();
try {
  for (const scheme of ['light', 'dark']) {
    for (const [name, viewport] of [['', { width: 1280, height: 1100 }], ['-narrow', { width: 390, height: 844 }]]) {
      if (name && scheme === 'light') continue;  // one narrow screen is enough to show the layout
      const context = await browser.newContext({ colorScheme: scheme, viewport });
      const page = await context.newPage();
      await page.goto(server.url + '/');
      await page.setInputFiles('input[type=file]', sample);
      await page.getByRole('button', { name: 'Explain airlock', exact: true }).click();
      await page.selectOption('#model', 'stories:latest');
      await page.fill('#prompt', 'Tell me a short story');
      await page.press('#prompt', 'Enter');
      await page.locator('li.msg.assistant').nth(2).locator('.meta', { hasText: 'tokens/s' }).waitFor();
      // The list follows the reply to its end once the last render has painted.
      await page.waitForFunction(() => { const s = document.querySelector('.scroller'); return s.scrollHeight - s.scrollTop - s.clientHeight < 2; });
      await page.screenshot({ path: `${out}chat-${scheme}${name}.png` });
      if (name) { await context.close(); continue; }

      await page.getByRole('button', { name: 'New chat' }).click();
      await page.selectOption('#model', 'llama:latest');
      await page.selectOption('#collection', 'manuals');
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.fill('input[name="num_predict"]', '24');
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.fill('#prompt', 'How often is the coolant pump inspected?');
      await page.press('#prompt', 'Enter');
      const reply = page.locator('li.msg.assistant').last();
      await reply.locator('.meta', { hasText: 'tokens/s' }).waitFor();
      await reply.getByRole('button', { name: /^Source 1:/ }).click();
      await page.getByRole('dialog').waitFor();
      await page.screenshot({ path: `${out}citations-${scheme}.png` });

      await page.goto(server.url + '/#/documents');
      await page.getByRole('button', { name: 'Documents of manuals' }).click();
      await page.locator('.doc-list').waitFor();
      await page.getByRole('searchbox', { name: 'Query' }).fill('seal replacement drip rate');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.locator('.sources summary').first().click();
      await page.screenshot({ path: `${out}documents-${scheme}.png` });

      await page.goto(server.url + '/#/models');
      await page.getByText('Signed, trusted key').waitFor();
      await page.getByRole('button', { name: 'Details of stories:latest' }).click();
      await page.locator('.details summary').first().waitFor();
      await page.locator('.versions tbody tr').nth(1).waitFor();
      await page.screenshot({ path: `${out}models-${scheme}.png` });

      await page.goto(server.url + '/#/status');
      await page.getByText('llama:latest').waitFor();
      await page.screenshot({ path: `${out}status-${scheme}.png` });
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
console.log(`screenshots written to ${out}`);
