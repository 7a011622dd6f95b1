import type { Repo } from '../git/repo.js';
import { commitFileDiffs, matchPatches } from '../anchor/match.js';
import type { Anchor, Firmness, Patch } from '../model/events.js';
import type { BlameHunk } from '../model/views.js';
import { allAnchors, orderedPatches, stepOf, type Trail } from '../store/trail.js';
import type { SurvivalReport } from '../survival/types.js';

/**
 * Which step wrote which lines of a commit: the join of a commit's diff (against its first parent)
 * with the anchors of the trail. Shared by `blame commit` and the PR card.
 *
 * Evidence, strongest first: the survival engine's effective anchor (recorded by a hook, or re-found
 * after a rewrite), then every anchor ever recorded to the commit (the trail keeps the history of
 * anchor events, so a commit rewritten since still knows its patches), then, for patches never
 * anchored anywhere (no hook ran), the anchoring code's own content match against the commit. Each
 * committed line goes to one patch only.
 */
export interface AnchorIndex {
  /** commit → patchId → anchor */
  byCommit: Map<string, Map<string, Anchor>>;
  /** Patches with no anchor at all: candidates for a content match. */
  neverAnchored: Patch[];
}

export function buildAnchorIndex(trail: Trail, report: SurvivalReport | null): AnchorIndex {
  const byCommit = new Map<string, Map<string, Anchor>>();
  const add = (a: Anchor, override: boolean) => {
    let m = byCommit.get(a.commit);
    if (!m) byCommit.set(a.commit, (m = new Map()));
    if (override || !m.has(a.patchId)) m.set(a.patchId, a);
  };
  // Recorded anchors in event order: a later anchor to the same commit replaces an earlier one.
  for (const a of allAnchors(trail)) add(a, true);
  // The engine's effective anchors win over what was recorded.
  const anchored = new Set<string>(trail.anchors.keys());
  for (const m of byCommit.values()) for (const id of m.keys()) anchored.add(id);
  if (report) {
    for (const ps of report.patches.values()) {
      if (ps.anchor) {
        add(ps.anchor, true);
        anchored.add(ps.patchId);
      }
    }
  }
  // Newest first, as matching wants it (the last step that wrote a line is its author).
  const neverAnchored = orderedPatches(trail)
    .filter((p) => !anchored.has(p.patchId))
    .reverse();
  return { byCommit, neverAnchored };
}

interface Owner {
  patch: Patch;
  firmness: Firmness;
}

function hunkEntry(base: Omit<BlameHunk, 'attribution' | 'traceId' | 'stepId' | 'stepIndex' | 'agent' | 'tool' | 'turnId' | 'intent' | 'patchId' | 'firmness' | 'survival' | 'reason'>, owner: Owner | null, trail: Trail, report: SurvivalReport | null): BlameHunk {
  const none = { traceId: null, stepId: null, stepIndex: null, agent: null, tool: null, turnId: null, intent: null, firmness: null, survival: null };
  if (!owner) return { ...base, ...none, attribution: 'unattributed', patchId: null, reason: 'no recorded step wrote these lines' };
  const { patch } = owner;
  if (patch.unattributed) return { ...base, ...none, attribution: 'unattributed', patchId: patch.patchId, reason: patch.unattributed };
  const step = stepOf(trail, patch);
  const trace = trail.traces.get(patch.traceId);
  return {
    ...base,
    attribution: 'traced',
    traceId: patch.traceId,
    stepId: patch.stepId,
    stepIndex: step?.index ?? null,
    agent: step?.agent ?? trace?.agent ?? null,
    tool: step?.tool ?? null,
    turnId: step?.turnId ?? null,
    intent: step?.intent ?? null,
    patchId: patch.patchId,
    firmness: owner.firmness,
    survival: report?.patches.get(patch.patchId)?.survival ?? null,
    reason: null,
  };
}

export interface CommitAttribution {
  hunks: BlameHunk[];
  tracedLines: number;
  totalLines: number;
}

/** The hunks of `commit` (against its first parent), split by the step that wrote their lines. */
export async function attributeCommit(repo: Repo, trail: Trail, commit: string, index: AnchorIndex, report: SurvivalReport | null): Promise<CommitAttribution> {
  const files = await commitFileDiffs(repo, commit);
  const anchors = [...(index.byCommit.get(commit)?.values() ?? [])];
  // Content match for patches no hook anchored, against this commit only.
  const touched = new Set(files.flatMap((f) => (f.oldPath ? [f.path, f.oldPath] : [f.path])));
  const candidates = index.neverAnchored.filter((p) => touched.has(p.path));
  if (candidates.length) {
    const known = new Set(anchors.map((a) => a.patchId));
    for (const a of matchPatches(commit, files, candidates)) if (!known.has(a.patchId)) anchors.push(a);
  }
  const byPath = new Map<string, { anchor: Anchor; patch: Patch }[]>();
  for (const anchor of anchors) {
    const patch = trail.patches.get(anchor.patchId);
    if (!patch) continue;
    const list = byPath.get(anchor.path) ?? [];
    list.push({ anchor, patch });
    byPath.set(anchor.path, list);
  }

  const hunks: BlameHunk[] = [];
  let hunkNo = 0;
  let tracedLines = 0;
  let totalLines = 0;
  for (const fd of files) {
    const here = byPath.get(fd.path) ?? [];
    const common = { path: fd.path, oldPath: fd.oldPath, change: fd.change, binary: fd.binary };
    if (fd.binary || fd.hunks.length === 0) {
      // Binary files, mode changes and pure renames: one entry for the file.
      const hit = here.find(({ patch }) => patch.added.length === 0 && patch.removed.length === 0);
      hunks.push(hunkEntry({ hunk: hunkNo++, ...common, old: { start: 0, count: 0 }, new: { start: 0, count: 0 }, addedLines: 0, removedLines: 0 }, hit ? { patch: hit.patch, firmness: hit.anchor.firmness } : null, trail, report));
      continue;
    }
    // The owner of each added line of the file at the commit (0-based).
    const lineOwner = new Map<number, Owner>();
    for (const { anchor, patch } of here) for (const l of anchor.lines) if (!lineOwner.has(l - 1)) lineOwner.set(l - 1, { patch, firmness: anchor.firmness });
    const deletions = here.filter(({ patch }) => patch.added.length === 0 && patch.removed.length > 0);
    const usedDeletions = new Set<string>();
    const oldLines = fd.oldLines?.lines ?? [];
    for (const h of fd.hunks) {
      const k = hunkNo++;
      // Unified-diff convention: 1-based starts, an empty side names the line before it.
      const old = { start: h.oldCount ? h.oldStart + 1 : h.oldStart, count: h.oldCount };
      if (h.newCount === 0) {
        const removed = oldLines.slice(h.oldStart, h.oldStart + h.oldCount);
        const hit = deletions.find(({ patch }) => !usedDeletions.has(patch.patchId) && containsRun(removed, patch.removed));
        if (hit) usedDeletions.add(hit.patch.patchId);
        hunks.push(hunkEntry({ hunk: k, ...common, old, new: { start: h.newStart, count: 0 }, addedLines: 0, removedLines: h.oldCount }, hit ? { patch: hit.patch, firmness: hit.anchor.firmness } : null, trail, report));
        continue;
      }
      totalLines += h.newCount;
      let first = true;
      let i = h.newStart;
      const end = h.newStart + h.newCount;
      while (i < end) {
        const owner = lineOwner.get(i) ?? null;
        let j = i + 1;
        while (j < end && (lineOwner.get(j)?.patch.patchId ?? null) === (owner?.patch.patchId ?? null)) j++;
        const entry = hunkEntry(
          { hunk: k, ...common, old: first ? old : { start: old.start, count: 0 }, new: { start: i + 1, count: j - i }, addedLines: j - i, removedLines: first ? h.oldCount : 0 },
          owner,
          trail,
          report,
        );
        if (entry.attribution === 'traced') tracedLines += j - i;
        hunks.push(entry);
        first = false;
        i = j;
      }
    }
  }
  return { hunks, tracedLines, totalLines };
}

/** `needle` appears as a contiguous run in `hay` (both non-empty). */
function containsRun(hay: string[], needle: string[]): boolean {
  if (needle.length === 0 || needle.length > hay.length) return false;
  for (let i = 0; i + needle.length <= hay.length; i++) {
    let ok = true;
    for (let k = 0; k < needle.length && ok; k++) ok = hay[i + k] === needle[k];
    if (ok) return true;
  }
  return false;
}
