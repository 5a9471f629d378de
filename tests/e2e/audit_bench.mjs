// Sustained throughput of `airlock serve` with N streams kept busy for a fixed time, for comparing
// the server with and without the audit trail:
//   node tests/e2e/audit_bench.mjs URL MODEL [streams=16] [seconds=20]
// Each stream sends streamed /api/generate requests back to back (BENCH_TOKENS tokens each,
// default 16). Prints completed requests/s and generated tokens/s over the measured time.
const [url, model, streamsArg = '16', secondsArg = '20'] = process.argv.slice(2);
if (!url || !model) {
  console.error('usage: node audit_bench.mjs URL MODEL [streams] [seconds]');
  process.exit(2);
}
const tokens = Number(process.env.BENCH_TOKENS ?? 16);
const streams = Number(streamsArg), seconds = Number(secondsArg);

async function one(i) {
  const res = await fetch(url + '/api/generate', {
    method: 'POST',
    body: JSON.stringify({ model, prompt: `Request ${i}: tell me about the number ${i * 7919}.`,
      options: { num_predict: tokens, temperature: 0.7, seed: i } }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const text = await res.text();
  const last = JSON.parse(text.trim().split('\n').pop());
  if (last.error) throw new Error(last.error);
  return last.eval_count;
}

await one(0);  // load the model
let requests = 0, generated = 0, n = 0;
const end = performance.now() + seconds * 1000;
const t0 = performance.now();
await Promise.all(Array.from({ length: streams }, async () => {
  while (performance.now() < end) {
    const t = await one(++n);  // awaited first: `generated += await` would lose concurrent updates
    generated += t;
    ++requests;
  }
}));
const wall = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ streams, seconds: +wall.toFixed(2), requests, requests_per_s: +(requests / wall).toFixed(2),
  tokens_per_s: +(generated / wall).toFixed(1) }));
