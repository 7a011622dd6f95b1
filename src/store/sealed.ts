import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { decodeBinaryJson, encodeBinaryJson } from './binary-json.js';

/**
 * The framing of our derived cache files: four bytes naming the format, the CRC-32 of the rest, the
 * rest (from byte 8, so a body of 32-bit integers stays aligned). Only we write them, atomically
 * (temp file, then rename) or, a small one written on every update, in place (`overwriteFileSync`);
 * the sum catches what else can happen to a file (edited, truncated, a bad block, a write caught
 * half done), and a file whose sum does not match is not used: the data is derived again from its
 * source. A CRC reads a large trail's cache in half the time SHA-1 took, on every command.
 */
export const SEALED_HEAD = 8;

/**
 * A sealed file of `bodyLength` bytes, written in place by `fill` (one allocation for a large body).
 * The sum covers the body's first `summed` bytes (all of it by default): a file whose rest carries
 * a sum of its own is read and unsealed without that rest (`unseal` of its first SEALED_HEAD + `summed` bytes).
 */
export function sealInPlace(magic: string, bodyLength: number, fill: (body: Buffer) => void, summed = bodyLength): Buffer {
  const out = Buffer.alloc(SEALED_HEAD + bodyLength);
  out.write(magic, 0, 'latin1');
  const body = out.subarray(SEALED_HEAD);
  fill(body);
  out.writeUInt32LE(crc32(body.subarray(0, summed)), 4);
  return out;
}

export function seal(magic: string, body: Buffer): Buffer {
  return sealInPlace(magic, body.length, (to) => body.copy(to));
}

/** The body of a sealed file, or null when it is not one of `magic` or its sum does not match. */
export function unseal(magic: string, bytes: Buffer): Buffer | null {
  if (bytes.length < SEALED_HEAD || bytes.toString('latin1', 0, 4) !== magic) return null;
  const body = bytes.subarray(SEALED_HEAD);
  return crc32(body) === bytes.readUInt32LE(4) ? body : null;
}

/** A sealed file of `value` in binary JSON. */
export function sealValue(magic: string, value: unknown): Buffer {
  return seal(magic, encodeBinaryJson(value));
}

/** The value of a sealed file of binary JSON (`sealValue`); null when it is absent, unreadable, not one of `magic`, or does not check out. */
export function readSealedValue(file: string, magic: string): unknown {
  try {
    const body = unseal(magic, fs.readFileSync(file));
    return body && decodeBinaryJson(body);
  } catch {
    return null;
  }
}

/** The next multiple of 4 from `n`. */
export const align4 = (n: number) => (n + 3) & ~3;

/**
 * A sealed file of a value in binary JSON followed by 32-bit integers: `lead` (bytes a reader can
 * check before the rest, such as the name of what the file holds), the value's length, the value,
 * then, from the next multiple of 4 bytes, the integers (read in place: a fresh read buffer, and
 * the body after its 8 bytes, are aligned).
 */
export function sealValueAndInts(magic: string, value: unknown, ints: Int32Array, lead?: Buffer): Buffer {
  const bin = encodeBinaryJson(value);
  const leadLength = lead?.length ?? 0;
  const intsAt = align4(leadLength + 4 + bin.length);
  return sealInPlace(magic, intsAt + ints.byteLength, (body) => {
    lead?.copy(body, 0);
    body.writeUInt32LE(bin.length, leadLength);
    bin.copy(body, leadLength + 4);
    Buffer.from(ints.buffer, ints.byteOffset, ints.byteLength).copy(body, intsAt);
  });
}

/**
 * The value and integers of a file of `sealValueAndInts` whose lead is `leadLength` bytes, and its sum; null
 * when it is not one of `magic`, its sum does not match, or its lengths do not add up. Throws on a
 * value that is not binary JSON.
 */
export function unsealValueAndInts(magic: string, bytes: Buffer, leadLength = 0): { value: unknown; ints: Int32Array; sum: number } | null {
  const body = unseal(magic, bytes);
  if (!body || body.length < leadLength + 4) return null;
  const n = body.readUInt32LE(leadLength);
  if (leadLength + 4 + n > body.length) return null;
  const value = decodeBinaryJson(body.subarray(leadLength + 4, leadLength + 4 + n));
  const rest = body.subarray(align4(leadLength + 4 + n));
  if (rest.length % 4 !== 0) return null;
  const aligned = rest.byteOffset % 4 === 0 ? rest : Buffer.from(rest);
  return { value, ints: new Int32Array(aligned.buffer, aligned.byteOffset, aligned.length >> 2), sum: bytes.readUInt32LE(4) };
}

/** CRC-32 (zlib's): node's own where it has one (20.15 and later), else computed here, alike. */
export const crc32: (data: Uint8Array) => number = (zlib as { crc32?: (data: Uint8Array) => number }).crc32 ?? crc32Portable;

let table: Uint32Array | null = null;

/** CRC-32 a byte at a time (the polynomial 0xEDB88320, reflected, as zlib computes it). */
export function crc32Portable(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
