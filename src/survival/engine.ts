import type { Repo } from '../git/repo.js';
import { entryAtPath, readCommit } from '../git/objects.js';
import { resolveRef, resolveRevision } from '../git/refs.js';
import { orderedPatches, stepOf, type Trail } from '../store/trail.js';
import type { Anchor, Patch } from '../model/events.js';
import type { LostKind, Survival, SurvivalState, TimelinePoint } from '../model/survival.js';
import { refindAnchors, type RefindItem } from '../anchor/refind.js';
import { takeSnapshot } from '../capture/snapshot.js';
import { splitLines } from '../diff/lines.js';
import { readBlob } from '../git/objects.js';
import { CUTOFF_SLACK, firstParentChain, walkHistory, type History } from './history.js';
import { containsRun, EMPTY_STATE, ForwardPass, newRecord, type FileState, type LineState, type Owner, type PatchRecord } from './forward.js';
import { anchorKey, checkpointCommits, loadCheckpoint, loadHistory, saveCheckpoints, saveHistory } from './cache.js';
import type { LineOwner, PatchSurvival, SurvivalOptions, SurvivalReport } from './types.js';

/** Per patch: lines alive (unchanged, same lineage), moved, edited; and whether an edit was someone else's. */
export interface Counts {
  alive: number;
  moved: number;
  edited: number;
  other: boolean;
}

/** What the last pass did, for tests and the bench (how much of history was replayed). */
export interface PassStats {
  commitsProcessed: number;
  resumedFrom: string | null;
  cacheHit: boolean;
}
export let lastPassStats: PassStats = { commitsProcessed: 0, resumedFrom: null, cacheHit: false };

export interface EngineOptions extends SurvivalOptions {
  /** Use and update the cache under `<commonDir>/ot/survival/` (default true). */
  cache?: boolean;
}

/**
 * The survival of every patch of the trail at a revision (contract section 4). One forward pass
 * over the revision's history serves every patch: each commit is diffed once against its parents,
 * and the owner of every line that descends from a patch's added line is carried along.
 */
export async function computeSurvival(repo: Repo, trail: Trail, options: EngineOptions): Promise<SurvivalReport> {
  const at = options.at ? await resolveRevision(repo, options.at) : await resolveRef(repo, 'HEAD');
  const patches = orderedPatches(trail);
  const index = new Map(patches.map((p, i) => [p.patchId, i]));
  const selected = options.traceIds ? new Set(options.traceIds) : null;
  const records: PatchRecord[] = patches.map(newRecord);
  const stepTime = (p: Patch) => {
    const s = stepOf(trail, p);
    return Math.floor(Date.parse(s?.startedAt ?? '1970-01-01T00:00:00Z') / 1000);
  };
  lastPassStats = { commitsProcessed: 0, resumedFrom: null, cacheHit: false };

  // Every commit a patch was ever anchored to (a revert of any of them reverts the patch).
  const anchorHistory: string[][] = patches.map(() => []);
  const anchoredTo = (i: number, commit: string) => {
    if (!anchorHistory[i]!.includes(commit)) anchorHistory[i]!.push(commit);
  };
  for (const { event } of trail.events) {
    if (event.type !== 'anchor') continue;
    for (const a of event.anchors) {
      const i = index.get(a.patchId);
      if (i !== undefined) anchoredTo(i, a.commit);
    }
  }

  const effective: (Anchor | null)[] = patches.map(() => null);
  const unknown: (string | null)[] = patches.map(() => null);
  const offPath: boolean[] = patches.map(() => false);
  let history: History | null = null;

  const useCache = options.cache !== false;
  // A checkpoint holds states, not the per-commit points a timeline needs: a timeline replays all
  // of history (the walked commits are still taken from the cache).
  const useCheckpoints = useCache && !options.timeline;
  if (at) {
    // Commits of the last walk, kept by the cache: only new commits are read (not in a shallow
    // clone, where a deepening or shallowing fetch changes which commits can be read).
    const known = useCache && !repo.shallow ? loadHistory(repo) : null;
    // How far back to walk: the oldest anchor commit (and the oldest unanchored step), less slack.
    const anchorTimes = new Map<string, { time: number; email: string } | null>();
    let cutoff = Number.POSITIVE_INFINITY;
    for (const p of patches) {
      const a = trail.anchors.get(p.patchId);
      if (a) {
        if (!anchorTimes.has(a.commit)) {
          const k = known?.commits.get(a.commit);
          if (k) anchorTimes.set(a.commit, { time: Math.min(k.commitTime, k.authorTime), email: k.authorEmail });
          else {
            try {
              const c = await readCommit(repo, a.commit);
              anchorTimes.set(a.commit, { time: Math.min(c.committer.timestamp, c.author.timestamp), email: c.author.email.toLowerCase() });
            } catch {
              anchorTimes.set(a.commit, null);
            }
          }
        }
        const t = anchorTimes.get(a.commit);
        if (t) cutoff = Math.min(cutoff, t.time);
      } else cutoff = Math.min(cutoff, stepTime(p));
    }
    const walkCutoff = Number.isFinite(cutoff) ? cutoff - CUTOFF_SLACK : null;
    history = await walkHistory(repo, at, walkCutoff, known ?? undefined);
    if (useCache && !repo.shallow) saveHistory(repo, history, walkCutoff, known);
    const shallowNote = history.missing.size > 0 ? (repo.shallow ? 'shallow history' : `missing objects (${[...history.missing].slice(0, 3).map((o) => o.slice(0, 12)).join(', ')})`) : null;

    // Effective anchors: recorded and in history, else re-found from content.
    const refind: RefindItem[] = [];
    for (let i = 0; i < patches.length; i++) {
      const p = patches[i]!;
      const a = trail.anchors.get(p.patchId);
      if (a && history.commits.has(a.commit)) {
        effective[i] = a;
        continue;
      }
      if (a) {
        const t = anchorTimes.get(a.commit);
        refind.push({ patch: p, oldCommit: t ? a.commit : null, since: (t?.time ?? stepTime(p)) - CUTOFF_SLACK });
        if (!t) unknown[i] = repo.shallow ? `shallow history: anchor commit ${a.commit.slice(0, 12)} is not in this clone` : `missing object: anchor commit ${a.commit.slice(0, 12)}`;
        else offPath[i] = true;
      } else refind.push({ patch: p, oldCommit: null, since: stepTime(p) - CUTOFF_SLACK });
    }
    const order = history.order.map((oid) => history!.commits.get(oid)!);
    // Newest patch first: a committed line goes to the last step that wrote it.
    refind.reverse();
    const found = await refindAnchors(repo, order, refind);
    for (const [patchId, r] of found) {
      const i = index.get(patchId)!;
      effective[i] = r.anchor;
      unknown[i] = null;
      offPath[i] = false;
      anchoredTo(i, r.anchor.commit);
    }
    for (let i = 0; i < patches.length; i++) {
      if (offPath[i] && shallowNote) {
        unknown[i] = `${shallowNote}: cannot tell whether anchor commit ${trail.anchors.get(patches[i]!.patchId)!.commit.slice(0, 12)} is in the history of ${at.slice(0, 12)}`;
        offPath[i] = false;
      }
    }
  }

  let finalState: LineState = EMPTY_STATE;
  const timelines: TimelinePoint[][] = patches.map(() => []);
  if (at && history) {
    const h = history;
    const anchorsAt = new Map<string, { p: number; anchor: Anchor }[]>();
    const anchorEmail = patches.map(() => '');
    effective.forEach((a, p) => {
      if (!a) return;
      const here = anchorsAt.get(a.commit);
      if (here) here.push({ p, anchor: a });
      else anchorsAt.set(a.commit, [{ p, anchor: a }]);
      anchorEmail[p] = h.commits.get(a.commit)!.authorEmail;
    });
    const pass = new ForwardPass({
      repo,
      history: h,
      patches,
      anchorsAt,
      anchorEmail,
      revertTargets: anchorHistory,
      records,
    });
    let order = h.order;
    const key = useCheckpoints ? anchorKey(patches, effective) : null;
    if (key) {
      const resumed = loadCheckpoint(repo, h, patches, index, effective, key);
      if (resumed) {
        const { done } = resumed;
        order = h.order.filter((o) => !done.has(o));
        pass.states.set(resumed.commit, resumed.state);
        resumed.records.forEach((r, i) => (records[i] = r));
        lastPassStats.resumedFrom = resumed.commit;
        lastPassStats.cacheHit = order.length === 0;
      }
    }
    if (key) for (const c of checkpointCommits(h)) pass.keep.add(c);
    if (options.timeline) attachTimeline(pass, h, patches, effective, records, timelines);
    await pass.run(order);
    finalState = pass.states.get(at) ?? EMPTY_STATE;
    lastPassStats.commitsProcessed = pass.processed;
    if (key && !lastPassStats.cacheHit) saveCheckpoints(repo, h, patches, effective, key, pass, records);
  }

  // Final counts at the revision: each (patch, line) counted once, in its best category.
  const counts = countState(finalState, patches.length);

  // Pending: unanchored patches whose content is still in the working tree.
  const pendingCheck = patches.map((p, i) => !effective[i] && !unknown[i] && !offPath[i] && !trail.anchors.has(p.patchId));
  const inTree = await workingTreeHas(repo, patches.filter((_, i) => pendingCheck[i]));

  const out = new Map<string, PatchSurvival>();
  for (let i = 0; i < patches.length; i++) {
    const p = patches[i]!;
    if (selected && !selected.has(p.traceId)) continue;
    const total = p.added.length;
    let survival: Survival;
    if (unknown[i] || records[i]!.unknown) survival = uncounted(total, 'unknown', null, unknown[i] ?? records[i]!.unknown);
    else if (offPath[i]) survival = uncounted(total, 'lost', 'off_path', `anchor commit ${trail.anchors.get(p.patchId)!.commit.slice(0, 12)} (or a rewrite of it) is not in the history of ${at!.slice(0, 12)}`);
    else if (!effective[i]) {
      if (trail.anchors.has(p.patchId)) survival = uncounted(total, 'lost', 'off_path', at ? null : 'the branch has no commit yet');
      // Pending lines are all still there, in the working tree: counted alive, none deleted.
      else if (inTree.get(p.patchId)) survival = uncounted(total, 'pending', null, null);
      else survival = uncounted(total, 'lost', 'never_committed', null);
    } else survival = classify(p, counts[i]!, records[i]!, effective[i]!);
    const ps: PatchSurvival = { patchId: p.patchId, survival, anchor: effective[i] };
    if (options.timeline) ps.timeline = timelines[i]!;
    out.set(p.patchId, ps);
  }

  // The owner of every line, built only when a view asks for it (blame file): most commands do not.
  let lines: Map<string, (LineOwner | null)[]> | null = null;
  const buildLines = () => {
    const byPath = new Map<string, (LineOwner | null)[]>();
    for (const [path, fs] of finalState.files) {
      if (!fs.owned) continue;
      const row = fs.owners.map((o): LineOwner | null => {
        if (!o) return null;
        const p = patches[o.p]!;
        if (selected && !selected.has(p.traceId)) return null;
        return { patchId: p.patchId, lineIndex: o.k, anchorCommit: effective[o.p]!.commit, edited: o.edited };
      });
      if (row.some((x) => x)) byPath.set(path, row);
    }
    return byPath;
  };
  return {
    at,
    patches: out,
    get lines() {
      return (lines ??= buildLines());
    },
  };
}

const CAT_ALIVE = 3;
const CAT_MOVED = 2;
const CAT_EDITED = 1;

/** A line held by the patch itself, or (in a `prev` chain) an older patch's line a newer patch took over. */
function category(o: Owner, inChain: boolean): number {
  if (o.edited) return CAT_EDITED;
  if (o.moved) return CAT_MOVED;
  return inChain ? CAT_EDITED : CAT_ALIVE;
}

export function countState(state: LineState, n: number): Counts[] {
  const best = new Map<number, number>();
  const other = new Set<number>();
  for (const fs of state.files.values()) {
    if (!fs.owned) continue;
    for (const o of fs.owners) {
      for (let y: Owner | null = o, chain = false; y; y = y.prev, chain = true) {
        const key = y.p * 2 ** 21 + y.k;
        const c = category(y, chain);
        if ((best.get(key) ?? 0) < c) best.set(key, c);
        if (y.other && c === CAT_EDITED) other.add(y.p);
      }
    }
  }
  const counts: Counts[] = Array.from({ length: n }, () => ({ alive: 0, moved: 0, edited: 0, other: false }));
  for (const [key, c] of best) {
    const x = counts[Math.floor(key / 2 ** 21)]!;
    if (c === CAT_ALIVE) x.alive++;
    else if (c === CAT_MOVED) x.moved++;
    else x.edited++;
  }
  for (const p of other) counts[p]!.other = true;
  return counts;
}

/** The state of section 4 from the counts and what the pass recorded. */
export function classify(p: Patch, c: Counts, rec: PatchRecord, anchor: Anchor): Survival {
  const total = p.added.length;
  const left = Math.min(total, c.alive + c.moved + c.edited);
  const mk = (state: SurvivalState, byCommit: string | null, lostKind: LostKind | null = null, reason: string | null = null): Survival => ({
    state,
    totalLines: total,
    aliveLines: c.alive,
    movedLines: c.moved,
    editedLines: c.edited,
    deletedLines: total - left,
    byCommit,
    lostKind,
    reason,
  });
  if (total === 0) {
    if (rec.comeback) return mk('reverted', rec.comeback, null, 'the deleted lines came back');
    return mk('alive_on_path', anchor.commit);
  }
  if (left === 0) {
    if (rec.removal?.revert) return mk('reverted', rec.removal.commit);
    if (!rec.removal) return mk('lost', null, 'deleted', `the patch's lines were not found at anchor commit ${anchor.commit.slice(0, 12)}`);
    return mk('lost', rec.removal.commit, rec.removal.fileDeleted ? 'file_deleted' : 'deleted');
  }
  // No commit removed any: some lines never landed (the anchor commit left them out).
  if (left < total) return mk('partially_preserved', rec.removal?.commit ?? anchor.commit);
  if (c.edited > 0) return mk(c.other ? 'repaired' : 'alive_transformed', rec.change);
  if (c.moved > 0) return mk('moved', rec.change);
  return mk('alive_on_path', rec.revived ?? anchor.commit);
}

/** A patch judged without counts: every line deleted (or, pending, every line alive in the working tree). */
function uncounted(total: number, state: SurvivalState, lostKind: LostKind | null, reason: string | null): Survival {
  const alive = state === 'pending' ? total : 0;
  return { state, totalLines: total, aliveLines: alive, movedLines: 0, editedLines: 0, deletedLines: total - alive, byCommit: null, lostKind, reason };
}

/** `--timeline`: counts carried per state (file by file), a point wherever a patch's state changes on the first-parent path. */
function attachTimeline(pass: ForwardPass, h: History, patches: Patch[], effective: (Anchor | null)[], records: PatchRecord[], timelines: TimelinePoint[][]): void {
  const path = firstParentChain(h);
  const contrib = new WeakMap<FileState, Map<number, Counts>>();
  const totals = new WeakMap<LineState, Map<number, Counts>>();
  totals.set(EMPTY_STATE, new Map());
  const of = (fs: FileState): Map<number, Counts> => {
    let m = contrib.get(fs);
    if (m) return m;
    m = new Map();
    for (const o of fs.owners) {
      for (let y: Owner | null = o, chain = false; y; y = y.prev, chain = true) {
        let x = m.get(y.p);
        if (!x) m.set(y.p, (x = { alive: 0, moved: 0, edited: 0, other: false }));
        const c = category(y, chain);
        if (c === CAT_ALIVE) x.alive++;
        else if (c === CAT_MOVED) x.moved++;
        else x.edited++;
        if (y.other && c === CAT_EDITED) x.other = true;
      }
    }
    contrib.set(fs, m);
    return m;
  };
  const last = patches.map((): string | null => null);
  pass.onCommit = (c, before, after) => {
    const base = totals.get(before) ?? new Map<number, Counts>();
    const next = new Map(base);
    const touched = new Set<number>();
    const apply = (m: Map<number, Counts>, sign: number) => {
      for (const [p, x] of m) {
        touched.add(p);
        const cur = next.get(p) ?? { alive: 0, moved: 0, edited: 0, other: false };
        next.set(p, { alive: cur.alive + sign * x.alive, moved: cur.moved + sign * x.moved, edited: cur.edited + sign * x.edited, other: sign > 0 ? cur.other || x.other : cur.other });
      }
    };
    const paths = new Set([...before.files.keys(), ...after.files.keys()]);
    for (const q of paths) {
      const a = before.files.get(q);
      const b = after.files.get(q);
      if (a === b) continue;
      if (a) apply(of(a), -1);
      if (b) apply(of(b), +1);
    }
    totals.set(after, next);
    if (!path.has(c.oid)) return;
    for (const [i, rec] of records.entries()) if (rec.removal?.commit === c.oid || rec.comeback === c.oid || rec.revived === c.oid || effective[i]?.commit === c.oid) touched.add(i);
    for (const p of touched) {
      const a = effective[p];
      if (!a) continue;
      const x = next.get(p) ?? { alive: 0, moved: 0, edited: 0, other: false };
      const s = classify(patches[p]!, { ...x, alive: Math.min(x.alive, patches[p]!.added.length) }, records[p]!, a);
      const sig = s.state;
      if (sig === last[p]) continue;
      last[p] = sig;
      timelines[p]!.push({ commit: c.oid, state: s.state, survival: s });
    }
  };
}

/** For each patch, whether its content is still in the working tree (a fresh snapshot; bare: none). */
async function workingTreeHas(repo: Repo, patches: Patch[]): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  if (!patches.length || repo.bare) return out;
  let tree: string;
  try {
    tree = (await takeSnapshot(repo)).tree;
  } catch {
    return out;
  }
  const blobAt = async (path: string): Promise<string | null> => {
    const entry = await entryAtPath(repo, tree, path);
    return entry?.type === 'blob' ? entry.oid : null;
  };
  const files = new Map<string, string | null>();
  for (const p of patches) {
    if (!files.has(p.path)) files.set(p.path, await blobAt(p.path));
    const oid = files.get(p.path)!;
    if (p.added.length === 0) {
      if (p.binary || p.removed.length === 0) out.set(p.patchId, oid === p.afterBlob);
      else out.set(p.patchId, oid === null || containsRun(splitLines((await readBlob(repo, oid)).toString('utf8')).lines, p.removed) < 0);
      continue;
    }
    if (!oid) {
      out.set(p.patchId, false);
      continue;
    }
    out.set(p.patchId, containsRun(splitLines((await readBlob(repo, oid)).toString('utf8')).lines, p.added) >= 0);
  }
  return out;
}
