// The cost of the audit trail at full speed: two `airlock serve` processes over the same fixture
// model, one without and one with `--audit`, measured in interleaved rounds (off/on, then on/off,
// ...) so that the machine's drift and other load fall on both alike:
//   AIRLOCK_BIN=build/airlock AIRLOCK_FIXTURES=../shared/fixtures \
//     node tests/e2e/audit_bench.mjs [--model llama-spm-q4_0.gguf] [--streams 16] [--seconds 10]
//                                    [--rounds 6] [--tokens 16] [--audit-fsync-ms 0] [--no-audit]
// --no-audit runs the same comparison with the trail off in both servers (an A/A test): what the
// method reports when there is no difference at all.
// In each round N streams send streamed /api/generate requests back to back for the given time.
// Prints every round; for requests/s, tokens/s and the server's CPU ms per request, the median of
// each server, the overhead of the medians, the overhead within each off/on pair (its median and
// range), and the spread between the unaudited rounds themselves: an overhead smaller than that
// spread is not resolved. It fails unless the audited server wrote a record per request. Both
// servers stay up throughout; the CPU time the idle one used during the other's rounds is printed
// too, so that it is visible when an idle server is not idle.
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from './server.mjs';

const { values: opt } = parseArgs({
  options: {
    model: { type: 'string', default: 'llama-spm-q4_0.gguf' },
    streams: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '6' },
    tokens: { type: 'string', default: '16' },
    'audit-fsync-ms': { type: 'string', default: '0' },
    'no-audit': { type: 'boolean', default: false },
  },
});
const streams = Number(opt.streams), seconds = Number(opt.seconds), rounds = Number(opt.rounds);
const tokens = Number(opt.tokens);

async function one(url, i) {
  const res = await fetch(url + '/api/generate', {
    method: 'POST',
    body: JSON.stringify({ model: 'bench', prompt: `Request ${i}: tell me about the number ${i * 7919}.`,
      options: { num_predict: tokens, temperature: 0.7, seed: i } }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const last = JSON.parse((await res.text()).trim().split('\n').pop());
  if (last.error) throw new Error(last.error);
  return last.eval_count;
}

// User + system CPU seconds of a process so far.
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime in clock ticks (USER_HZ 100)
}

async function measure(server) {
  let requests = 0, generated = 0, n = 0;
  const cpu0 = cpuSeconds(server.pid);
  const t0 = performance.now(), end = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: streams }, async () => {
    while (performance.now() < end) {
      const t = await one(server.url, ++n);  // awaited first: `generated += await` would lose updates
      generated += t;
      ++requests;
    }
  }));
  const wall = (performance.now() - t0) / 1000;
  // CPU the server spent per request: the audit's own work, much less disturbed by other load on
  // the machine than the rates are (time spent waiting for fdatasync is not in it).
  const cpu_ms_per_request = (1000 * (cpuSeconds(server.pid) - cpu0)) / requests;
  return { requests, requests_per_s: requests / wall, tokens_per_s: generated / wall, cpu_ms_per_request };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (x) => `${(100 * x).toFixed(1)}%`;

const auditDir = mkdtempSync(join(tmpdir(), 'airlock-audit-bench-'));
// Both servers read a config file, so that they differ in the audit settings only.
const offConfig = join(auditDir, 'off.json'), onConfig = join(auditDir, 'on.json');
writeFileSync(offConfig, '{}');
writeFileSync(onConfig, opt['no-audit'] ? '{}'
  : JSON.stringify({ audit: join(auditDir, 'trail'), audit_fsync_ms: Number(opt['audit-fsync-ms']) }));
const models = [[opt.model, 'bench']];
const servers = {
  off: await startServer(models, {}, ['--config', offConfig]),
  on: await startServer(models, {}, ['--config', onConfig]),
};
try {
  for (const s of Object.values(servers)) await one(s.url, 0);  // load the model
  const results = { off: [], on: [] }, idleCpu = { off: [], on: [] };
  for (let r = 0; r < rounds; ++r) {
    const order = r % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
    for (const which of order) {
      const idle = which === 'on' ? 'off' : 'on';
      const before = cpuSeconds(servers[idle].pid);
      const m = await measure(servers[which]);
      idleCpu[idle].push(cpuSeconds(servers[idle].pid) - before);
      results[which].push(m);
      console.log(`round ${r + 1} audit ${which.padEnd(3)}: ${m.requests_per_s.toFixed(1)} requests/s, ` +
                  `${m.tokens_per_s.toFixed(0)} tokens/s, ${m.cpu_ms_per_request.toFixed(2)} CPU ms/request`);
    }
  }
  const summary = { model: opt.model, streams, seconds, rounds, tokens, audit_fsync_ms: Number(opt['audit-fsync-ms']),
    audit: !opt['no-audit'] };
  // Overheads as the share of throughput lost, or for CPU per request the share added.
  for (const metric of ['requests_per_s', 'tokens_per_s', 'cpu_ms_per_request']) {
    const off = results.off.map((m) => m[metric]), on = results.on.map((m) => m[metric]);
    const sign = metric === 'cpu_ms_per_request' ? -1 : 1;
    const paired = off.map((x, i) => sign * (1 - on[i] / x));
    summary[metric] = {
      off_median: +median(off).toFixed(2), on_median: +median(on).toFixed(2),
      overhead_of_medians: +(sign * (1 - median(on) / median(off))).toFixed(4),
      paired_overhead_median: +median(paired).toFixed(4),
      paired_overhead_min: +Math.min(...paired).toFixed(4), paired_overhead_max: +Math.max(...paired).toFixed(4),
      off_spread: +(Math.max(...off) / Math.min(...off) - 1).toFixed(4),
    };
    const s = summary[metric];
    console.log(`${metric}: off median ${s.off_median}, on median ${s.on_median}, overhead ${pct(s.overhead_of_medians)}; ` +
                `per pair median ${pct(s.paired_overhead_median)} (${pct(s.paired_overhead_min)} .. ${pct(s.paired_overhead_max)}); ` +
                `unaudited rounds differ by up to ${pct(s.off_spread)}`);
  }
  summary.idle_server_cpu_s = { off: +Math.max(...idleCpu.off).toFixed(2), on: +Math.max(...idleCpu.on).toFixed(2) };
  console.log(`CPU seconds an idle server used during the other's round (most): off ${summary.idle_server_cpu_s.off}, ` +
              `on ${summary.idle_server_cpu_s.on}`);
  // Proof that the audited server audited: a request record for every request it answered.
  const trail = join(auditDir, 'trail');
  const records = opt['no-audit'] ? [] : readdirSync(trail).filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(trail, f), 'utf8').split('\n').filter((l) => l.includes('"type":"request"')));
  const answered = results.on.reduce((a, m) => a + m.requests, 0);
  summary.audit_request_records = records.length;
  if (!opt['no-audit'] && records.length < answered) throw new Error(`only ${records.length} request records for ${answered} audited requests`);
  console.log(JSON.stringify(summary));
} finally {
  await servers.off.stop();
  await servers.on.stop();
  rmSync(auditDir, { recursive: true, force: true });
}
