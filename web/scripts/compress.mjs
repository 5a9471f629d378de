// Gzips the Vite output (build/) into dist/, the bundle that is committed and embedded in airlock.
// Level 9, and Node writes no timestamp or name into the gzip header, so the bytes depend only on
// the input (and zlib's version; scripts/check_web_bundle.sh therefore compares unpacked content).
import { readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const from = process.argv[2] || join(root, 'build');
const to = process.argv[3] || join(root, 'dist');

function files(dir) {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

rmSync(to, { recursive: true, force: true });
let total = 0;
for (const f of files(from)) {
  const out = join(to, relative(from, f) + '.gz');
  mkdirSync(dirname(out), { recursive: true });
  const gz = gzipSync(readFileSync(f), { level: 9 });
  writeFileSync(out, gz);
  total += gz.length;
  console.log(`${relative(to, out)}  ${gz.length} B`);
}
console.log(`total ${total} B gzipped`);
