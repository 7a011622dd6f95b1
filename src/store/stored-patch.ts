import type { FileChange, Patch } from '../model/events.js';
import { openStringLists, type ShapeMaker, type StringLists } from './binary-json.js';

/**
 * The lines of the patches of one cache file, each patch's decoded the first time they are read.
 * Most commands read few patches' lines: the survival update after a new commit those of the
 * patches the commit touches, `track` none. On jsdiff's replayed history the patches hold 115,000
 * lines (35,000 distinct), half the time decoding the whole trail took; left undecoded, they cost
 * neither the decode nor the garbage collection that copies whatever a command keeps. The list is
 * checked whole when the file is read. Entry 2i holds patch i's removed lines, 2i + 1 its added.
 */
export class LineSource {
  readonly #lists: StringLists;
  readonly #decoded: (string[] | undefined)[];
  constructor(bytes: Buffer) {
    this.#lists = openStringLists(bytes);
    if (this.#lists.count % 2 !== 0) throw new Error('the cached lines are not in pairs');
    this.#decoded = new Array(this.#lists.count);
  }
  /** Whether it holds the lines of patch `at`. */
  holds(at: number): boolean {
    return Number.isInteger(at) && at >= 0 && 2 * at + 1 < this.#lists.count;
  }
  /** Entry i (the same array on every read). */
  at(i: number): string[] {
    return (this.#decoded[i] ??= this.#lists.at(i));
  }
  lengthOf(i: number): number {
    return this.#lists.lengthOf(i);
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
    unattributed: string | undefined,
  ) {
    this.#source = source;
    this.#at = at;
    if (unattributed !== undefined) this.unattributed = unattributed;
  }
  get removed(): string[] {
    return this.#source.at(2 * this.#at);
  }
  get added(): string[] {
    return this.#source.at(2 * this.#at + 1);
  }
  /** How many lines it removes and adds, without decoding them. */
  get removedCount(): number {
    return this.#source.lengthOf(2 * this.#at);
  }
  get addedCount(): number {
    return this.#source.lengthOf(2 * this.#at + 1);
  }
  /** The same patch marked unattributed (its lines still undecoded). */
  unattributedAs(reason: string): StoredPatch {
    const p = this;
    return new StoredPatch(p.patchId, p.traceId, p.stepId, p.path, p.oldPath, p.change, p.binary, p.beforeBlob, p.afterBlob, p.oldStart, p.oldLines, p.newStart, p.newLines, this.#source, this.#at, reason);
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

/** The keys of a patch as a cache file stores it: its lines replaced by their place in the file's line list. */
const STORED_KEYS = ['patchId', 'traceId', 'stepId', 'path', 'oldPath', 'change', 'binary', 'beforeBlob', 'afterBlob', 'oldStart', 'oldLines', 'newStart', 'newLines', 'lines'];
const STORED_SHAPE = STORED_KEYS.join('\n');
const STORED_SHAPE_UNATTRIBUTED = [...STORED_KEYS, 'unattributed'].join('\n');

/**
 * A patch's stored form, its lines appended to `lines` (removed, then added). Typed loosely: its
 * shape is what `storedPatchMaker` recognises, key for key.
 */
export function storedForm(p: Patch, lines: string[][]): Record<string, unknown> {
  const at = lines.length >> 1;
  lines.push(p.removed, p.added);
  return { ...hunkFields(p), lines: at, unattributed: p.unattributed };
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
        withReason ? (v() as string) : undefined,
      );
  };
}
