import type { Repo } from '../git/repo.js';
import { isBinary, MODE, readBlob } from '../git/objects.js';
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
export const RENAME_SIMILARITY = 0.5;
/** Past this many deleted × added pairs, only exact renames are looked for (git's rename limit idea). */
const RENAME_PAIR_LIMIT = 250_000;

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
  const pairedOld = new Set<TreeDelta>();
  const pairedNew = new Set<TreeDelta>();
  if (renames && deleted.length && added.length) {
    // Exact renames first: same blob id.
    const byOid = new Map<string, TreeDelta[]>();
    for (const d of deleted) byOid.set(d.oldOid!, [...(byOid.get(d.oldOid!) ?? []), d]);
    for (const n of added) {
      const src = byOid.get(n.newOid!)?.find((d) => !pairedOld.has(d));
      if (src) {
        pairedOld.add(src);
        pairedNew.add(n);
        out.push(build(n.path, src.path, 'renamed', await loadSide(repo, src.oldOid, src.oldMode, blobs), await loadSide(repo, n.newOid, n.newMode, blobs)));
      }
    }
    const restOld = deleted.filter((d) => !pairedOld.has(d));
    const restNew = added.filter((d) => !pairedNew.has(d));
    if (restOld.length && restNew.length && restOld.length * restNew.length <= RENAME_PAIR_LIMIT) {
      const scored: { s: number; d: TreeDelta; n: TreeDelta }[] = [];
      for (const d of restOld) {
        const a = await loadSide(repo, d.oldOid, d.oldMode, blobs);
        if (!a?.lines) continue;
        for (const n of restNew) {
          const b = await loadSide(repo, n.newOid, n.newMode, blobs);
          if (!b?.lines) continue;
          const s = textSimilarity(a.lines.lines, b.lines.lines);
          if (s >= RENAME_SIMILARITY) scored.push({ s, d, n });
        }
      }
      scored.sort((x, y) => y.s - x.s || x.n.path.localeCompare(y.n.path));
      for (const { d, n } of scored) {
        if (pairedOld.has(d) || pairedNew.has(n)) continue;
        pairedOld.add(d);
        pairedNew.add(n);
        out.push(build(n.path, d.path, 'renamed', await loadSide(repo, d.oldOid, d.oldMode, blobs), await loadSide(repo, n.newOid, n.newMode, blobs)));
      }
    }
  }
  for (const d of deleted) if (!pairedOld.has(d)) out.push(build(d.path, null, 'deleted', await loadSide(repo, d.oldOid, d.oldMode, blobs), null));
  for (const n of added) if (!pairedNew.has(n)) out.push(build(n.path, null, 'added', null, await loadSide(repo, n.newOid, n.newMode, blobs)));
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
