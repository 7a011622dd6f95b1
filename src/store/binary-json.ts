/**
 * A JSON value as bytes that decode faster than JSON text and into fewer objects: every string
 * once, in a table (a trail repeats the same object ids, paths and lines many times); every object
 * as a shape (its key list, stored once) and its values; numbers as integers. Decoding builds the
 * values directly, keys in their original order, so `JSON.stringify` of the result is the text of
 * the value encoded. Used for derived caches only (sealed with a sum by the caller).
 *
 * Layout, all 32-bit little-endian integers up to the text: string count, shape count, stream
 * length, text length in bytes; each string's length in UTF-16 units; each shape as its key count
 * and key string indexes; the value stream; then the strings' UTF-8 text, one after the other.
 * In the stream a value is a string index (>= 0) or one of the tags below.
 */
const NULL = -1;
const FALSE = -2;
const TRUE = -3;
/** Followed by an integer (int32). */
const INT = -4;
/** Followed by the string index of the number's text (any other number). */
const NUMBER = -5;
/** Followed by the length, then the elements. */
const ARRAY = -6;
/** Followed by the shape index, then a value per key. */
const OBJECT = -7;
/** Followed by the string index of the string's JSON text (a string with a lone surrogate, which UTF-8 cannot hold). */
const ODD_STRING = -8;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function' ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed() : (s) => !LONE_SURROGATE.test(s);
const LONG = 256;

/** A node of the shapes' key trie: the shape whose keys lead here, and the next keys. */
interface ShapeNode {
  shape: number;
  keys: string[];
  next: Map<string, ShapeNode> | null;
}

/** Whether JSON writes a value (a key holding one it does not is left out, an element is null). */
const writable = (x: unknown) => x !== undefined && typeof x !== 'function' && typeof x !== 'symbol';

export function encodeBinaryJson(value: unknown): Buffer {
  const strings = new Map<string, number>();
  const table: string[] = [];
  const shapeKeys: number[][] = [];
  // Shapes are found by walking their keys down a trie: no key list is built or joined per object.
  const root: ShapeNode = { shape: -1, keys: [], next: null };
  const stream: number[] = [];
  const str = (s: string): number => {
    let i = strings.get(s);
    if (i === undefined) {
      strings.set(s, (i = table.length));
      table.push(s);
    }
    return i;
  };
  const put = (v: unknown): void => {
    if (typeof v === 'string') {
      // A long string (a joined list) is taken as unique: hashing it to share it costs more than it saves.
      const i = v.length > LONG ? undefined : strings.get(v);
      if (i !== undefined) stream.push(i);
      else if (!wellFormed(v)) stream.push(ODD_STRING, str(JSON.stringify(v)));
      else if (v.length > LONG) stream.push(table.push(v) - 1);
      else stream.push(str(v));
    } else if (v === null) stream.push(NULL);
    else if (v === false) stream.push(FALSE);
    else if (v === true) stream.push(TRUE);
    else if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff && !Object.is(v, -0)) stream.push(INT, v);
      // NaN and infinities are null in JSON.
      else if (!Number.isFinite(v)) stream.push(NULL);
      else stream.push(NUMBER, str(JSON.stringify(v)));
    } else if (Array.isArray(v)) {
      stream.push(ARRAY, v.length);
      for (const x of v) put(writable(x) ? x : null);
    } else if (typeof v === 'object') {
      const obj = typeof (v as { toJSON?: unknown }).toJSON === 'function' ? (v as { toJSON: () => unknown }).toJSON() : v;
      if (obj !== v) return put(obj);
      const o = v as Record<string, unknown>;
      const values: unknown[] = [];
      let node = root;
      for (const k of Object.keys(o)) {
        const x = o[k];
        if (!writable(x)) continue;
        values.push(x);
        let n = node.next?.get(k);
        if (!n) {
          n = { shape: -1, keys: [...node.keys, k], next: null };
          (node.next ??= new Map()).set(k, n);
        }
        node = n;
      }
      if (node.shape < 0) {
        node.shape = shapeKeys.length;
        shapeKeys.push(node.keys.map(str));
      }
      stream.push(OBJECT, node.shape);
      for (const x of values) put(x);
    } else throw new TypeError(`cannot encode a ${typeof v}`);
  };
  put(value);
  const text = Buffer.from(table.join(''), 'utf8');
  const shapeWords = shapeKeys.reduce((n, k) => n + 1 + k.length, 0);
  const ints = new Int32Array(4 + table.length + shapeWords + stream.length);
  ints[0] = table.length;
  ints[1] = shapeKeys.length;
  ints[2] = stream.length;
  ints[3] = text.length;
  let x = 4;
  for (const s of table) ints[x++] = s.length;
  for (const k of shapeKeys) {
    ints[x++] = k.length;
    for (const s of k) ints[x++] = s;
  }
  ints.set(stream, x);
  return Buffer.concat([Buffer.from(ints.buffer, ints.byteOffset, ints.byteLength), text]);
}

class Malformed extends Error {
  constructor(what: string) {
    super(`malformed binary JSON: ${what}`);
  }
}

/**
 * A maker of objects of one shape (made once per process for each key list): an object literal with the shape's keys, each value read in
 * order (as JSON.parse's objects, they share one hidden class and are built without a lookup per
 * key). Keys are written as JSON strings, so any key is a literal; `__proto__`, which a literal
 * would take as the prototype, makes it a plain own property as JSON.parse does.
 */
const makers = new Map<string, (value: () => unknown) => Record<string, unknown>>();

function build(keys: string[]): (value: () => unknown) => Record<string, unknown> {
  if (keys.includes('__proto__')) {
    return (value) => {
      const out: Record<string, unknown> = {};
      for (const k of keys) Object.defineProperty(out, k, { value: value(), writable: true, enumerable: true, configurable: true });
      return out;
    };
  }
  return new Function('v', `return {${keys.map((k) => `${JSON.stringify(k)}: v()`).join(', ')}};`) as (value: () => unknown) => Record<string, unknown>;
}

/** The value of `encodeBinaryJson`'s bytes; throws on bytes it did not write. */
export function decodeBinaryJson(bytes: Buffer): unknown {
  if (bytes.length < 16) throw new Malformed('too short');
  // Integers read in place when aligned, else from a copy.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : Buffer.from(bytes);
  const head = new Int32Array(aligned.buffer, aligned.byteOffset, 4);
  const [nStrings, nShapes, nStream, textBytes] = head as unknown as [number, number, number, number];
  if (nStrings < 0 || nShapes < 0 || nStream < 0 || textBytes < 0) throw new Malformed('negative count');
  const intBytes = bytes.length - textBytes;
  if (intBytes < 16 || intBytes % 4 !== 0) throw new Malformed('lengths do not add up');
  const ints = new Int32Array(aligned.buffer, aligned.byteOffset, intBytes >> 2);
  const text = aligned.toString('utf8', intBytes);
  const table: string[] = new Array(nStrings);
  let x = 4;
  for (let i = 0, at = 0; i < nStrings; i++) {
    const n = ints[x++]!;
    if (n < 0 || at + n > text.length) throw new Malformed('string out of range');
    table[i] = text.slice(at, (at += n));
  }
  const shapes: ((value: () => unknown) => Record<string, unknown>)[] = new Array(nShapes);
  for (let i = 0; i < nShapes; i++) {
    const n = ints[x++]!;
    if (n < 0 || x + n > ints.length) throw new Malformed('shape out of range');
    const keys: string[] = new Array(n);
    for (let j = 0; j < n; j++) {
      const s = ints[x++]!;
      if (s < 0 || s >= nStrings) throw new Malformed('key out of range');
      keys[j] = table[s]!;
    }
    const id = JSON.stringify(keys);
    let make = makers.get(id);
    if (!make) makers.set(id, (make = build(keys)));
    shapes[i] = make;
  }
  if (x + nStream !== ints.length) throw new Malformed('stream length');
  let pos = x;
  const end = ints.length;
  // Reads past the end give undefined, which no tag matches; the final position check catches the rest.
  const stringAt = (s: number | undefined): string => {
    if (s === undefined || s < 0 || s >= nStrings) throw new Malformed('string index out of range');
    return table[s]!;
  };
  const value = (): unknown => {
    const w = ints[pos++]!;
    if (w >= 0) return stringAt(w);
    switch (w) {
      case NULL:
        return null;
      case FALSE:
        return false;
      case TRUE:
        return true;
      case INT:
        return ints[pos++];
      case NUMBER:
        return Number(stringAt(ints[pos++]));
      case ODD_STRING:
        return JSON.parse(stringAt(ints[pos++])) as string;
      case ARRAY: {
        const n = ints[pos++]!;
        if (!(n >= 0 && n <= end - pos)) throw new Malformed('array length');
        const out: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) {
          // Strings (a patch's lines) without a call each.
          const e = ints[pos]!;
          if (e >= 0 && e < nStrings) {
            out[i] = table[e];
            pos++;
          } else out[i] = value();
        }
        return out;
      }
      case OBJECT: {
        const make = shapes[ints[pos++]!];
        if (!make) throw new Malformed('shape index out of range');
        return make(value);
      }
      default:
        throw new Malformed(`tag ${w}`);
    }
  };
  const v = value();
  if (pos !== end) throw new Malformed(pos > end ? 'stream ends early' : 'trailing values');
  return v;
}
