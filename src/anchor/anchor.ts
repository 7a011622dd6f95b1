import type { Repo } from '../git/repo.js';
import { resolveRef } from '../git/refs.js';
import { appendEvent } from '../store/log.js';
import { loadTrail, orderedIndexOf, orderedPatches, type Trail } from '../store/trail.js';
import type { Anchor, Patch } from '../model/events.js';
import { commitFileDiffs, matchPatches } from './match.js';

export interface AnchorResult {
  commit: string;
  anchors: Anchor[];
}

async function record(repo: Repo, trail: Trail, anchors: Anchor[], source: 'post-commit' | 'post-rewrite' | 'anchor-command'): Promise<void> {
  const byTrace = new Map<string, Anchor[]>();
  for (const a of anchors) {
    const traceId = trail.patches.get(a.patchId)!.traceId;
    byTrace.set(traceId, [...(byTrace.get(traceId) ?? []), a]);
  }
  const at = new Date().toISOString();
  for (const [traceId, list] of byTrace) await appendEvent(repo, traceId, { type: 'anchor', at, source, anchors: list });
}

/** Pending patches: recorded, not anchored yet. Newest first, the order matching needs. */
export function pendingPatches(trail: Trail): Patch[] {
  return orderedPatches(trail)
    .filter((p) => !trail.anchors.has(p.patchId))
    .reverse();
}

/** post-commit: anchors every pending patch whose lines the new commit added. */
export async function anchorCommit(repo: Repo, commitRev = 'HEAD', source: 'post-commit' | 'anchor-command' = 'post-commit'): Promise<AnchorResult> {
  const commit = commitRev === 'HEAD' ? await resolveRef(repo, 'HEAD') : commitRev;
  if (!commit) return { commit: '', anchors: [] };
  const trail = await loadTrail(repo);
  const pending = pendingPatches(trail);
  if (pending.length === 0) return { commit, anchors: [] };
  const anchors = matchPatches(commit, await commitFileDiffs(repo, commit), pending);
  await record(repo, trail, anchors, source);
  return { commit, anchors };
}

/**
 * post-rewrite (amend, rebase): `pairs` are git's "old new" lines. Anchors on an old commit move
 * to its new commit, re-matched against the new commit's diff (a squash joins several olds).
 */
export async function moveAnchors(repo: Repo, pairs: { oldCommit: string; newCommit: string }[]): Promise<Anchor[]> {
  const trail = await loadTrail(repo);
  const byNew = new Map<string, Patch[]>();
  for (const { oldCommit, newCommit } of pairs) {
    const moved = [...trail.anchors.values()].filter((a) => a.commit === oldCommit).map((a) => trail.patches.get(a.patchId)!);
    if (moved.length) byNew.set(newCommit, [...(byNew.get(newCommit) ?? []), ...moved]);
  }
  const all: Anchor[] = [];
  const indexOf = orderedIndexOf(trail);
  for (const [newCommit, patches] of byNew) {
    patches.sort((a, b) => indexOf(b.patchId)! - indexOf(a.patchId)!);
    all.push(...matchPatches(newCommit, await commitFileDiffs(repo, newCommit), patches));
  }
  await record(repo, trail, all, 'post-rewrite');
  return all;
}

/** Parses post-rewrite's stdin: one "old new [extra]" line per rewritten commit. */
export function parseRewriteInput(text: string): { oldCommit: string; newCommit: string }[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 2 && /^[0-9a-f]{40}$/.test(f[0]!) && /^[0-9a-f]{40}$/.test(f[1]!))
    .map((f) => ({ oldCommit: f[0]!, newCommit: f[1]! }));
}
