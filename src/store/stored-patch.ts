import type { FileChange, Patch } from '../model/events.js';
import { decodeBinaryJson, type ShapeMaker } from './binary-json.js';

/**
 * The lines of the patches of one cache file, decoded the first time any of them is read. Most
 * commands read no patch's lines: the survival update after a new commit reads those of the few
 * patches the commit touches, `track` none. Their strings and arrays are over half of what decoding
 * a large trail makes (jsdiff's replayed history: 115,000 lines out of 5.6 MB); left undecoded,
 * they cost neither the decode nor the garbage collection that copies whatever a command keeps.
 * Entry 2i holds patch i's removed lines, 2i + 1 its added lines.
 */
export class LineSource {
  #bytes: Buffer | null;
  #lines: string[][] | null = null;
  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }
  at(i: number): string[] {
    if (!this.#lines) {
      this.#lines = LineSource.#decode(this.#bytes!);
      this.#bytes = null;
    }
    const lines = this.#lines[i];
    // The file's sum matched when it was read: anything else is ours to fix, not the user's.
    if (!lines) throw new Error(`a cached patch names lines ${i >> 1} of ${this.#lines.length >> 1}`);
    return lines;
  }
  static #decode(bytes: Buffer): string[][] {
    const v = decodeBinaryJson(bytes);
    if (!Array.isArray(v) || v.length % 2 !== 0 || !v.every((x) => Array.isArray(x) && x.every((s) => typeof s === 'string'))) {
      throw new Error('the cached patches\' lines are not lists of lines');
    }
    return v as string[][];
  }
}

/**
 * A patch read from a cache file: every field of `Patch`, its lines read from the file's
 * `LineSource` when first asked for. `toJSON` gives the plain patch (keys in the schema's order),
 * so the JSON of a stored patch is that of the patch it stores. A spread copies no lines: copy a
 * patch with `plainPatch`.
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
  toJSON(): Patch {
    return plainPatch(this);
  }
}

/** A patch as a plain object, lines included, keys in the schema's order. */
export function plainPatch(p: Patch): Patch {
  const out: Patch = {
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
    removed: p.removed,
    added: p.added,
  };
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
    lines: at,
    unattributed: p.unattributed,
  };
}

/** The decoder's maker for the shape of a stored patch (`storedForm`), none for any other shape. */
export function storedPatchMaker(source: LineSource): (keys: readonly string[]) => ShapeMaker | undefined {
  return (keys) => {
    const shape = keys.join('\n');
    if (shape !== STORED_SHAPE && shape !== STORED_SHAPE_UNATTRIBUTED) return undefined;
    const withReason = shape === STORED_SHAPE_UNATTRIBUTED;
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
        v() as number,
        withReason ? (v() as string) : undefined,
      );
  };
}
