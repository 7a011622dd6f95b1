import type { Repo } from '../git/repo.js';
import { readCommit } from '../git/objects.js';
import { diffTreeFiles, type FileDiff } from '../diff/file-changes.js';
import { bigramProfile, foldSpace, similarityTo, windowSimilarities } from '../diff/lines.js';
import type { Anchor, Patch } from '../model/events.js';

/** A fuzzy anchor needs the patch's added text and the commit's to be at least this similar. */
export const FUZZY_SIMILARITY = 0.85;
/** A window of the patch's length this similar is a place to try nearby lengths too. */
const NEAR_SIMILARITY = 0.6;

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
 * Fuzzy: a run whose text is at least 85% similar (a few lines shorter or longer: `fuzzyRun`).
 * A run equal to the patch's before-content is a restore, never the patch's landing. A pure
 * deletion lands where the commit removes the same lines. Patches are matched newest first, and each committed line goes to one
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
    const at = findRun(runs, patch.added, claimed, patch.newStart - 1, (a, b) => a === b);
    if (at !== null) {
      const lines = patch.added.map((_, k) => at + k + 1);
      for (const l of lines) claimed.add(l - 1);
      anchors.push({ patchId: patch.patchId, commit, firmness: 'exact', path: fd.path, lines });
      continue;
    }
    const fuzzy = fuzzyRun(runs, patch, claimed);
    if (!fuzzy) continue;
    for (const l of fuzzy.lines) claimed.add(l - 1);
    anchors.push({ patchId: patch.patchId, commit, firmness: 'fuzzy', path: fd.path, ...fuzzy });
  }
  return anchors;
}

/**
 * The most similar window of added lines, at least 85% like the patch's added text. Windows of the
 * patch's length are tried everywhere; windows a few lines shorter or longer (15% of its lines, at
 * least 1, at most 8: a line dropped or added before the commit) only around the most similar of
 * those, and in runs shorter than the patch, so the search costs about what one length costs. Each
 * committed line of the chosen window is then paired with the added line it holds (`alignLanded`);
 * lines that did not land have none.
 */
function fuzzyRun(runs: Run[], patch: Patch, claimed: Set<number>): Pick<Anchor, 'lines' | 'addedIndex'> | null {
  const n = patch.added.length;
  const want = patch.added.join('\n');
  // The patch's text, its bigrams counted once for every window scored against it.
  const profile = bigramProfile(foldSpace(want));
  const score = similarityTo(profile);
  const before = foldSpace(patch.removed.join('\n'));
  const slack = Math.min(8, Math.max(1, Math.floor(n * (1 - FUZZY_SIMILARITY))));
  let best: { run: Run; i: number; len: number; s: number } | null = null;
  /** Takes the window when it is similar enough, free, and not the before-content (a restore). */
  const consider = (r: Run, i: number, len: number, s: number) => {
    if (s < FUZZY_SIMILARITY) return;
    // Most similar first; on a tie, the window closest to the patch's length.
    if (best && (s < best.s || (s === best.s && Math.abs(len - n) >= Math.abs(best.len - n)))) return;
    for (let k = 0; k < len; k++) if (claimed.has(r.start + i + k)) return;
    if (before && foldSpace(r.lines.slice(i, i + len).join('\n')) === before) return;
    best = { run: r, i, len, s };
  };
  const near: { run: Run; i: number; s: number }[] = [];
  for (const r of runs) {
    if (r.lines.length < n) {
      near.push({ run: r, i: 0, s: 1 });
      continue;
    }
    // The patch's length everywhere, in one sliding pass.
    const sims = windowSimilarities(r.lines, n, profile);
    for (let i = 0; i < sims.length; i++) {
      consider(r, i, n, sims[i]!);
      if (sims[i]! >= NEAR_SIMILARITY) near.push({ run: r, i, s: sims[i]! });
    }
  }
  // Other lengths around the most similar places (a handful of windows each).
  near.sort((a, b) => b.s - a.s);
  const tried = new Set<string>();
  for (const c of near.slice(0, 3 + runs.filter((r) => r.lines.length < n).length)) {
    for (let d = 1; d <= slack; d++) {
      for (const len of [n - d, n + d]) {
        for (let i = c.i - slack; i <= c.i + slack; i++) {
          const key = `${c.run.start}:${i}:${len}`;
          if (len < 1 || i < 0 || i + len > c.run.lines.length || tried.has(key)) continue;
          tried.add(key);
          consider(c.run, i, len, score(foldSpace(c.run.lines.slice(i, i + len).join('\n'))));
        }
      }
    }
  }
  const found = best as { run: Run; i: number; len: number; s: number } | null;
  if (!found) return null;
  const window = found.run.lines.slice(found.i, found.i + found.len);
  const pairs = alignLanded(window, patch.added);
  const lines = pairs.map(([j]) => found.run.start + found.i + j + 1);
  const addedIndex = pairs.map(([, k]) => k);
  const positional = pairs.length === n && addedIndex.every((k, j) => k === j);
  return positional ? { lines } : { lines, addedIndex };
}

/**
 * Pairs committed lines (`window`) with the patch's added lines: equal lines (white space folded)
 * by a longest common subsequence, then, between two equal pairs, the lines left on both sides in
 * order (edited before the commit). Lines left over on one side only have no partner: added lines
 * that did not land, or committed lines the patch did not write. Returns [window index, added index].
 */
function alignLanded(window: string[], added: string[]): [number, number][] {
  const a = window.map(foldSpace);
  const b = added.map(foldSpace);
  const m = a.length;
  const n = b.length;
  // lcs[i][j]: LCS length of a[i..] and b[j..].
  const lcs = Array.from({ length: m + 1 }, () => new Uint16Array(n + 1));
  for (let i = m - 1; i >= 0; i--) for (let j = n - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  let gi = 0;
  let gj = 0;
  const gap = (toI: number, toJ: number) => {
    for (let k = 0; k < Math.min(toI - gi, toJ - gj); k++) pairs.push([gi + k, gj + k]);
  };
  while (i < m && j < n) {
    if (a[i] === b[j]) {
      gap(i, j);
      pairs.push([i, j]);
      gi = ++i;
      gj = ++j;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) i++;
    else j++;
  }
  gap(m, n);
  return pairs;
}
