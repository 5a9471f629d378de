// HTTPS end to end: a throwaway CA and server certificate made with the openssl CLI, `airlock
// serve --tls-cert/--tls-key`, and the official openai client trusting the CA through
// NODE_EXTRA_CA_CERTS — and refusing the server without it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './server.mjs';

let server, dir;

function openssl(...args) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=airlock e2e test CA');
  openssl('req', ...ec, '-keyout', 'key.pem', '-out', 'leaf.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n');
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem',
    '-days', '1', '-extfile', 'ext.cnf');
  server = await startServer([['stories260K.gguf', 'stories']], {},
    ['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
});

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function client(env) {
  const out = execFileSync(process.execPath, ['tls_client.mjs', server.url], { env: { ...process.env, ...env } });
  return JSON.parse(out.toString());
}

test('the openai client trusting the test CA is served over HTTPS', () => {
  assert.match(server.url, /^https:\/\//);
  const r = client({ NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') });
  assert.equal(r.ok, true, r.error);
  assert.ok(r.whole.length > 0);
  assert.equal(r.streamed, r.whole);
});

test('without the CA the client refuses the server certificate', () => {
  const r = client({ NODE_EXTRA_CA_CERTS: '' });
  assert.equal(r.ok, false);
  assert.match(r.error, /CERT|certificate|UNABLE_TO_VERIFY/i);
});
