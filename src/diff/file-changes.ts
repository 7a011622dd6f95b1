import type { Repo } from '../git/repo.js';
import { MODE } from '../git/object-format.js';
import { isBinary, readBlob } from '../git/objects.js';
import { diffTrees, type TreeDelta } from '../git/tree-diff.js';
import { diffLines, splitLines, textSimilarity, type LineHunk, type Lines } from './lines.js';
import type { FileChange } from '../model/events.js';

/** A file changed between two trees, with its content as lines (null for binary or absent sides). */
export interface FileDiff {
  path: string;
  oldPath: string | null;
  change: FileChange;
  oldOid: string | null;
  newOid: string | null;
  oldMode: string | null;
  newMode: string | null;
  binary: boolean;
  oldLines: Lines | null;
  newLines: Lines | null;
  hunks: LineHunk[];
}

/** git's default: a rename needs at least 50% similarity. */
const RENAME_SIMILARITY = 0.5;
/** Past this many deleted × added pairs, only exact renames are looked for (git's rename limit idea). */
const RENAME_PAIR_LIMIT = 250_000;

const isRegular = (mode: string | null) => mode === MODE.file || mode === MODE.exec;
const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/**
 * The file each added path came from, as git blame finds it for that path alone: among the deleted
 * files, one with the same content (and a mode git pairs with it), else the most similar text, if
 * at least 50% alike (`textSimilarity`); among equals, one with the same file name, then the first
 * by path. Each added path is looked up on its own, so one deleted file can be the source of
 * several (git blame follows each of them to it). `linesOf` gives a side's lines (null: binary).
 * `wanted`: the sources the caller follows (the survival pass: its tracked files); an added path
 * none of them is 50% like is not compared with the others, nor their lines read.
 */
export async function renameSources(
  added: readonly TreeDelta[],
  deleted: readonly TreeDelta[],
  linesOf: (d: TreeDelta, side: 'old' | 'new') => Promise<string[] | null>,
  wanted?: (source: TreeDelta) => boolean,
): Promise<Map<TreeDelta, TreeDelta>> {
  const out = new Map<TreeDelta, TreeDelta>();
  if (!added.length || !deleted.length) return out;
  const sources = [...deleted].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  // Of two equally good sources, `x` wins over the one found first when only it has the target's file name.
  const sameName = (to: TreeDelta, x: TreeDelta) => baseName(x.path) === baseName(to.path);
  const rest: TreeDelta[] = [];
  for (const n of added) {
    let best: TreeDelta | undefined;
    for (const x of sources) {
      if (x.oldOid !== n.newOid || !(x.oldMode === n.newMode || (isRegular(x.oldMode) && isRegular(n.newMode)))) continue;
      if (!best || (sameName(n, x) && !sameName(n, best))) best = x;
    }
    if (best) out.set(n, best);
    else rest.push(n);
  }
  if (!rest.length || rest.length * sources.length > RENAME_PAIR_LIMIT) return out;
  const size = (ls: string[]) => ls.reduce((k, l) => k + l.length + 1, 0);
  // Each source's lines, read when first compared.
  const texts = new Map<TreeDelta, { lines: string[]; size: number } | null>();
  const textOf = async (x: TreeDelta) => {
    if (!texts.has(x)) {
      const lines = await linesOf(x, 'old');
      texts.set(x, lines ? { lines, size: size(lines) } : null);
    }
    return texts.get(x)!;
  };
  for (const n of rest) {
    const b = await linesOf(n, 'new');
    if (!b) continue;
    const sb = size(b);
    const scores = new Map<TreeDelta, number>();
    const score = async (x: TreeDelta): Promise<number> => {
      let s = scores.get(x);
      if (s === undefined) {
        const a = await textOf(x);
        // What two texts share is at most the smaller: under half the larger, no rename.
        s = !a || Math.min(a.size, sb) < RENAME_SIMILARITY * Math.max(a.size, sb) ? 0 : textSimilarity(a.lines, b);
        scores.set(x, s);
      }
      return s;
    };
    if (wanted) {
      let any = false;
      for (const x of sources) {
        if (wanted(x) && (await score(x)) >= RENAME_SIMILARITY) {
          any = true;
          break;
        }
      }
      if (!any) continue;
    }
    let best: TreeDelta | undefined;
    let bestScore = 0;
    for (const x of sources) {
      const s = await score(x);
      if (s < RENAME_SIMILARITY || s < bestScore) continue;
      if (s > bestScore || (sameName(n, x) && !sameName(n, best!))) {
        best = x;
        bestScore = s;
      }
    }
    if (best) out.set(n, best);
  }
  return out;
}

interface Side {
  oid: string;
  mode: string;
  binary: boolean;
  lines: Lines | null;
}

async function loadSide(repo: Repo, oid: string | null, mode: string | null, blobs: Map<string, Side>): Promise<Side | null> {
  if (!oid || !mode) return null;
  const hit = blobs.get(oid + mode);
  if (hit) return hit;
  let side: Side;
  if (mode === MODE.gitlink) side = { oid, mode, binary: true, lines: null };
  else {
    const buf = await readBlob(repo, oid);
    const binary = isBinary(buf);
    side = { oid, mode, binary, lines: binary ? null : splitLines(buf.toString('utf8')) };
  }
  blobs.set(oid + mode, side);
  return side;
}

function build(path: string, oldPath: string | null, change: FileChange, a: Side | null, b: Side | null): FileDiff {
  const binary = Boolean(a?.binary || b?.binary);
  const empty: Lines = { lines: [], noEol: false };
  const hunks = binary ? [] : diffLines(a?.lines ?? empty, b?.lines ?? empty);
  return {
    path,
    oldPath,
    change,
    oldOid: a?.oid ?? null,
    newOid: b?.oid ?? null,
    oldMode: a?.mode ?? null,
    newMode: b?.mode ?? null,
    binary,
    oldLines: a?.lines ?? null,
    newLines: b?.lines ?? null,
    hunks,
  };
}

export interface DiffOptions {
  /** Detect renames (exact, then by similarity). Default true. */
  renames?: boolean;
  /** Paths to leave out (e.g. files a snapshot could not include). */
  skip?: Set<string>;
}

/** The file-level diff of two trees (null: empty tree), renames paired, each file's line hunks. */
export async function diffTreeFiles(repo: Repo, oldTree: string | null, newTree: string | null, options: DiffOptions = {}): Promise<FileDiff[]> {
  const deltas = (await diffTrees(repo, oldTree, newTree)).filter((d) => !options.skip?.has(d.path));
  return diffDeltas(repo, deltas, options.renames ?? true);
}

export async function diffDeltas(repo: Repo, deltas: TreeDelta[], renames: boolean): Promise<FileDiff[]> {
  const blobs = new Map<string, Side>();
  const out: FileDiff[] = [];
  const deleted: TreeDelta[] = [];
  const added: TreeDelta[] = [];
  for (const d of deltas) {
    if (d.oldOid && d.newOid) {
      out.push(build(d.path, null, 'modified', await loadSide(repo, d.oldOid, d.oldMode, blobs), await loadSide(repo, d.newOid, d.newMode, blobs)));
    } else if (d.oldOid) deleted.push(d);
    else added.push(d);
  }
  const linesOf = async (d: TreeDelta, side: 'old' | 'new') => (await loadSide(repo, side === 'old' ? d.oldOid : d.newOid, side === 'old' ? d.oldMode : d.newMode, blobs))?.lines?.lines ?? null;
  const source = renames ? await renameSources(added, deleted, linesOf) : new Map<TreeDelta, TreeDelta>();
  const used = new Set(source.values());
  for (const n of added) {
    const from = source.get(n);
    const b = await loadSide(repo, n.newOid, n.newMode, blobs);
    out.push(from ? build(n.path, from.path, 'renamed', await loadSide(repo, from.oldOid, from.oldMode, blobs), b) : build(n.path, null, 'added', null, b));
  }
  for (const d of deleted) if (!used.has(d)) out.push(build(d.path, null, 'deleted', await loadSide(repo, d.oldOid, d.oldMode, blobs), null));
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
