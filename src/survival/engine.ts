import type { Repo } from '../git/repo.js';
import { entryAtPath, readCommit } from '../git/objects.js';
import { resolveRef, resolveRevision } from '../git/refs.js';
import { allAnchors, orderedIndexOf, orderedPatches, recordedAnchors, stepOf, type Trail } from '../store/trail.js';
import type { Anchor, Patch } from '../model/events.js';
import type { LostKind, Survival, SurvivalState, TimelinePoint } from '../model/survival.js';
import { refindAnchors, type RefindItem } from '../anchor/refind.js';
import { takeSnapshot } from '../capture/snapshot.js';
import { splitLines } from '../diff/lines.js';
import { addedCount } from '../store/stored-patch.js';
import { readBlob } from '../git/objects.js';
import { CUTOFF_SLACK, firstParentChain, walkHistory, type History } from './history.js';
import { containsRun, EMPTY_STATE, ForwardPass, type AnchorsAt, type FileState, type LineState, type Owner } from './forward.js';
import { PatchRecords } from './records.js';
import { AnchorKey, checkpointCommits, loadCheckpoint, loadHistory, saveCheckpoints, saveHistory, StoredFileState, type Checkpoint } from './cache.js';
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
  // Patch index by id, when something names patches by id (most updates do not).
  const indexOf = orderedIndexOf(trail);
  const recorded = recordedAnchors(trail);
  const selected = options.traceIds ? new Set(options.traceIds) : null;
  // What the pass records of each patch (a checkpoint's, when one is used).
  const records = new PatchRecords(patches.length);
  const stepTime = (p: Patch) => {
    const s = stepOf(trail, p);
    return Math.floor(Date.parse(s?.startedAt ?? '1970-01-01T00:00:00Z') / 1000);
  };
  lastPassStats = { commitsProcessed: 0, resumedFrom: null, cacheHit: false };

  // Patches whose effective anchor was re-found from content (not the recorded one).
  const refound: number[] = [];
  // Every commit a patch was ever anchored to (a revert of any of them reverts the patch): built
  // the first time a commit message names a reverted commit (most passes never ask).
  let anchorHistory: string[][] | null = null;
  const revertTargets = (p: number): string[] => {
    if (!anchorHistory) {
      const h: string[][] = patches.map(() => []);
      const anchoredTo = (i: number, commit: string) => {
        if (!h[i]!.includes(commit)) h[i]!.push(commit);
      };
      for (const a of allAnchors(trail)) {
        const i = indexOf(a.patchId);
        if (i !== undefined) anchoredTo(i, a.commit);
      }
      for (const i of refound) anchoredTo(i, effective[i]!.commit);
      anchorHistory = h;
    }
    return anchorHistory[p]!;
  };

  const effective: (Anchor | null)[] = patches.map(() => null);
  const unknown: (string | null)[] = patches.map(() => null);
  // 1 where the recorded anchor commit is off the history (and none was re-found).
  const offPath = new Uint8Array(patches.length);
  let history: History | null = null;
  // Each patch's recorded anchor commit (see AnchorCommit).
  const infoOf: (AnchorCommit | null)[] = new Array(patches.length).fill(null);

  const useCache = options.cache !== false;
  // A checkpoint holds states, not the per-commit points a timeline needs: a timeline replays all
  // of history (the walked commits are still taken from the cache).
  const useCheckpoints = useCache && !options.timeline;
  if (at) {
    // Commits of the last walk, kept by the cache: only new commits are read (not in a shallow
    // clone, where a deepening or shallowing fetch changes which commits can be read).
    const known = useCache && !repo.shallow ? loadHistory(repo) : null;
    // How far back to walk: the oldest anchor commit (and the oldest unanchored step), less slack.
    // Each anchor commit is looked up once (a trail names each of them for many patches).
    const commitInfo = new Map<string, AnchorCommit>();
    let cutoff = Number.POSITIVE_INFINITY;
    // The last commit looked up: a step's patches are anchored together, and come one after another.
    let lastCommit: string | null = null;
    let lastInfo: AnchorCommit | undefined;
    for (let i = 0; i < patches.length; i++) {
      const a = recorded[i];
      if (!a) {
        cutoff = Math.min(cutoff, stepTime(patches[i]!));
        continue;
      }
      let info = a.commit === lastCommit ? lastInfo : commitInfo.get(a.commit);
      if (!info) {
        const k = known?.commits.get(a.commit);
        let time: number | null = null;
        if (k) time = Math.min(k.commitTime, k.authorTime);
        else {
          try {
            const c = await readCommit(repo, a.commit);
            time = Math.min(c.committer.timestamp, c.author.timestamp);
          } catch {
            /* unreadable: unknown below */
          }
        }
        commitInfo.set(a.commit, (info = { time, inHistory: k !== undefined }));
      }
      lastCommit = a.commit;
      lastInfo = info;
      infoOf[i] = info;
      if (info.time !== null) cutoff = Math.min(cutoff, info.time);
    }
    const walkCutoff = Number.isFinite(cutoff) ? cutoff - CUTOFF_SLACK : null;
    history = await walkHistory(repo, at, walkCutoff, known ?? undefined);
    if (useCache && !repo.shallow) saveHistory(repo, history, walkCutoff, known);
    const shallowNote = history.missing.size > 0 ? (repo.shallow ? 'shallow history' : `missing objects (${[...history.missing].slice(0, 3).map((o) => o.slice(0, 12)).join(', ')})`) : null;
    // A walk that extended the kept one took its commits over: those are in history, and only the
    // others are looked up.
    const extended = known !== null && history.commits === known.commits;
    for (const [commit, info] of commitInfo) if (!(extended && info.inHistory)) info.inHistory = history.commits.has(commit);

    // Effective anchors: recorded and in history, else re-found from content.
    const refind: RefindItem[] = [];
    for (let i = 0; i < patches.length; i++) {
      const p = patches[i]!;
      const a = recorded[i];
      const info = infoOf[i];
      if (a && info!.inHistory) {
        effective[i] = a;
        continue;
      }
      if (a) {
        const t = info!.time;
        refind.push({ patch: p, oldCommit: t !== null ? a.commit : null, since: (t ?? stepTime(p)) - CUTOFF_SLACK });
        if (t === null) unknown[i] = repo.shallow ? `shallow history: anchor commit ${a.commit.slice(0, 12)} is not in this clone` : `missing object: anchor commit ${a.commit.slice(0, 12)}`;
        else offPath[i] = 1;
      } else refind.push({ patch: p, oldCommit: null, since: stepTime(p) - CUTOFF_SLACK });
    }
    const order = history.order.map((oid) => history!.commits.get(oid)!);
    // Newest patch first: a committed line goes to the last step that wrote it.
    refind.reverse();
    const found = await refindAnchors(repo, order, refind);
    for (const [patchId, r] of found) {
      const i = indexOf(patchId)!;
      effective[i] = r.anchor;
      unknown[i] = null;
      offPath[i] = 0;
      refound.push(i);
    }
    for (let i = 0; i < patches.length; i++) {
      if (offPath[i] && shallowNote) {
        unknown[i] = `${shallowNote}: cannot tell whether anchor commit ${recorded[i]!.commit.slice(0, 12)} is in the history of ${at.slice(0, 12)}`;
        offPath[i] = 0;
      }
    }
  }

  let finalState: LineState = EMPTY_STATE;
  const timelines: TimelinePoint[][] = options.timeline ? patches.map(() => []) : [];
  if (at && history) {
    const h = history;
    // Anchors by commit, each commit's in patch order; recorded anchors find their commit's entry
    // without a lookup, re-found ones by their commit.
    const anchorsAt: AnchorsAt = new Map();
    const anchorEmail: string[] = new Array(patches.length).fill('');
    const anchorGroups = new Map<string, AnchorGroup>();
    const groupOf = (commit: string) => {
      let g = anchorGroups.get(commit);
      if (!g) anchorGroups.set(commit, (g = { here: [], email: h.commits.get(commit)!.authorEmail }));
      return g;
    };
    for (let p = 0; p < patches.length; p++) {
      const a = effective[p];
      if (!a) continue;
      const info = a === recorded[p] ? infoOf[p]! : null;
      const g = info ? (info.group ??= groupOf(a.commit)) : groupOf(a.commit);
      if (g.here.length === 0) anchorsAt.set(a.commit, g.here);
      g.here.push(p);
      anchorEmail[p] = g.email;
    }
    const pass = new ForwardPass({
      repo,
      history: h,
      patches,
      anchorsAt,
      anchors: effective,
      anchorEmail,
      revertTargets,
      records,
    });
    let order = h.order;
    const key = useCheckpoints ? new AnchorKey(patches, effective, trail.name, refound) : null;
    let resumed: Checkpoint | null = null;
    if (key) {
      resumed = loadCheckpoint(repo, h, patches, indexOf, key, records);
      if (resumed) {
        order = resumed.replay;
        pass.states.set(resumed.commit, resumed.state);
        lastPassStats.resumedFrom = resumed.commit;
        lastPassStats.cacheHit = order.length === 0;
      }
    }
    if (key) for (const c of checkpointCommits(h)) pass.keep.add(c);
    if (options.timeline) attachTimeline(pass, h, patches, effective, records, timelines);
    await pass.run(order);
    finalState = pass.states.get(at) ?? EMPTY_STATE;
    lastPassStats.commitsProcessed = pass.processed;
    if (key && !lastPassStats.cacheHit) saveCheckpoints(repo, h, patches, key, anchorsAt, pass, records, resumed);
  }

  // Final counts at the revision: each (patch, line) counted once, in its best category.
  const counts = countState(finalState, patches);
  // One patch's counts at a time (classify keeps none of it).
  const scratch: Counts = { alive: 0, moved: 0, edited: 0, other: false };

  // Pending: unanchored patches whose content is still in the working tree.
  const inTree = await workingTreeHas(repo, patches.filter((_, i) => !effective[i] && !unknown[i] && !offPath[i] && !recorded[i]));

  const out: (PatchSurvival | null)[] = new Array(patches.length).fill(null);
  for (let i = 0; i < patches.length; i++) {
    const p = patches[i]!;
    if (selected && !selected.has(p.traceId)) continue;
    const total = addedCount(p);
    let survival: Survival;
    if (unknown[i] || records.unknown(i)) survival = uncounted(total, 'unknown', null, unknown[i] ?? records.unknown(i));
    else if (offPath[i]) survival = uncounted(total, 'lost', 'off_path', `anchor commit ${recorded[i]!.commit.slice(0, 12)} (or a rewrite of it) is not in the history of ${at!.slice(0, 12)}`);
    else if (!effective[i]) {
      if (recorded[i]) survival = uncounted(total, 'lost', 'off_path', at ? null : 'the branch has no commit yet');
      // Pending lines are all still there, in the working tree: counted alive, none deleted.
      else if (inTree.get(p.patchId)) survival = uncounted(total, 'pending', null, null);
      else survival = uncounted(total, 'lost', 'never_committed', null);
    } else survival = classify(p, counts.at(i, scratch), records, i, effective[i]!);
    const ps: PatchSurvival = { patchId: p.patchId, survival, anchor: effective[i] };
    if (options.timeline) ps.timeline = timelines[i]!;
    out[i] = ps;
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
  let byId: Map<string, PatchSurvival> | null = null;
  return {
    at,
    inTrailOrder: out,
    get patches() {
      if (!byId) {
        byId = new Map();
        for (const ps of out) if (ps) byId.set(ps.patchId, ps);
      }
      return byId;
    },
    get lines() {
      return (lines ??= buildLines());
    },
  };
}

/** An anchor commit, looked up once for all the patches anchored to it. */
interface AnchorCommit {
  /** Its author or commit time, whichever is older; null when it cannot be read. */
  time: number | null;
  /** In the history walked (until the walk is done: in the walk the cache kept). */
  inHistory: boolean;
  /** The effective anchors it holds and its author (lower case), once the anchors are settled. */
  group?: AnchorGroup;
}

interface AnchorGroup {
  here: number[];
  email: string;
}

const CAT_ALIVE = 3;
const CAT_MOVED = 2;
const CAT_EDITED = 1;

/** A line held by the patch itself, or (in a `prev` chain) an older patch's line a newer patch took over. */
function category(edited: boolean, moved: boolean, inChain: boolean): number {
  if (edited) return CAT_EDITED;
  if (moved) return CAT_MOVED;
  return inChain ? CAT_EDITED : CAT_ALIVE;
}

/** Every patch's counts, by patch index, in typed arrays (read into one object at a time: `at`). */
export class CountTable {
  readonly alive: Int32Array;
  readonly moved: Int32Array;
  readonly edited: Int32Array;
  /** 1 where an edit was someone else's. */
  readonly other: Uint8Array;
  constructor(n: number) {
    this.alive = new Int32Array(n);
    this.moved = new Int32Array(n);
    this.edited = new Int32Array(n);
    this.other = new Uint8Array(n);
  }
  /** Patch p's counts, written into `into`. */
  at(p: number, into: Counts): Counts {
    into.alive = this.alive[p]!;
    into.moved = this.moved[p]!;
    into.edited = this.edited[p]!;
    into.other = this.other[p] === 1;
    return into;
  }
  tally(p: number, c: number): void {
    if (c === CAT_ALIVE) this.alive[p]!++;
    else if (c === CAT_MOVED) this.moved[p]!++;
    else if (c === CAT_EDITED) this.edited[p]!++;
  }
}

/**
 * Each patch's counts at a state: every (patch, added line) once, in the best category any of its
 * copies has. A flat table over all added lines (a line index past its patch's, which no pass
 * makes, is counted in a map).
 */
export function countState(state: LineState, patches: Patch[]): CountTable {
  const n = patches.length;
  const base = new Int32Array(n + 1);
  for (let p = 0; p < n; p++) base[p + 1] = base[p]! + addedCount(patches[p]!);
  const best = new Uint8Array(base[n]!);
  const beyond = new Map<number, number>();
  const counts = new CountTable(n);
  const note = (p: number, k: number, edited: boolean, moved: boolean, isOther: boolean, inChain: boolean) => {
    const c = category(edited, moved, inChain);
    const at = base[p]! + k;
    if (at < base[p + 1]!) {
      if (best[at]! < c) best[at] = c;
    } else {
      const key = p * 2 ** 21 + k;
      if ((beyond.get(key) ?? 0) < c) beyond.set(key, c);
    }
    if (isOther && c === CAT_EDITED) counts.other[p] = 1;
  };
  for (const fs of state.files.values()) {
    if (!fs.owned) continue;
    // A checkpoint's file the pass did not open is counted from its rows.
    if (fs instanceof StoredFileState && !fs.made) {
      fs.eachOwner(note);
      continue;
    }
    for (const o of fs.owners) for (let y: Owner | null = o, chain = false; y; y = y.prev, chain = true) note(y.p, y.k, y.edited, y.moved, y.other, chain);
  }
  for (let p = 0; p < n; p++) for (let at = base[p]!; at < base[p + 1]!; at++) if (best[at]) counts.tally(p, best[at]!);
  for (const [key, c] of beyond) counts.tally(Math.floor(key / 2 ** 21), c);
  return counts;
}

/** The state of section 4 from the counts and what the pass recorded of patch `i` (`p`). */
export function classify(p: Patch, c: Counts, records: PatchRecords, i: number, anchor: Anchor): Survival {
  const total = addedCount(p);
  const left = Math.min(total, c.alive + c.moved + c.edited);
  if (total === 0) {
    const comeback = records.comeback(i);
    if (comeback) return counted(total, c, left, 'reverted', comeback, null, 'the deleted lines came back');
    return counted(total, c, left, 'alive_on_path', anchor.commit);
  }
  if (left === 0) {
    const removal = records.removalCommit(i);
    if (removal === null) return counted(total, c, left, 'lost', null, 'deleted', `the patch's lines were not found at anchor commit ${anchor.commit.slice(0, 12)}`);
    if (records.removedByRevert(i)) return counted(total, c, left, 'reverted', removal);
    return counted(total, c, left, 'lost', removal, records.removedWithFile(i) ? 'file_deleted' : 'deleted');
  }
  // No commit removed any: some lines never landed (the anchor commit left them out).
  if (left < total) return counted(total, c, left, 'partially_preserved', records.removalCommit(i) ?? anchor.commit);
  if (c.edited > 0) return counted(total, c, left, c.other ? 'repaired' : 'alive_transformed', records.change(i));
  if (c.moved > 0) return counted(total, c, left, 'moved', records.change(i));
  return counted(total, c, left, 'alive_on_path', records.revived(i) ?? anchor.commit);
}

/** A patch's survival from its counts (`left` of its `total` lines still there). */
function counted(total: number, c: Counts, left: number, state: SurvivalState, byCommit: string | null, lostKind: LostKind | null = null, reason: string | null = null): Survival {
  return { state, totalLines: total, aliveLines: c.alive, movedLines: c.moved, editedLines: c.edited, deletedLines: total - left, byCommit, lostKind, reason };
}

/** A patch judged without counts: every line deleted (or, pending, every line alive in the working tree). */
function uncounted(total: number, state: SurvivalState, lostKind: LostKind | null, reason: string | null): Survival {
  const alive = state === 'pending' ? total : 0;
  return { state, totalLines: total, aliveLines: alive, movedLines: 0, editedLines: 0, deletedLines: total - alive, byCommit: null, lostKind, reason };
}

/** `--timeline`: counts carried per state (file by file), a point wherever a patch's state changes on the first-parent path. */
function attachTimeline(pass: ForwardPass, h: History, patches: Patch[], effective: (Anchor | null)[], records: PatchRecords, timelines: TimelinePoint[][]): void {
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
        const c = category(y.edited, y.moved, chain);
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
    for (let i = 0; i < records.size; i++) if (records.names(i, c.oid) || effective[i]?.commit === c.oid) touched.add(i);
    for (const p of touched) {
      const a = effective[p];
      if (!a) continue;
      const x = next.get(p) ?? { alive: 0, moved: 0, edited: 0, other: false };
      const s = classify(patches[p]!, { ...x, alive: Math.min(x.alive, addedCount(patches[p]!)) }, records, p, a);
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
