import type { FileChange, Patch } from '../model/events.js';
import type { MakerFor, RecordStream, StringLists } from './binary-json.js';

/**
 * The lines of the patches of one cache file, read from the file the first time any are asked for,
 * and each patch's decoded the first time they are. Most commands read no patch's lines or few:
 * `track` and the survival update after a new commit none, a full pass those of the patches it
 * follows. On jsdiff's replayed history the patches hold 115,000 lines (35,000 distinct), 3.4 MB
 * of the cache's 5.7 MB: left unread, they cost neither the read, the sum, the decode, nor the
 * garbage collection that copies whatever a command keeps. `load` gives the list checked whole
 * (`openStringLists`), or throws an error that names the damaged file. Entry 2i holds patch i's
 * removed lines, 2i + 1 its added.
 */
export class LineSource {
  #lists: StringLists | null = null;
  #load: (() => StringLists) | null;
  #failure: unknown = null;
  /** Each list decoded so far (made on the first read: most commands read none). */
  #decoded: (string[] | undefined)[] | null = null;
  /** `count` lists, read by `load` on first use. */
  constructor(
    readonly count: number,
    load: () => StringLists,
  ) {
    if (count % 2 !== 0) throw new Error('the cached lines are not in pairs');
    this.#load = load;
  }
  /** Whether it holds the lines of patch `at`. */
  holds(at: number): boolean {
    return Number.isInteger(at) && at >= 0 && 2 * at + 1 < this.count;
  }
  /** Entry i, of `length` strings (the same array on every read). */
  at(i: number, length: number): string[] {
    const hit = this.#decoded?.[i];
    if (hit) return hit;
    const lists = this.#open();
    if (lists.lengthOf(i) !== length) throw new Error(`cached lines ${i}: ${lists.lengthOf(i)} lines where the patch counts ${length}`);
    return ((this.#decoded ??= new Array(this.count))[i] = lists.at(i));
  }
  #open(): StringLists {
    if (this.#lists) return this.#lists;
    // A file that failed once fails alike on every read (the error names it).
    if (this.#failure) throw this.#failure;
    try {
      const lists = this.#load!();
      if (lists.count !== this.count) throw new Error(`the cached lines hold ${lists.count} lists, not ${this.count}`);
      this.#load = null;
      return (this.#lists = lists);
    } catch (err) {
      throw (this.#failure = err);
    }
  }
}

/** The stored patches of one cache file: its value stream and strings, and its lines. */
interface PatchFile {
  readonly stream: RecordStream;
  readonly source: LineSource;
}

/**
 * A patch read from a cache file: every field of `Patch`, read from the file's value stream when
 * asked for (its strings made then), its lines from the file's `LineSource`. A command that loads
 * a trail of thousands of patches and reads few fields of most (the survival update reads their ids
 * and counts) makes an object of two fields per patch instead of one of seventeen and the strings
 * of its blobs and paths, which the garbage collector then copied. `toJSON` gives the plain patch
 * (keys in the schema's order), so the JSON of a stored patch is that of the patch it stores. Its
 * fields are getters: a spread copies none; copy a patch with `plainPatch` or `withUnattributed`;
 * count its lines with `addedCount`/`removedCount`.
 */
export class StoredPatch implements Patch {
  declare unattributed?: string;
  readonly #file: PatchFile;
  readonly #at: number;
  constructor(file: PatchFile, at: number, unattributed: string | undefined) {
    this.#file = file;
    this.#at = at;
    if (unattributed !== undefined) this.unattributed = unattributed;
  }
  get patchId(): string {
    return this.#file.stream.string(this.#at + F.patchId);
  }
  get traceId(): string {
    return this.#file.stream.string(this.#at + F.traceId);
  }
  get stepId(): string {
    return this.#file.stream.string(this.#at + F.stepId);
  }
  get path(): string {
    return this.#file.stream.string(this.#at + F.path);
  }
  get oldPath(): string | null {
    return this.#file.stream.stringOrNull(this.#at + F.oldPath);
  }
  get change(): FileChange {
    return this.#file.stream.string(this.#at + F.change) as FileChange;
  }
  get binary(): boolean {
    return this.#file.stream.boolean(this.#at + F.binary);
  }
  get beforeBlob(): string | null {
    return this.#file.stream.stringOrNull(this.#at + F.beforeBlob);
  }
  get afterBlob(): string | null {
    return this.#file.stream.stringOrNull(this.#at + F.afterBlob);
  }
  get oldStart(): number {
    return this.#file.stream.int(this.#at + F.oldStart);
  }
  get oldLines(): number {
    return this.#file.stream.int(this.#at + F.oldLines);
  }
  get newStart(): number {
    return this.#file.stream.int(this.#at + F.newStart);
  }
  get newLines(): number {
    return this.#file.stream.int(this.#at + F.newLines);
  }
  get removed(): string[] {
    return this.#file.source.at(2 * this.#file.stream.int(this.#at + F.lines), this.removedCount);
  }
  get added(): string[] {
    return this.#file.source.at(2 * this.#file.stream.int(this.#at + F.lines) + 1, this.addedCount);
  }
  /** How many lines it removes and adds, without reading them. */
  get removedCount(): number {
    return this.#file.stream.int(this.#at + F.removedCount);
  }
  get addedCount(): number {
    return this.#file.stream.int(this.#at + F.addedCount);
  }
  /** The stream a stored patch is read from, and its place there (`recordAt` makes it again); null for a plain patch. */
  static streamOf(p: Patch): RecordStream | null {
    return p instanceof StoredPatch ? p.#file.stream : null;
  }
  static placeOf(p: StoredPatch): number {
    return p.#at;
  }
  /** The same patch marked unattributed (its lines still undecoded). */
  unattributedAs(reason: string): StoredPatch {
    return new StoredPatch(this.#file, this.#at, reason);
  }
  toJSON(): Patch {
    return plainPatch(this);
  }
}

/** How many lines a patch adds: a stored patch's without decoding them. */
export function addedCount(p: Patch): number {
  return p instanceof StoredPatch ? p.addedCount : p.added.length;
}

/** How many lines a patch removes: a stored patch's without decoding them. */
export function removedCount(p: Patch): number {
  return p instanceof StoredPatch ? p.removedCount : p.removed.length;
}

/** A copy of a patch marked unattributed for `reason` (a spread would drop a stored patch's lines). */
export function withUnattributed(p: Patch, reason: string): Patch {
  return p instanceof StoredPatch ? p.unattributedAs(reason) : { ...p, unattributed: reason };
}

/** A patch's fields but its lines and `unattributed`, in the schema's order. */
function hunkFields(p: Patch) {
  return {
    patchId: p.patchId,
    traceId: p.traceId,
    stepId: p.stepId,
    path: p.path,
    oldPath: p.oldPath,
    change: p.change,
    binary: p.binary,
    beforeBlob: p.beforeBlob,
    afterBlob: p.afterBlob,
    oldStart: p.oldStart,
    oldLines: p.oldLines,
    newStart: p.newStart,
    newLines: p.newLines,
  };
}

/** A patch as a plain object, lines included, keys in the schema's order. */
export function plainPatch(p: Patch): Patch {
  const out: Patch = { ...hunkFields(p), removed: p.removed, added: p.added };
  if (p.unattributed !== undefined) out.unattributed = p.unattributed;
  return out;
}

/** The keys of a patch as a cache file stores it: its lines replaced by their place in the file's line list and their counts. */
const STORED_KEYS = ['patchId', 'traceId', 'stepId', 'path', 'oldPath', 'change', 'binary', 'beforeBlob', 'afterBlob', 'oldStart', 'oldLines', 'newStart', 'newLines', 'lines', 'removedCount', 'addedCount'] as const;
type StoredKey = (typeof STORED_KEYS)[number] | 'unattributed';
/** The stored keys whose values are integers, two places of the stream each; the others (strings, null, booleans) take one. */
const INTEGER_KEYS: ReadonlySet<StoredKey> = new Set(['oldStart', 'oldLines', 'newStart', 'newLines', 'lines', 'removedCount', 'addedCount']);
/** Where each field of a stored patch is in the stream, from the patch's place. */
const F = ((): Record<StoredKey, number> => {
  const places = {} as Record<StoredKey, number>;
  let at = 0;
  for (const k of [...STORED_KEYS, 'unattributed'] as const) {
    places[k] = at;
    at += INTEGER_KEYS.has(k) ? 2 : 1;
  }
  return places;
})();
const STORED_SHAPE = STORED_KEYS.join('\n');
const STORED_SHAPE_UNATTRIBUTED = [...STORED_KEYS, 'unattributed'].join('\n');

/**
 * A patch's stored form, its lines appended to `lines` (removed, then added). Typed loosely: its
 * shape is what `storedPatchMaker` recognises, key for key.
 */
export function storedForm(p: Patch, lines: string[][]): Record<string, unknown> {
  const at = lines.length >> 1;
  lines.push(p.removed, p.added);
  return { ...hunkFields(p), lines: at, removedCount: p.removed.length, addedCount: p.added.length, unattributed: p.unattributed };
}

/**
 * The decoder's maker for the shape of a stored patch (`storedForm`), none for any other shape.
 * Each patch's places are checked as it is made (kinds, counts, its lines in the file), so reading
 * its fields later cannot fail.
 */
export function storedPatchMaker(source: LineSource): MakerFor {
  return (keys, stream) => {
    const shape = keys.join('\n');
    if (shape !== STORED_SHAPE && shape !== STORED_SHAPE_UNATTRIBUTED) return undefined;
    const withReason = shape === STORED_SHAPE_UNATTRIBUTED;
    const file: PatchFile = { stream, source };
    const width = withReason ? F.unattributed + 1 : F.unattributed;
    // The patch at a checked place.
    const again = (at: number) => new StoredPatch(file, at, withReason ? stream.string(at + F.unattributed) : undefined);
    return {
      width: () => width,
      make(at) {
        const fits =
          stream.isString(at + F.patchId) &&
          stream.isString(at + F.traceId) &&
          stream.isString(at + F.stepId) &&
          stream.isString(at + F.path) &&
          stream.isStringOrNull(at + F.oldPath) &&
          stream.isString(at + F.change) &&
          stream.isBoolean(at + F.binary) &&
          stream.isStringOrNull(at + F.beforeBlob) &&
          stream.isStringOrNull(at + F.afterBlob) &&
          stream.isInt(at + F.oldStart) &&
          stream.isInt(at + F.oldLines) &&
          stream.isInt(at + F.newStart) &&
          stream.isInt(at + F.newLines) &&
          stream.isInt(at + F.lines) &&
          stream.isInt(at + F.removedCount, 0) &&
          stream.isInt(at + F.addedCount, 0) &&
          (!withReason || stream.isString(at + F.unattributed));
        if (!fits) throw new Error('a cached patch does not hold the kinds of its fields');
        const lines = stream.int(at + F.lines);
        if (!source.holds(lines)) throw new Error(`a cached patch names lines ${lines} the file does not hold`);
        return again(at);
      },
      again,
    };
  };
}
