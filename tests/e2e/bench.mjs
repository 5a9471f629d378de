// Throughput and latency of `airlock serve` under N concurrent streaming requests:
//   node tests/e2e/bench.mjs URL MODEL [streams...] (default 1 4 16), each stream generating
//   BENCH_TOKENS tokens (default 32) from its own short prompt. BENCH_SYSTEM_WORDS=N (default 0)
//   puts a shared system prompt of N words (about 4 tokens each) before every prompt; it differs
//   from one concurrency level to the next, so each level starts with the prefix uncached, as
//   when a new system prompt meets a burst of users.
// Prints, per concurrency: aggregate generated tokens/s (all streams' eval_count over wall time),
// p50/p99 time to first token (request sent to first streamed piece), and the prompt tokens the
// server evaluated (prompt_eval_count: a reused prefix is not counted).
// BENCH_API=openai sends the same prompts to /v1/completions (streamed) instead, so the reference
// llama-server can be measured the same way: tokens are the streamed text chunks, and the prompt
// tokens evaluated are llama-server's timings.prompt_n where the server reports it ("?" otherwise).
const [url, model, ...levels] = process.argv.slice(2);
if (!url || !model) {
  console.error('usage: node bench.mjs URL MODEL [streams...]');
  process.exit(2);
}
const tokens = Number(process.env.BENCH_TOKENS ?? 32);
const systemWords = Number(process.env.BENCH_SYSTEM_WORDS ?? 0);
const openai = process.env.BENCH_API === 'openai';

function systemPrompt(level) {
  if (!systemWords) return '';
  const words = Array.from({ length: systemWords }, (_, k) => `rule${level}x${(k * 7919) % 10007}`);
  return `System: ${words.join(' ')}\n`;
}

async function stream(i, system = '') {
  const t0 = performance.now();
  const prompt = `${system}Request ${i}: tell me about the number ${i * 7919}.`;
  const body = openai
    ? { model, prompt, stream: true, max_tokens: tokens, temperature: 0.7, seed: i }
    : { model, prompt, raw: true, options: { num_predict: tokens, temperature: 0.7, seed: i } };
  const res = await fetch(url + (openai ? '/v1/completions' : '/api/generate'), { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let ttft = null, buf = '', evalCount = 0, promptEval = openai ? NaN : 0;
  const decoder = new TextDecoder();
  const onLine = (text) => {
    if (openai) {
      if (!text.startsWith('data: ') || text === 'data: [DONE]') return;
      const line = JSON.parse(text.slice(6));
      if (line.error) throw new Error(JSON.stringify(line.error));
      if (line.choices?.[0]?.text) {
        evalCount++;
        if (ttft === null) ttft = performance.now() - t0;
      }
      if (line.timings?.prompt_n !== undefined) promptEval = line.timings.prompt_n;
      return;
    }
    const line = JSON.parse(text);
    if (line.error) throw new Error(line.error);
    if (!line.done && line.response && ttft === null) ttft = performance.now() - t0;
    if (line.done) evalCount = line.eval_count, promptEval = line.prompt_eval_count;
  };
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (text) onLine(text);
    }
  }
  return { ttft, evalCount, promptEval };
}

const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

await stream(0);  // load the model
for (const n of (levels.length ? levels : ['1', '4', '16']).map(Number)) {
  const t0 = performance.now();
  const system = systemPrompt(n);
  const results = await Promise.all(Array.from({ length: n }, (_, i) => stream(i + 1, system)));
  const wall = (performance.now() - t0) / 1000;
  const total = results.reduce((s, r) => s + r.evalCount, 0);
  const ttfts = results.map((r) => r.ttft);
  const evaluated = results.reduce((s, r) => s + r.promptEval, 0);
  console.log(`streams ${String(n).padStart(2)}: ${(total / wall).toFixed(2)} tokens/s aggregate ` +
    `(${total} tokens in ${wall.toFixed(1)} s), TTFT p50 ${pct(ttfts, 0.5).toFixed(0)} ms, p99 ${pct(ttfts, 0.99).toFixed(0)} ms, ` +
    `${Number.isNaN(evaluated) ? '?' : evaluated} prompt tokens evaluated`);
}
