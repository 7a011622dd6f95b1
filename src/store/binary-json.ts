/**
 * A JSON value as bytes that decode faster than JSON text and into fewer objects: every string
 * once, in a table (a trail repeats the same object ids, paths and lines many times); every object
 * as a shape (its key list, stored once) and its values; numbers as integers. Decoding builds the
 * values directly, keys in their original order, so `JSON.stringify` of the result is the text of
 * the value encoded. Used for derived caches only (sealed with a sum by the caller).
 *
 * Layout, all 32-bit little-endian integers up to the text: the layout's mark, string count, shape
 * count, stream length, the two texts' lengths in bytes; each string's length (n >= 0: n one-byte
 * characters of the narrow text; n < 0: ~n UTF-16 units of the wide text); each shape as its key
 * count and key string indexes; the value stream; then the narrow text (latin1) and the wide text
 * (UTF-16). A string of one-byte characters stays one, however many wide strings a value holds: one
 * text decoded as UTF-8 would make every string of it two-byte, slower to decode, hash and compare.
 * UTF-16 holds any string, lone surrogates too. In the stream a value is a string index (>= 0) or
 * one of the tags below.
 */
const LAYOUT = 0x324a424f; // "OBJ2"
const HEAD_INTS = 6;
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
/** A character past latin1: the string goes to the wide text. */
const WIDE = /[^\u0000-\u00ff]/;
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
  const narrow: string[] = [];
  const wide: string[] = [];
  const lengths = table.map((t) => {
    if (WIDE.test(t)) {
      wide.push(t);
      return ~t.length;
    }
    narrow.push(t);
    return t.length;
  });
  const narrowText = Buffer.from(narrow.join(''), 'latin1');
  const wideText = Buffer.from(wide.join(''), 'utf16le');
  const shapeWords = shapeKeys.reduce((n, k) => n + 1 + k.length, 0);
  const ints = new Int32Array(HEAD_INTS + table.length + shapeWords + stream.length);
  ints.set([LAYOUT, table.length, shapeKeys.length, stream.length, narrowText.length, wideText.length]);
  let x = HEAD_INTS;
  ints.set(lengths, x);
  x += lengths.length;
  for (const k of shapeKeys) {
    ints[x++] = k.length;
    for (const s of k) ints[x++] = s;
  }
  ints.set(stream, x);
  return Buffer.concat([Buffer.from(ints.buffer, ints.byteOffset, ints.byteLength), narrowText, wideText]);
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
const makers = new Map<string, ShapeMaker>();

/** Makes an object of one shape from its values, read in the order of its keys. */
export type ShapeMaker = (value: () => unknown) => unknown;

/**
 * Makes the objects of one shape from their place in the stream, without reading their values
 * there. `width` gives how many stream places the object at a place takes (a string, null or
 * boolean one, an integer two, a list of integers two and two per element), or -1 when they are
 * not values of the kinds it reads. `make` checks the places it is given hold values of the kinds
 * it reads (`RecordStream`'s `is…`), so that reading them later cannot fail, and throws if not.
 */
export interface RecordMaker {
  width(at: number): number;
  make(at: number): unknown;
  /**
   * The object at a place `make` took in bytes the same as these (a cache that kept the place, with
   * a sum that says they are the same bytes), without its checks again; `make` where absent.
   */
  again?(at: number): unknown;
}

/** Gives the maker of a shape (a function of the caller's, or a `RecordMaker`), or undefined for the decoder's own. */
export type MakerFor = (keys: readonly string[], stream: RecordStream) => ShapeMaker | RecordMaker | undefined;

/**
 * The value stream and strings of one decode, for objects that read their values in place when
 * asked (`RecordMaker`). A string of the table is made the first time it is read, and is the same
 * string after.
 */
export class RecordStream {
  constructor(
    private readonly ints: Int32Array,
    private readonly stringAt: (s: number) => string,
    private readonly nStrings: number,
  ) {}
  isString(at: number): boolean {
    const w = this.ints[at]!;
    return w >= 0 && w < this.nStrings;
  }
  isStringOrNull(at: number): boolean {
    return this.ints[at] === NULL || this.isString(at);
  }
  isBoolean(at: number): boolean {
    const w = this.ints[at];
    return w === TRUE || w === FALSE;
  }
  /** An integer (`INT` and its value, two places) of at least `least`. */
  isInt(at: number, least = -0x80000000): boolean {
    return this.ints[at] === INT && this.ints[at + 1]! >= least;
  }
  /** A list of integers, each at least `least`. */
  isIntList(at: number, least = -0x80000000): boolean {
    const n = this.listLength(at);
    if (n < 0) return false;
    for (let i = 0, x = at + 2; i < n; i++, x += 2) if (!this.isInt(x, least)) return false;
    return true;
  }
  /** The length of the list at `at` (its elements not checked), or -1 when it is not a list. */
  listLength(at: number): number {
    const n = this.ints[at + 1]!;
    return this.ints[at] === ARRAY && n >= 0 ? n : -1;
  }
  string(at: number): string {
    return this.stringAt(this.ints[at]!);
  }
  stringOrNull(at: number): string | null {
    const w = this.ints[at]!;
    return w === NULL ? null : this.stringAt(w);
  }
  boolean(at: number): boolean {
    return this.ints[at] === TRUE;
  }
  int(at: number): number {
    return this.ints[at + 1]!;
  }
  /** Each integer of the list of integers at `at`, read in place (no list made). */
  eachInt(at: number, visit: (n: number) => void): void {
    for (let i = 0, n = this.ints[at + 1]!, x = at + 3; i < n; i++, x += 2) visit(this.ints[x]!);
  }
  intList(at: number): number[] {
    const out: number[] = new Array(this.ints[at + 1]!);
    for (let i = 0, x = at + 3; i < out.length; i++, x += 2) out[i] = this.ints[x]!;
    return out;
  }
}

function build(keys: string[]): ShapeMaker {
  if (keys.includes('__proto__')) {
    return (value) => {
      const out: Record<string, unknown> = {};
      for (const k of keys) Object.defineProperty(out, k, { value: value(), writable: true, enumerable: true, configurable: true });
      return out;
    };
  }
  return new Function('v', `return {${keys.map((k) => `${JSON.stringify(k)}: v()`).join(', ')}};`) as (value: () => unknown) => Record<string, unknown>;
}

/** The layout's counts, checked, and its integers (read in place when aligned, else from a copy). */
function readHead(bytes: Buffer) {
  if (bytes.length < HEAD_INTS * 4) throw new Malformed('too short');
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : Buffer.from(bytes);
  const head = new Int32Array(aligned.buffer, aligned.byteOffset, HEAD_INTS);
  const [layout, nStrings, nShapes, nStream, narrowBytes, wideBytes] = head as unknown as [number, number, number, number, number, number];
  if (layout !== LAYOUT) throw new Malformed('not this layout');
  if (nStrings < 0 || nShapes < 0 || nStream < 0 || narrowBytes < 0 || wideBytes < 0 || wideBytes % 2 !== 0) throw new Malformed('bad count');
  const intBytes = bytes.length - narrowBytes - wideBytes;
  if (intBytes < HEAD_INTS * 4 || intBytes % 4 !== 0) throw new Malformed('lengths do not add up');
  const ints = new Int32Array(aligned.buffer, aligned.byteOffset, intBytes >> 2);
  return { aligned, ints, nStrings, nShapes, nStream, intBytes, narrowBytes, wideBytes };
}

/**
 * Each string's place in its text, checked to be inside it: the offset in the narrow text, or
 * ~offset in the wide text (UTF-16 units). The string lengths follow the head.
 */
function stringPlaces(ints: Int32Array, nStrings: number, narrowBytes: number, wideBytes: number): Int32Array {
  if (HEAD_INTS + nStrings > ints.length) throw new Malformed('string table');
  const place = new Int32Array(nStrings);
  for (let i = 0, x = HEAD_INTS, at = 0, wat = 0; i < nStrings; i++) {
    const n = ints[x++]!;
    if (n >= 0) {
      place[i] = at;
      if ((at += n) > narrowBytes) throw new Malformed('string out of range');
    } else {
      place[i] = ~wat;
      if ((wat += ~n) > wideBytes / 2) throw new Malformed('string out of range');
    }
  }
  return place;
}

/**
 * String `s` of the table (the caller checks it is one), made the first time it is read and the
 * same string after: a decode whose objects are read in place (`RecordMaker`), or a list read a
 * list at a time, makes only the strings read.
 */
function stringTable(head: ReturnType<typeof readHead>): (s: number) => string {
  const { aligned, ints, nStrings, intBytes, narrowBytes, wideBytes } = head;
  const place = stringPlaces(ints, nStrings, narrowBytes, wideBytes);
  let narrow: string | null = null;
  let wide: string | null = null;
  const table: (string | undefined)[] = new Array(nStrings);
  return (s) => {
    let t = table[s];
    if (t === undefined) {
      const n = ints[HEAD_INTS + s]!;
      const at = place[s]!;
      if (n >= 0) t = (narrow ??= aligned.toString('latin1', intBytes, intBytes + narrowBytes)).slice(at, at + n);
      else t = (wide ??= aligned.toString('utf16le', intBytes + narrowBytes)).slice(~at, ~at + ~n);
      table[s] = t;
    }
    return t;
  };
}

/**
 * The value of `encodeBinaryJson`'s bytes; throws on bytes it did not write. `makerFor` may make
 * the objects of some shapes itself, given their keys: a function of the caller's that reads each
 * of their values, in order, or a `RecordMaker` that reads them in place.
 */
export function decodeBinaryJson(bytes: Buffer, makerFor?: MakerFor): unknown {
  return openBinaryJson(bytes, makerFor).decode();
}

/** Binary JSON opened, its value not yet decoded (`openBinaryJson`). */
export interface OpenBinaryJson {
  /** The stream its record makers read (null without `makerFor`). */
  readonly records: RecordStream | null;
  /** The whole value (decoded on each call). */
  decode(): unknown;
  /**
   * The object a `RecordMaker` makes of the record at `at` (the place `make` was given when the
   * value was decoded: after the object's tag and shape); throws when no such record is there. For
   * a place kept from a decode of the same bytes only: the record's own checks are not made again
   * (`RecordMaker.again`).
   */
  recordAt(at: number): unknown;
}

/**
 * Bytes of `encodeBinaryJson` checked as far as their layout (lengths, strings, shapes), and read
 * from there: the whole value, or one record at a place a decode of the same bytes saw it (a cache
 * that kept the places of records reads those, not the value around them). Throws on bytes that
 * are not binary JSON.
 */
export function openBinaryJson(bytes: Buffer, makerFor?: MakerFor): OpenBinaryJson {
  const head = readHead(bytes);
  const { ints, nStrings, nShapes, nStream } = head;
  const tableAt = stringTable(head);
  let x = HEAD_INTS + nStrings;
  const records = makerFor ? new RecordStream(ints, tableAt, nStrings) : null;
  // Each shape's keys, checked here; its maker made when an object of it is first made.
  const shapeKeys: string[][] = new Array(nShapes);
  for (let i = 0; i < nShapes; i++) {
    const n = ints[x++]!;
    if (n < 0 || x + n > ints.length) throw new Malformed('shape out of range');
    const keys: string[] = new Array(n);
    for (let j = 0; j < n; j++) {
      const s = ints[x++]!;
      if (s < 0 || s >= nStrings) throw new Malformed('key out of range');
      keys[j] = tableAt(s);
    }
    shapeKeys[i] = keys;
  }
  if (x + nStream !== ints.length) throw new Malformed('stream length');
  const streamAt = x;
  const end = ints.length;
  const shapes: (ShapeMaker | RecordMaker | undefined)[] = new Array(nShapes);
  const shapeMaker = (i: number): ShapeMaker | RecordMaker | undefined => {
    if (!(i >= 0 && i < nShapes)) return undefined;
    let make = shapes[i];
    if (make) return make;
    const keys = shapeKeys[i]!;
    make = makerFor?.(keys, records!);
    if (!make) {
      const id = JSON.stringify(keys);
      make = makers.get(id);
      if (!make) makers.set(id, (make = build(keys)));
    }
    return (shapes[i] = make);
  };
  const stringAt = (s: number | undefined): string => {
    if (s === undefined || s < 0 || s >= nStrings) throw new Malformed('string index out of range');
    return tableAt(s);
  };
  const decode = (): unknown => {
    let pos = streamAt;
    // Reads past the end give undefined, which no tag matches; the final position check catches the rest.
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
        case ARRAY: {
          const n = ints[pos++]!;
          if (!(n >= 0 && n <= end - pos)) throw new Malformed('array length');
          const out: unknown[] = new Array(n);
          for (let i = 0; i < n; i++) {
            // Strings (a patch's lines) without a call each.
            const e = ints[pos]!;
            if (e >= 0 && e < nStrings) {
              out[i] = tableAt(e);
              pos++;
            } else out[i] = value();
          }
          return out;
        }
        case OBJECT: {
          const make = shapeMaker(ints[pos++]!);
          if (!make) throw new Malformed('shape index out of range');
          if (typeof make === 'function') return make(value);
          const at = pos;
          const width = make.width(at);
          if (!(width >= 0 && width <= end - at)) throw new Malformed('record out of range');
          pos += width;
          return make.make(at);
        }
        default:
          throw new Malformed(`tag ${w}`);
      }
    };
    const v = value();
    if (pos !== end) throw new Malformed(pos > end ? 'stream ends early' : 'trailing values');
    return v;
  };
  const recordAt = (at: number): unknown => {
    if (!(Number.isInteger(at) && at - 2 >= streamAt && at <= end) || ints[at - 2] !== OBJECT) throw new Malformed('no record there');
    const make = shapeMaker(ints[at - 1]!);
    if (!make || typeof make === 'function') throw new Malformed('no record there');
    const width = make.width(at);
    if (!(width >= 0 && width <= end - at)) throw new Malformed('record out of range');
    return make.again ? make.again(at) : make.make(at);
  };
  return { records, decode, recordAt };
}

/** A list of lists of strings in binary JSON, each list decoded when asked for (`openStringLists`). */
export interface StringLists {
  readonly count: number;
  /** The length of list i, without decoding it. */
  lengthOf(i: number): number;
  /** List i, decoded (a new array each call). */
  at(i: number): string[];
}

/**
 * The `string[][]` that `encodeBinaryJson` wrote, checked whole (so a bad file is refused here,
 * not when a list is read) but decoded a list at a time: a caller that reads a few lists of many
 * makes only their strings. Throws on bytes that are not such a list.
 */
export function openStringLists(bytes: Buffer): StringLists {
  const head = readHead(bytes);
  const { ints, nStrings, nShapes, nStream } = head;
  if (nShapes !== 0) throw new Malformed('not lists of strings');
  const stringAt = stringTable(head);
  const x = HEAD_INTS + nStrings;
  const end = x + nStream;
  if (end !== ints.length || ints[x] !== ARRAY) throw new Malformed('not a list');
  const count = ints[x + 1]!;
  if (!(count >= 0 && count <= (end - x - 2) / 2)) throw new Malformed('array length');
  // Where each list's string indexes start; each is checked to be a string of the table.
  const starts = new Int32Array(count + 1);
  let pos = x + 2;
  for (let i = 0; i < count; i++) {
    const k = ints[pos + 1]!;
    if (ints[pos] !== ARRAY || !(k >= 0 && k <= end - pos - 2)) throw new Malformed('not a list of strings');
    pos += 2;
    starts[i] = pos;
    for (const stop = pos + k; pos < stop; pos++) {
      const s = ints[pos]!;
      if (!(s >= 0 && s < nStrings)) throw new Malformed('not a string');
    }
  }
  if (pos !== end) throw new Malformed('trailing values');
  starts[count] = end + 2;
  const lengthOf = (i: number): number => {
    if (!(Number.isInteger(i) && i >= 0 && i < count)) throw new RangeError(`list ${i} of ${count}`);
    return starts[i + 1]! - 2 - starts[i]!;
  };
  return {
    count,
    lengthOf,
    at(i) {
      const out: string[] = new Array(lengthOf(i));
      for (let j = 0, p = starts[i]!; j < out.length; j++, p++) out[j] = stringAt(ints[p]!);
      return out;
    },
  };
}
