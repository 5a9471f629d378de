// 64 concurrent streaming chats against a server with 4 slots and a 40-request queue: every chat
// completes or gets a clean 503, nothing hangs, and memory returns near its baseline afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import { startServer, rssKiB } from './server.mjs';

test('64 concurrent streaming chats', { timeout: 120000 }, async () => {
  const server = await startServer([['stories260K.gguf', 'stories']],
    { AIRLOCK_NUM_PARALLEL: '4', AIRLOCK_MAX_QUEUE: '40' });
  try {
    const ollama = new Ollama({ host: server.url });
    const chat = () => ollama.chat({
      model: 'stories', stream: true, options: { num_predict: 24, temperature: 0.8, seed: 1 },
      messages: [{ role: 'user', content: 'Tell me a story about a dog' }],
    });
    // Warm up (model loaded), then take the baseline.
    for await (const _ of await chat());
    const baseline = rssKiB(server.pid);

    const outcomes = await Promise.all(Array.from({ length: 64 }, async () => {
      try {
        let done = false, tokens = 0;
        for await (const part of await chat()) { tokens += part.done ? 0 : 1; done ||= part.done; }
        return done && tokens > 0 ? 'completed' : 'incomplete';
      } catch (err) {
        return err.status_code === 503 ? 'busy' : `error: ${err.message}`;
      }
    }));
    const counts = outcomes.reduce((m, o) => ({ ...m, [o]: (m[o] ?? 0) + 1 }), {});
    console.log('outcomes', counts);
    assert.deepEqual(Object.keys(counts).filter((k) => k !== 'completed' && k !== 'busy'), []);
    assert.ok(counts.completed >= 44, `at least slots + queue complete: ${JSON.stringify(counts)}`);

    // Memory: no growth beyond a small margin once the burst is over.
    await new Promise((r) => setTimeout(r, 500));
    const after = rssKiB(server.pid);
    console.log(`rss baseline ${baseline} KiB, after ${after} KiB`);
    assert.ok(after < baseline + 64 * 1024, `RSS grew from ${baseline} to ${after} KiB`);
    // Still serving.
    const r = await ollama.generate({ model: 'stories', prompt: 'Once', options: { num_predict: 2 } });
    assert.equal(r.done, true);
  } finally {
    await server.stop();
  }
});
