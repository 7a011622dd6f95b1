import { createHash } from 'node:crypto';

/**
 * The framing of our derived cache files: four bytes naming the format, the SHA-1 of the rest, the
 * rest. Only we write them; a file whose sum does not match (edited, truncated, half written by an
 * older version) is not used, and the data is derived again from its source.
 */
export function seal(magic: string, body: Buffer): Buffer {
  return sealInPlace(magic, body.length, (to) => body.copy(to));
}

/** A sealed file of `bodyLength` bytes, written in place by `fill` (one allocation for a large body). */
export function sealInPlace(magic: string, bodyLength: number, fill: (body: Buffer) => void): Buffer {
  const out = Buffer.alloc(24 + bodyLength);
  out.write(magic, 0, 'latin1');
  const body = out.subarray(24);
  fill(body);
  createHash('sha1').update(body).digest().copy(out, 4);
  return out;
}

/** The body of a sealed file, or null when it is not one of `magic` or its sum does not match. */
export function unseal(magic: string, bytes: Buffer): Buffer | null {
  if (bytes.length < 24 || bytes.toString('latin1', 0, 4) !== magic) return null;
  const body = bytes.subarray(24);
  return createHash('sha1').update(body).digest().equals(bytes.subarray(4, 24)) ? body : null;
}
