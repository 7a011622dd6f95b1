import type { Anchor, Firmness } from '../model/events.js';
import type { MakerFor, RecordMaker, RecordStream } from './binary-json.js';

/** An anchor's keys in a cache file, as the schema orders them (`addedIndex` last, when present). */
const KEYS = ['patchId', 'commit', 'firmness', 'path', 'lines'];
const SHAPE = KEYS.join('\n');
const SHAPE_INDEXED = [...KEYS, 'addedIndex'].join('\n');
/** The places of its scalars, from the anchor's place; its lists follow. */
const PATCH_ID = 0;
const COMMIT = 1;
const FIRMNESS = 2;
const PATH = 3;
const LINES = 4;

/**
 * An anchor read from a cache file: its fields read from the file's value stream when asked for,
 * its lists decoded on their first read (the same array after: do not change it). A trail holds an
 * anchor per committed patch; the survival update reads their ids and commits only. `toJSON` gives
 * the plain anchor, keys in the schema's order. Its fields are getters: a spread copies none.
 */
export class StoredAnchor implements Anchor {
  readonly #stream: RecordStream;
  readonly #at: number;
  /** The place of `addedIndex`, or -1 when it has none. */
  readonly #indexAt: number;
  #lines: number[] | null = null;
  #addedIndex: number[] | null = null;
  constructor(stream: RecordStream, at: number, indexAt: number) {
    this.#stream = stream;
    this.#at = at;
    this.#indexAt = indexAt;
  }
  get patchId(): string {
    return this.#stream.string(this.#at + PATCH_ID);
  }
  get commit(): string {
    return this.#stream.string(this.#at + COMMIT);
  }
  get firmness(): Firmness {
    return this.#stream.string(this.#at + FIRMNESS) as Firmness;
  }
  get path(): string {
    return this.#stream.string(this.#at + PATH);
  }
  get lines(): number[] {
    return (this.#lines ??= this.#stream.intList(this.#at + LINES));
  }
  get addedIndex(): number[] | undefined {
    if (this.#indexAt < 0) return undefined;
    return (this.#addedIndex ??= this.#stream.intList(this.#indexAt));
  }
  /** Each of its line numbers, read in place while its list is unread (hashing every anchor of a trail reads them all, once). */
  eachLine(visit: (n: number) => void): void {
    if (this.#lines) for (const l of this.#lines) visit(l);
    else this.#stream.eachInt(this.#at + LINES, visit);
  }
  /** Each of its added-line indexes (none when it has none), read alike. */
  eachAddedIndex(visit: (n: number) => void): void {
    if (this.#indexAt < 0) return;
    if (this.#addedIndex) for (const k of this.#addedIndex) visit(k);
    else this.#stream.eachInt(this.#indexAt, visit);
  }
  /** The stream a stored anchor is read from, and its place there (`recordAt` makes it again); null for a plain anchor. */
  static streamOf(a: Anchor): RecordStream | null {
    return a instanceof StoredAnchor ? a.#stream : null;
  }
  static placeOf(a: StoredAnchor): number {
    return a.#at;
  }
  toJSON(): Anchor {
    const out: Anchor = { patchId: this.patchId, commit: this.commit, firmness: this.firmness, path: this.path, lines: this.lines };
    if (this.#indexAt >= 0) out.addedIndex = this.addedIndex;
    return out;
  }
}

/**
 * The decoder's maker for the shapes of an anchor, none for any other shape. Each anchor's places
 * are checked as it is made (kinds, positive line numbers, an index entry per line), so reading
 * its fields later cannot fail.
 */
export const storedAnchorMaker: MakerFor = (keys, stream) => {
  const shape = keys.join('\n');
  if (shape !== SHAPE && shape !== SHAPE_INDEXED) return undefined;
  const indexed = shape === SHAPE_INDEXED;
  // The place after the lines: the index list, or the anchor's end.
  const afterLines = (at: number): number => {
    const n = stream.listLength(at + LINES);
    return n < 0 ? -1 : at + LINES + 2 + 2 * n;
  };
  // The place of the index list, or -1 for an anchor of none.
  const indexAtOf = (at: number): number => (indexed ? afterLines(at) : -1);
  const maker: RecordMaker = {
    width(at) {
      const next = afterLines(at);
      if (next < 0 || !indexed) return next < 0 ? -1 : next - at;
      const m = stream.listLength(next);
      return m < 0 ? -1 : next + 2 + 2 * m - at;
    },
    make(at) {
      const indexAt = indexAtOf(at);
      const fits =
        stream.isString(at + PATCH_ID) &&
        stream.isString(at + COMMIT) &&
        stream.isString(at + FIRMNESS) &&
        stream.isString(at + PATH) &&
        stream.isIntList(at + LINES, 1) &&
        (!indexed || (stream.isIntList(indexAt, 0) && stream.listLength(indexAt) === stream.listLength(at + LINES)));
      if (!fits) throw new Error('a cached anchor does not hold the kinds of its fields');
      return new StoredAnchor(stream, at, indexAt);
    },
    again: (at) => new StoredAnchor(stream, at, indexAtOf(at)),
  };
  return maker;
};
