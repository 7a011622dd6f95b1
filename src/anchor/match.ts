import type { Repo } from '../git/repo.js';
import { readCommit } from '../git/objects.js';
import { diffTreeFiles, type FileDiff } from '../diff/file-changes.js';
import { lineSimilarity } from '../diff/lines.js';
import type { Anchor, Patch } from '../model/events.js';

/** A fuzzy anchor needs the patch's added text and the commit's to be at least this similar. */
export const FUZZY_SIMILARITY = 0.85;

/** The changes a commit made against its first parent (the root commit: against the empty tree). */
export async function commitFileDiffs(repo: Repo, commit: string): Promise<FileDiff[]> {
  const c = await readCommit(repo, commit);
  let parentTree: string | null = null;
  if (c.parents[0]) {
    try {
      parentTree = (await readCommit(repo, c.parents[0])).tree;
    } catch (err) {
      // The boundary of a shallow clone: the parent is not here, so what the commit changed is
      // unknown. Nothing is anchored to it rather than everything (its whole tree is not its diff).
      if (repo.shallow) return [];
      throw err;
    }
  }
  return diffTreeFiles(repo, parentTree, c.tree);
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

interface Run {
  /** 0-based positions in the new (or, for deletions, old) file. */
  start: number;
  lines: string[];
}

/** Added runs (contiguous in the new file) of a file diff; removed runs likewise in the old file. */
function addedRuns(fd: FileDiff): Run[] {
  const nl = fd.newLines?.lines ?? [];
  return fd.hunks.filter((h) => h.newCount > 0).map((h) => ({ start: h.newStart, lines: nl.slice(h.newStart, h.newStart + h.newCount) }));
}
function removedRuns(fd: FileDiff): Run[] {
  const ol = fd.oldLines?.lines ?? [];
  return fd.hunks.filter((h) => h.oldCount > 0).map((h) => ({ start: h.oldStart, lines: ol.slice(h.oldStart, h.oldStart + h.oldCount) }));
}

function findRun(runs: Run[], want: string[], claimed: Set<number>, near: number, eq: (a: string, b: string) => boolean): number | null {
  let best: number | null = null;
  for (const r of runs) {
    for (let i = 0; i + want.length <= r.lines.length; i++) {
      let ok = true;
      for (let k = 0; k < want.length && ok; k++) ok = !claimed.has(r.start + i + k) && eq(r.lines[i + k]!, want[k]!);
      if (ok && (best === null || Math.abs(r.start + i - near) < Math.abs(best - near))) best = r.start + i;
    }
  }
  return best;
}

/**
 * Finds, among the added lines of a commit's diff, the lines of each patch. Exact: the patch's
 * added lines appear as a contiguous run of added lines in the same file (line precision).
 * Fuzzy: a same-length run whose text is at least 85% similar. A run equal to the patch's
 * before-content is a restore, never the patch's landing. A pure deletion lands where the commit
 * removes the same lines. Patches are matched newest first, and each committed line goes to one
 * patch only: the last step that wrote it.
 */
export function matchPatches(commit: string, files: FileDiff[], patchesNewestFirst: Patch[]): Anchor[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const byOldPath = new Map(files.filter((f) => f.oldPath).map((f) => [f.oldPath!, f]));
  const claimedNew = new Map<string, Set<number>>();
  const claimedOld = new Map<string, Set<number>>();
  const claim = (m: Map<string, Set<number>>, p: string) => m.get(p) ?? m.set(p, new Set()).get(p)!;
  const anchors: Anchor[] = [];
  for (const patch of patchesNewestFirst) {
    const fd = byPath.get(patch.path) ?? byOldPath.get(patch.path);
    if (!fd) continue;
    if (patch.added.length === 0) {
      if (patch.removed.length === 0 || patch.binary) {
        // Binary, rename or mode change: lands when the commit brings the file to the patch's result.
        if (fd.newOid === patch.afterBlob) anchors.push({ patchId: patch.patchId, commit, firmness: 'exact', path: fd.path, lines: [] });
        continue;
      }
      const claimed = claim(claimedOld, fd.path);
      const at = findRun(removedRuns(fd), patch.removed, claimed, patch.oldStart - 1, (a, b) => a === b);
      if (at !== null) {
        for (let k = 0; k < patch.removed.length; k++) claimed.add(at + k);
        anchors.push({ patchId: patch.patchId, commit, firmness: 'exact', path: fd.path, lines: [] });
      }
      continue;
    }
    const claimed = claim(claimedNew, fd.path);
    const runs = addedRuns(fd);
    let firmness: Anchor['firmness'] = 'exact';
    let at = findRun(runs, patch.added, claimed, patch.newStart - 1, (a, b) => a === b);
    if (at === null) {
      at = fuzzyRun(runs, patch, claimed);
      firmness = 'fuzzy';
    }
    if (at === null) continue;
    const lines: number[] = [];
    for (let k = 0; k < patch.added.length; k++) {
      claimed.add(at + k);
      lines.push(at + k + 1);
    }
    anchors.push({ patchId: patch.patchId, commit, firmness, path: fd.path, lines });
  }
  return anchors;
}

function fuzzyRun(runs: Run[], patch: Patch, claimed: Set<number>): number | null {
  const want = norm(patch.added.join('\n'));
  const before = norm(patch.removed.join('\n'));
  let best: { at: number; s: number } | null = null;
  for (const r of runs) {
    for (let i = 0; i + patch.added.length <= r.lines.length; i++) {
      let free = true;
      for (let k = 0; k < patch.added.length && free; k++) free = !claimed.has(r.start + i + k);
      if (!free) continue;
      const text = norm(r.lines.slice(i, i + patch.added.length).join('\n'));
      if (before && text === before) continue;
      const s = lineSimilarity(text, want);
      if (s >= FUZZY_SIMILARITY && (!best || s > best.s)) best = { at: r.start + i, s };
    }
  }
  return best?.at ?? null;
}
