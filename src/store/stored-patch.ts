import type { FileChange, Patch } from '../model/events.js';
import type { ShapeMaker, StringLists } from './binary-json.js';

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
  readonly #decoded: (string[] | undefined)[];
  /** `count` lists, read by `load` on first use. */
  constructor(
    readonly count: number,
    load: () => StringLists,
  ) {
    if (count % 2 !== 0) throw new Error('the cached lines are not in pairs');
    this.#load = load;
    this.#decoded = new Array(count);
  }
  /** Whether it holds the lines of patch `at`. */
  holds(at: number): boolean {
    return Number.isInteger(at) && at >= 0 && 2 * at + 1 < this.count;
  }
  /** Entry i, of `length` strings (the same array on every read). */
  at(i: number, length: number): string[] {
    const hit = this.#decoded[i];
    if (hit) return hit;
    const lists = this.#open();
    if (lists.lengthOf(i) !== length) throw new Error(`cached lines ${i}: ${lists.lengthOf(i)} lines where the patch counts ${length}`);
    return (this.#decoded[i] = lists.at(i));
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

/**
 * A patch read from a cache file: every field of `Patch`, its lines read from the file's
 * `LineSource` when first asked for. `toJSON` gives the plain patch (keys in the schema's order),
 * so the JSON of a stored patch is that of the patch it stores. A spread copies no lines: copy a
 * patch with `plainPatch` or `withUnattributed`; count its lines with `addedCount`/`removedCount`.
 */
export class StoredPatch implements Patch {
  declare unattributed?: string;
  readonly #source: LineSource;
  readonly #at: number;
  readonly #removedCount: number;
  readonly #addedCount: number;
  constructor(
    readonly patchId: string,
    readonly traceId: string,
    readonly stepId: string,
    readonly path: string,
    readonly oldPath: string | null,
    readonly change: FileChange,
    readonly binary: boolean,
    readonly beforeBlob: string | null,
    readonly afterBlob: string | null,
    readonly oldStart: number,
    readonly oldLines: number,
    readonly newStart: number,
    readonly newLines: number,
    source: LineSource,
    at: number,
    removedCount: number,
    addedCount: number,
    unattributed: string | undefined,
  ) {
    this.#source = source;
    this.#at = at;
    this.#removedCount = removedCount;
    this.#addedCount = addedCount;
    if (unattributed !== undefined) this.unattributed = unattributed;
  }
  get removed(): string[] {
    return this.#source.at(2 * this.#at, this.removedCount);
  }
  get added(): string[] {
    return this.#source.at(2 * this.#at + 1, this.addedCount);
  }
  /** How many lines it removes and adds, without reading them. */
  get removedCount(): number {
    return this.#removedCount;
  }
  get addedCount(): number {
    return this.#addedCount;
  }
  /** The same patch marked unattributed (its lines still undecoded). */
  unattributedAs(reason: string): StoredPatch {
    const p = this;
    return new StoredPatch(p.patchId, p.traceId, p.stepId, p.path, p.oldPath, p.change, p.binary, p.beforeBlob, p.afterBlob, p.oldStart, p.oldLines, p.newStart, p.newLines, this.#source, this.#at, p.removedCount, p.addedCount, reason);
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
const STORED_KEYS = ['patchId', 'traceId', 'stepId', 'path', 'oldPath', 'change', 'binary', 'beforeBlob', 'afterBlob', 'oldStart', 'oldLines', 'newStart', 'newLines', 'lines', 'removedCount', 'addedCount'];
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

/** The decoder's maker for the shape of a stored patch (`storedForm`), none for any other shape. */
export function storedPatchMaker(source: LineSource): (keys: readonly string[]) => ShapeMaker | undefined {
  return (keys) => {
    const shape = keys.join('\n');
    if (shape !== STORED_SHAPE && shape !== STORED_SHAPE_UNATTRIBUTED) return undefined;
    const withReason = shape === STORED_SHAPE_UNATTRIBUTED;
    const lines = (at: unknown): number => {
      if (!source.holds(at as number)) throw new Error(`a cached patch names lines ${String(at)} the file does not hold`);
      return at as number;
    };
    const count = (n: unknown): number => {
      if (!(Number.isInteger(n) && (n as number) >= 0)) throw new Error(`a cached patch counts ${String(n)} lines`);
      return n as number;
    };
    return (v) =>
      new StoredPatch(
        v() as string,
        v() as string,
        v() as string,
        v() as string,
        v() as string | null,
        v() as FileChange,
        v() as boolean,
        v() as string | null,
        v() as string | null,
        v() as number,
        v() as number,
        v() as number,
        v() as number,
        source,
        lines(v()),
        count(v()),
        count(v()),
        withReason ? (v() as string) : undefined,
      );
  };
}
