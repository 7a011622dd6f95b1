import { createHash } from 'node:crypto';
import type { Repo } from '../git/repo.js';
import type { FileDiff } from '../diff/file-changes.js';
import { foldSpace } from '../diff/lines.js';
import { addedCount } from '../store/stored-patch.js';
import type { Anchor, Patch } from '../model/events.js';
import { commitFileDiffs, matchPatches } from './match.js';

/**
 * Re-finding anchors from content, when no hook told us about a rewrite (amend, rebase, cherry-pick,
 * squash merges, forge squashes): the recorded anchor commit is not in the revision's history, or
 * the patch was never anchored. Three passes, strongest first:
 *
 * 1. pair the old commit with a new one the way `git range-diff` does, by patch id (the diff with all
 *    white space removed and line numbers left out, as `git patch-id --stable`), then re-match the
 *    patch's lines in the new commit's diff;
 * 2. find the patch's added lines, white space normalised, as a contiguous run of lines some commit
 *    added (a hash index of every added line): `exact` when byte-identical, else `fuzzy`; then, for
 *    what is still missing, the same run in the new file when the commit added most of it but the
 *    diff slid it (a repeated `}` or blank line aligned on the other side of the hunk);
 * 3. a fuzzy match (at least 85% similar, same file) against each commit touching the file.
 */
export interface RefindItem {
  patch: Patch;
  /** The recorded anchor commit, when there is one (and it is readable). */
  oldCommit: string | null;
  /** Only commits made at or after this time (seconds since the epoch) can hold the patch. */
  since: number;
}

export type RefindVia = 'patch-id' | 'hunk-hash' | 'fuzzy';

export interface RefindResult {
  anchor: Anchor;
  via: RefindVia;
}

export interface RefindCommit {
  oid: string;
  parents: string[];
  commitTime: number;
}

const ws = (s: string) => s.replace(/\s+/g, '');

/** A patch id of a commit's diff in the spirit of `git patch-id --stable`: white space and line numbers ignored, file order fixed. */
export function stablePatchId(files: FileDiff[]): string | null {
  const h = createHash('sha1');
  let any = false;
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (!f.hunks.length && !f.binary) continue;
    any = true;
    h.update(`${f.oldPath ?? f.path}\0${f.path}\0${f.binary ? `${f.oldOid}>${f.newOid}` : ''}\n`);
    const ol = f.oldLines?.lines ?? [];
    const nl = f.newLines?.lines ?? [];
    for (const hk of f.hunks) {
      for (let i = hk.oldStart; i < hk.oldStart + hk.oldCount; i++) h.update(`-${ws(ol[i]!)}\n`);
      for (let j = hk.newStart; j < hk.newStart + hk.newCount; j++) h.update(`+${ws(nl[j]!)}\n`);
    }
  }
  return any ? h.digest('hex') : null;
}

/**
 * The patch's added lines (white space normalised) as a contiguous run of the new file of `f` of
 * which the commit added at least half: the patch landed whole, but the diff aligned a repeated
 * line (a closing brace, a blank line) at the other end of the hunk, so no single run of added
 * lines holds it. Byte-identical runs first, then the run with the most added lines, then the
 * one nearest the patch's recorded position. Returns the 0-based start.
 */
export function slideRun(f: FileDiff, added: string[], newStart: number, free: (line: number) => boolean): { at: number; identical: boolean } | null {
  const nl = f.newLines?.lines ?? [];
  const n = added.length;
  if (!n || n > nl.length) return null;
  const isAdded = new Uint8Array(nl.length);
  for (const h of f.hunks) for (let j = h.newStart; j < h.newStart + h.newCount; j++) isAdded[j] = 1;
  const want = added.map(foldSpace);
  const tried = new Set<number>();
  let best: { at: number; identical: boolean; count: number } | null = null;
  for (const h of f.hunks) {
    if (!h.newCount) continue;
    for (let i = Math.max(0, h.newStart - n + 1); i <= Math.min(nl.length - n, h.newStart + h.newCount - 1); i++) {
      if (tried.has(i)) continue;
      tried.add(i);
      let count = 0;
      let ok = true;
      let identical = true;
      for (let k = 0; k < n && ok; k++) {
        ok = foldSpace(nl[i + k]!) === want[k] && free(i + k + 1);
        identical &&= nl[i + k] === added[k];
        count += isAdded[i + k]!;
      }
      if (!ok || count * 2 < n) continue;
      const cmp = best
        ? Number(identical) - Number(best.identical) || count - best.count || Math.abs(best.at - (newStart - 1)) - Math.abs(i - (newStart - 1))
        : 1;
      if (cmp > 0) best = { at: i, identical, count };
    }
  }
  return best && { at: best.at, identical: best.identical };
}

/**
 * Re-finds anchors for `items` among `history` (commits oldest first, parents before children).
 * Each committed line goes to one patch only; items are taken newest patch first.
 */
export async function refindAnchors(repo: Repo, history: RefindCommit[], items: RefindItem[]): Promise<Map<string, RefindResult>> {
  const out = new Map<string, RefindResult>();
  if (!items.length) return out;
  const diffCache = new Map<string, FileDiff[] | null>();
  const diffs = async (oid: string): Promise<FileDiff[] | null> => {
    if (diffCache.has(oid)) return diffCache.get(oid)!;
    let d: FileDiff[] | null;
    try {
      d = await commitFileDiffs(repo, oid);
    } catch {
      d = null;
    }
    diffCache.set(oid, d);
    return d;
  };
  const candidates = (since: number) => history.filter((c) => c.parents.length <= 1 && c.commitTime >= since);
  const claimed = new Set<string>();
  const claimKey = (commit: string, path: string, line: number) => `${commit}\0${path}\0${line}`;
  const take = (item: RefindItem, anchor: Anchor, via: RefindVia): boolean => {
    if (anchor.lines.some((l) => claimed.has(claimKey(anchor.commit, anchor.path, l)))) return false;
    for (const l of anchor.lines) claimed.add(claimKey(anchor.commit, anchor.path, l));
    out.set(item.patch.patchId, { anchor, via });
    return true;
  };

  /** Takes the patch's run in one of `files` found by `slideRun` (`exactOnly`: byte-identical runs only). */
  const slid = (it: RefindItem, c: RefindCommit, files: FileDiff[], via: RefindVia, exactOnly: boolean): boolean => {
    const p = it.patch;
    if (!addedCount(p)) return false;
    const ordered = [...files].sort((a, b) => Number(b.path === p.path || b.oldPath === p.path) - Number(a.path === p.path || a.oldPath === p.path));
    for (const f of ordered) {
      const r = slideRun(f, p.added, p.newStart, (line) => !claimed.has(claimKey(c.oid, f.path, line)));
      if (!r || (exactOnly && !r.identical)) continue;
      const lines = p.added.map((_, k) => r.at + k + 1);
      if (take(it, { patchId: p.patchId, commit: c.oid, firmness: r.identical ? 'exact' : 'fuzzy', path: f.path, lines }, via)) return true;
    }
    return false;
  };

  // 1. Commit pairs by patch id.
  const byOld = new Map<string, RefindItem[]>();
  for (const it of items) if (it.oldCommit) byOld.set(it.oldCommit, [...(byOld.get(it.oldCommit) ?? []), it]);
  const pidCache = new Map<string, string | null>();
  const pid = async (oid: string) => {
    if (!pidCache.has(oid)) {
      const d = await diffs(oid);
      pidCache.set(oid, d ? stablePatchId(d) : null);
    }
    return pidCache.get(oid)!;
  };
  for (const [old, group] of byOld) {
    const want = await pid(old);
    if (!want) continue;
    const since = Math.min(...group.map((g) => g.since));
    for (const c of candidates(since)) {
      if ((await pid(c.oid)) !== want) continue;
      const files = (await diffs(c.oid))!;
      const anchors = matchPatches(c.oid, files, group.map((g) => g.patch));
      // Exact runs first; a fuzzy one (or none) may be a diff slider of byte-identical lines.
      anchors.sort((a, b) => Number(a.firmness === 'fuzzy') - Number(b.firmness === 'fuzzy'));
      for (const a of anchors) {
        const it = group.find((g) => g.patch.patchId === a.patchId)!;
        if (a.firmness === 'fuzzy' && slid(it, c, files, 'patch-id', true)) continue;
        take(it, a, 'patch-id');
      }
      for (const it of group) if (!out.has(it.patch.patchId)) slid(it, c, files, 'patch-id', false);
      break;
    }
  }

  // 2. Hunks by hashes of white-space-normalised added lines.
  let rest = items.filter((it) => !out.has(it.patch.patchId) && addedCount(it.patch) > 0);
  if (rest.length) {
    const since = Math.min(...rest.map((r) => r.since));
    const wanted = new Set(rest.map((r) => foldSpace(r.patch.added[0]!)));
    const postings = new Map<string, { commit: RefindCommit; file: FileDiff; j: number; end: number }[]>();
    for (const c of candidates(since)) {
      for (const f of (await diffs(c.oid)) ?? []) {
        const nl = f.newLines?.lines ?? [];
        for (const h of f.hunks) {
          for (let j = h.newStart; j < h.newStart + h.newCount; j++) {
            const key = foldSpace(nl[j]!);
            if (!wanted.has(key)) continue;
            const list = postings.get(key) ?? [];
            list.push({ commit: c, file: f, j, end: h.newStart + h.newCount });
            postings.set(key, list);
          }
        }
      }
    }
    for (const it of rest) {
      const added = it.patch.added;
      const add = added.map(foldSpace);
      const hits = (postings.get(add[0]!) ?? []).filter((p) => p.commit.commitTime >= it.since && p.j + add.length <= p.end);
      // Same file first, then oldest commit (the first landing).
      hits.sort((a, b) => Number(b.file.path === it.patch.path) - Number(a.file.path === it.patch.path));
      for (const hit of hits) {
        const nl = hit.file.newLines!.lines;
        let ok = true;
        let identical = true;
        for (let k = 0; k < add.length && ok; k++) {
          ok = foldSpace(nl[hit.j + k]!) === add[k];
          identical &&= nl[hit.j + k] === added[k];
        }
        if (!ok) continue;
        const lines = add.map((_, k) => hit.j + k + 1);
        if (take(it, { patchId: it.patch.patchId, commit: hit.commit.oid, firmness: identical ? 'exact' : 'fuzzy', path: hit.file.path, lines }, 'hunk-hash')) break;
      }
    }
  }

  // 2b. The run whole in the new file, slid across a hunk's edge by the diff.
  rest = items.filter((it) => !out.has(it.patch.patchId) && addedCount(it.patch) > 0);
  for (const it of rest) {
    for (const c of candidates(it.since)) {
      const files = await diffs(c.oid);
      if (files && slid(it, c, files, 'hunk-hash', false)) break;
    }
  }

  // 3. Fuzzy, same file.
  rest = items.filter((it) => !out.has(it.patch.patchId));
  for (const it of rest) {
    for (const c of candidates(it.since)) {
      const files = await diffs(c.oid);
      if (!files?.some((f) => f.path === it.patch.path || f.oldPath === it.patch.path)) continue;
      const [a] = matchPatches(c.oid, files, [it.patch]);
      if (a && take(it, { ...a, firmness: 'fuzzy' }, 'fuzzy')) break;
    }
  }
  return out;
}
