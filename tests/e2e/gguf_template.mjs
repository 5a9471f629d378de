// Writes a copy of a GGUF file with a chat template added (the fixture models carry none), so the
// e2e tests can serve a model whose template thinks. Follows the GGUF layout: header, key/values,
// tensor infos, then the tensor data at the file's alignment, whose offsets are relative to it.
import { readFileSync, writeFileSync } from 'node:fs';

const SCALAR_SIZE = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

export function withChatTemplate(from, to, template) {
  const buf = readFileSync(from);
  let pos = 0;
  const u32 = () => { const v = buf.readUInt32LE(pos); pos += 4; return v; };
  const u64 = () => { const v = Number(buf.readBigUInt64LE(pos)); pos += 8; return v; };
  const str = () => { const n = u64(); const s = buf.toString('utf8', pos, pos + n); pos += n; return s; };
  const skipValue = (type) => {
    if (type === 8) { str(); return; }
    if (type === 9) {
      const itemType = u32();
      const n = u64();
      for (let i = 0; i < n; i++) skipValue(itemType);
      return;
    }
    pos += SCALAR_SIZE[type];
  };
  if (buf.toString('ascii', 0, 4) !== 'GGUF') throw new Error(from + ': not a GGUF file');
  pos = 8;
  const nTensors = u64();
  const nKvAt = pos;
  const nKv = u64();
  let alignment = 32;
  for (let i = 0; i < nKv; i++) {
    const key = str();
    const type = u32();
    if (key === 'tokenizer.chat_template') throw new Error(from + ' has a chat template already');
    if (key === 'general.alignment') alignment = buf.readUInt32LE(pos);
    skipValue(type);
  }
  const kvEnd = pos;
  for (let i = 0; i < nTensors; i++) {
    str();
    const nDims = u32();
    pos += 8 * nDims + 4 + 8;
  }
  const infosEnd = pos;
  const dataStart = Math.ceil(infosEnd / alignment) * alignment;

  const key = Buffer.from('tokenizer.chat_template');
  const value = Buffer.from(template, 'utf8');
  const kv = Buffer.alloc(8 + key.length + 4 + 8 + value.length);
  let o = kv.writeBigUInt64LE(BigInt(key.length), 0);
  o += key.copy(kv, o);
  o = kv.writeUInt32LE(8, o);
  o = kv.writeBigUInt64LE(BigInt(value.length), o);
  value.copy(kv, o);

  const head = Buffer.from(buf.subarray(0, kvEnd));
  head.writeBigUInt64LE(BigInt(nKv + 1), nKvAt);
  const infos = buf.subarray(kvEnd, infosEnd);
  const before = head.length + kv.length + infos.length;
  const pad = Buffer.alloc(Math.ceil(before / alignment) * alignment - before);
  writeFileSync(to, Buffer.concat([head, kv, infos, pad, buf.subarray(dataStart)]));
}
