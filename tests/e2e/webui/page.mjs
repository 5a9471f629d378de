// What the web UI tests share: a browser context per test with a guard against script and CSP
// errors, and the chat page's controls.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const launch = () => chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });

// A fresh browser context (own IndexedDB and storage); close() fails the test on any page error.
export async function open(browser, url, path = '/', contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) problems.push(m.text()); });
  await page.goto(url + path);
  return { page, problems, async close() { await context.close(); assert.deepEqual(problems, []); } };
}

export async function chooseModel(page, name) {
  await page.locator('#model option', { hasText: name }).first().waitFor({ state: 'attached' });
  await page.selectOption('#model', name);
}

export async function setOption(page, name, value) {
  if (!(await page.locator('#settings').isVisible())) await page.getByRole('button', { name: 'Settings' }).click();
  await page.fill(`input[name="${name}"]`, String(value));
}

export const lastReply = (page) => page.locator('li.msg.assistant').last();
