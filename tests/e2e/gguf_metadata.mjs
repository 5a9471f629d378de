// Writes a copy of a GGUF file with metadata added (a chat template, FIM token ids: the fixture
// models carry neither), so the e2e tests can serve a thinking or a code model. Follows the GGUF
// layout: header, key/values, tensor infos, then the tensor data at the file's alignment, whose
// offsets are relative to it.
import { readFileSync, writeFileSync } from 'node:fs';

const SCALAR_SIZE = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8, ARRAY = 9, UINT32 = 4;

function parse(buf) {
  let pos = 0;
  const u32 = () => { const v = buf.readUInt32LE(pos); pos += 4; return v; };
  const u64 = () => { const v = Number(buf.readBigUInt64LE(pos)); pos += 8; return v; };
  const str = () => { const n = u64(); const s = buf.toString('utf8', pos, pos + n); pos += n; return s; };
  const value = (type, keep) => {
    if (type === STRING) return str();
    if (type === ARRAY) {
      const itemType = u32();
      const n = u64();
      const items = [];
      for (let i = 0; i < n; i++) {
        const v = value(itemType, keep);
        if (keep) items.push(v);
      }
      return items;
    }
    pos += SCALAR_SIZE[type];
    return type === UINT32 ? buf.readUInt32LE(pos - 4) : undefined;
  };
  if (buf.toString('ascii', 0, 4) !== 'GGUF') throw new Error('not a GGUF file');
  pos = 8;
  const nTensors = u64();
  const nKv = u64();
  const keys = new Set();
  let alignment = 32, tokens = [];
  for (let i = 0; i < nKv; i++) {
    const key = str();
    keys.add(key);
    const v = value(u32(), key === 'tokenizer.ggml.tokens');
    if (key === 'general.alignment') alignment = v;
    if (key === 'tokenizer.ggml.tokens') tokens = v;
  }
  const kvEnd = pos;
  for (let i = 0; i < nTensors; i++) {
    str();
    const nDims = u32();
    pos += 8 * nDims + 4 + 8;
  }
  return { nKv, keys, alignment, tokens, kvEnd, infosEnd: pos, dataStart: Math.ceil(pos / alignment) * alignment };
}

// The token strings of a GGUF's vocabulary (index = id).
export function vocabulary(file) { return parse(readFileSync(file)).tokens; }

// entries: { key: string value | uint32 value }.
export function withMetadata(from, to, entries) {
  const buf = readFileSync(from);
  const g = parse(buf);
  const added = [];
  for (const [key, v] of Object.entries(entries)) {
    if (g.keys.has(key)) throw new Error(`${from} has ${key} already`);
    const k = Buffer.from(key);
    const head = Buffer.alloc(8 + k.length + 4);
    head.writeBigUInt64LE(BigInt(k.length), 0);
    k.copy(head, 8);
    if (typeof v === 'string') {
      head.writeUInt32LE(STRING, 8 + k.length);
      const s = Buffer.from(v, 'utf8');
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(s.length));
      added.push(head, len, s);
    } else {
      head.writeUInt32LE(UINT32, 8 + k.length);
      const n = Buffer.alloc(4);
      n.writeUInt32LE(v);
      added.push(head, n);
    }
  }
  const header = Buffer.from(buf.subarray(0, g.kvEnd));
  header.writeBigUInt64LE(BigInt(g.nKv + Object.keys(entries).length), 16);
  const kv = Buffer.concat(added);
  const infos = buf.subarray(g.kvEnd, g.infosEnd);
  const before = header.length + kv.length + infos.length;
  const pad = Buffer.alloc(Math.ceil(before / g.alignment) * g.alignment - before);
  writeFileSync(to, Buffer.concat([header, kv, infos, pad, buf.subarray(g.dataStart)]));
}
