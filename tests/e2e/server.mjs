// Starts `airlock serve` on a free loopback port over a temporary store holding fixture models
// (imported with `airlock import`), and stops it again.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const bin = process.env.AIRLOCK_BIN;
export const fixtures = process.env.AIRLOCK_FIXTURES;

export function rssKiB(pid) {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return Number(m[1]);
}

// models: [[fixture file, name], ...]; env: extra environment for the server; args: extra flags.
export async function startServer(models, env = {}, args = []) {
  if (!bin || !fixtures) throw new Error('AIRLOCK_BIN and AIRLOCK_FIXTURES must be set');
  const store = mkdtempSync(join(tmpdir(), 'airlock-e2e-'));
  const childEnv = { ...process.env, AIRLOCK_MODELS: store, ...env };
  for (const [file, name] of models)
    execFileSync(bin, ['import', join(fixtures, 'models', file), '--name', name], { env: childEnv, stdio: 'ignore' });
  const proc = spawn(bin, ['serve', '--host', '127.0.0.1', '--port', '0', '--no-demo', ...args], { env: childEnv });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start: ' + log)), 30000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/listening on (https?:\/\/[0-9.]+:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}): ${log}`)); });
  });
  proc.stderr.removeAllListeners('data');
  proc.stderr.on('data', () => {});  // keep draining the request log
  return {
    url,
    store,
    pid: proc.pid,
    async stop() {
      proc.removeAllListeners('exit');
      const exited = new Promise((r) => proc.on('exit', (code, signal) => r(signal)));
      proc.kill('SIGTERM');
      // A server that does not stop on SIGTERM is a failure, but must not hang the test run.
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      const signal = await exited;
      clearTimeout(timer);
      rmSync(store, { recursive: true, force: true });
      if (signal === 'SIGKILL') throw new Error('airlock serve did not stop within 10 s of SIGTERM');
    },
  };
}
