// Takes the README's screenshots of each page, light and dark, into docs/screenshots/:
//   AIRLOCK_BIN=build/airlock AIRLOCK_FIXTURES=../shared/fixtures node tests/e2e/webui/screenshots.mjs
// The fixture models write nonsense, so the chat shown is an imported conversation (sample-chat.json)
// that shows Markdown, code, a thinking block and a tool call, followed by one live reply.
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startServer } from '../server.mjs';

const out = new URL('../../../docs/screenshots/', import.meta.url).pathname;
const sample = new URL('sample-chat.json', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const server = await startServer([['stories260K.gguf', 'stories'], ['llama-spm-q4_0.gguf', 'llama']]);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
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
      await page.goto(server.url + '/#/models');
      await page.getByRole('button', { name: 'Details' }).first().click();
      await page.locator('.details summary').first().waitFor();
      await page.screenshot({ path: `${out}models-${scheme}.png` });
      await page.goto(server.url + '/#/status');
      await page.getByText('stories:latest').waitFor();
      await page.screenshot({ path: `${out}status-${scheme}.png` });
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
console.log(`screenshots written to ${out}`);
