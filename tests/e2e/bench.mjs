// Throughput and latency of `airlock serve` under N concurrent streaming requests:
//   node tests/e2e/bench.mjs URL MODEL [streams...] (default 1 4 16), each stream generating
//   BENCH_TOKENS tokens (default 32) from its own short prompt.
// Prints, per concurrency: aggregate generated tokens/s (all streams' eval_count over wall time)
// and p50/p99 time to first token (request sent to first streamed piece).
const [url, model, ...levels] = process.argv.slice(2);
if (!url || !model) {
  console.error('usage: node bench.mjs URL MODEL [streams...]');
  process.exit(2);
}
const tokens = Number(process.env.BENCH_TOKENS ?? 32);

async function stream(i) {
  const t0 = performance.now();
  const res = await fetch(url + '/api/generate', {
    method: 'POST',
    body: JSON.stringify({ model, prompt: `Request ${i}: tell me about the number ${i * 7919}.`, raw: true,
      options: { num_predict: tokens, temperature: 0.7, seed: i } }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let ttft = null, buf = '', evalCount = 0;
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (line.error) throw new Error(line.error);
      if (!line.done && line.response && ttft === null) ttft = performance.now() - t0;
      if (line.done) evalCount = line.eval_count;
    }
  }
  return { ttft, evalCount };
}

const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

await stream(0);  // load the model
for (const n of (levels.length ? levels : ['1', '4', '16']).map(Number)) {
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: n }, (_, i) => stream(i + 1)));
  const wall = (performance.now() - t0) / 1000;
  const total = results.reduce((s, r) => s + r.evalCount, 0);
  const ttfts = results.map((r) => r.ttft);
  console.log(`streams ${String(n).padStart(2)}: ${(total / wall).toFixed(2)} tokens/s aggregate ` +
    `(${total} tokens in ${wall.toFixed(1)} s), TTFT p50 ${pct(ttfts, 0.5).toFixed(0)} ms, p99 ${pct(ttfts, 0.99).toFixed(0)} ms`);
}
