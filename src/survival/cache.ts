import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { otDataDir, type Repo } from '../git/repo.js';
import type { Anchor, Patch } from '../model/events.js';
import { ancestorsIn, firstParentChain, type HistCommit, type History } from './history.js';
import { newRecord, type FileState, type ForwardPass, type LineState, type Owner, type PatchRecord } from './forward.js';

/**
 * Checkpoints of the forward pass under `<commonDir>/ot/survival/`, one file per commit: the line
 * owners of every tracked file at that commit and what the pass recorded so far. Derived data only:
 * a missing, unreadable or stale checkpoint means a longer pass, never a different answer.
 *
 * A checkpoint at X is used for a revision Y when X is in Y's history, the effective anchors inside
 * X's history are exactly those it was computed with (patch ids are content hashes, so new events,
 * moved or new anchors there invalidate it), and every commit after X joins X's history at X itself
 * (or at a commit no patch is anchored below). Then only the commits after X are replayed: one new
 * commit costs that commit; after a rewrite the pass resumes from the newest checkpoint below the
 * merge-base (checkpoints are kept at the tip and 8 and 64 first-parent commits below it).
 *
 * Next to them, `history.json` keeps the commits of the last history walk (a commit never changes),
 * so an update reads only the commits that are new since then.
 */
export const CACHE_VERSION = 4;
const KEEP_FILES = 12;
const DEPTHS = [0, 8, 64];

/**
 * Checkpoint file. Written only by us; the file carries the SHA-1 of its body, and a body whose sum
 * does not match (edited, truncated, another version) is not used. The anchors the checkpoint was
 * computed with are kept as one hash (the sorted `patchId anchor-key` lines of every effective anchor
 * inside the commit's history).
 */
interface CheckpointFile {
  v: number;
  commit: string;
  patchIds: string[];
  anchors: string;
  /** [patch index (into patchIds), line index, flags (1 edited, 2 moved, 4 other), prev row or -1] */
  owners: [number, number, number, number][];
  files: { path: string; oid: string; owners: number[]; watch: number[] }[];
  /** Paths a revert deleted, with the patches waiting for them to come back. */
  gone?: { path: string; watch: number[] }[];
  /** Commit ids the records name (records refer to them by index). */
  commits: string[];
  /** [patch index, removal commit or -1, removal flags (1 file deleted, 2 revert), change, revived, comeback (commit or -1), unknown] */
  records: [number, number, number, number, number, number, string | null][];
}

/** The history of the last walk (commits never change: an update reads only the new ones). */
interface HistoryFile {
  v: number;
  /** [oid, tree, parents, author email, author time, commit time, message] */
  commits: [string, string, string[], string, number, number, string][];
}

const HISTORY_FILE = 'history.json';
const HISTORY_SLACK = 16;
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const HEAD = '{"sum":"';

function writeSummed(file: string, body: unknown): void {
  const rest = JSON.stringify(body);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${HEAD}${sha1(rest)}","body":${rest}}`);
  fs.renameSync(tmp, file);
}

function readSummed(file: string): unknown {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const n = HEAD.length;
    if (!text.startsWith(HEAD) || text.slice(n + 40, n + 49) !== '","body":' || !text.endsWith('}')) return null;
    const rest = text.slice(n + 49, -1);
    return sha1(rest) === text.slice(n, n + 40) ? JSON.parse(rest) : null;
  } catch {
    return null;
  }
}

/** The commits of the last walk, for `walkHistory`'s `known`; null when absent or unusable. */
export function loadHistory(repo: Repo): Map<string, HistCommit> | null {
  const f = readSummed(path.join(dir(repo), HISTORY_FILE)) as HistoryFile | null;
  if (!f || f.v !== CACHE_VERSION || !Array.isArray(f.commits)) return null;
  const out = new Map<string, HistCommit>();
  try {
    for (const [oid, tree, parents, authorEmail, authorTime, commitTime, message] of f.commits) {
      out.set(oid, { oid, tree, parents, authorEmail, authorTime, commitTime, message });
    }
  } catch {
    return null;
  }
  return out;
}

/**
 * Keeps the walked history when the walk read more than a few commits (a handful of new commits is
 * cheaper to read again than the file to write); failures are ignored (the cache is optional).
 */
export function saveHistory(repo: Repo, h: History, hadKnown: boolean): void {
  if (h.read === 0 || (hadKnown && h.read <= HISTORY_SLACK)) return;
  try {
    fs.mkdirSync(dir(repo), { recursive: true });
    const commits = h.order.map((o): HistoryFile['commits'][number] => {
      const c = h.commits.get(o)!;
      return [c.oid, c.tree, c.parents, c.authorEmail, c.authorTime, c.commitTime, c.message];
    });
    writeSummed(path.join(dir(repo), HISTORY_FILE), { v: CACHE_VERSION, commits } satisfies HistoryFile);
  } catch {
    /* the cache is optional */
  }
}

/** The effective anchors of a pass, once: one row each (`patchId anchor-key`), in patch id order. */
export interface AnchorKey {
  rows: string[];
  /** Patch indexes with an effective anchor, by patch id. */
  sorted: number[];
}

export function anchorKey(patches: Patch[], effective: (Anchor | null)[]): AnchorKey {
  const rows: string[] = [];
  const sorted: number[] = [];
  effective.forEach((a, i) => {
    if (!a) return;
    rows[i] = `${patches[i]!.patchId} ${a.commit}:${a.path}:${a.lines.join(',')}\n`;
    sorted.push(i);
  });
  // Patch ids are unique: their order is the order of the rows.
  sorted.sort((x, y) => (patches[x]!.patchId < patches[y]!.patchId ? -1 : 1));
  return { rows, sorted };
}

/** One hash of the effective anchors inside `done` (a commit's history). */
function anchorsHash(done: Set<string>, key: AnchorKey, effective: (Anchor | null)[]): string {
  let text = '';
  for (const i of key.sorted) if (done.has(effective[i]!.commit)) text += key.rows[i]!;
  return sha1(text);
}

export interface Checkpoint {
  commit: string;
  state: LineState;
  records: PatchRecord[];
}

function dir(repo: Repo): string {
  return path.join(otDataDir(repo), 'survival');
}

/** The newest usable checkpoint for history `h`, or null. */
export function loadCheckpoint(
  repo: Repo,
  h: History,
  patches: Patch[],
  index: Map<string, number>,
  effective: (Anchor | null)[],
  key: AnchorKey,
): Checkpoint | null {
  let names: string[];
  try {
    names = fs.readdirSync(dir(repo)).filter((n) => /^[0-9a-f]{40}\.json$/.test(n));
  } catch {
    return null;
  }
  const pos = new Map(h.order.map((o, i) => [o, i]));
  const candidates = names.map((n) => n.slice(0, 40)).filter((c) => pos.has(c)).sort((a, b) => pos.get(b)! - pos.get(a)!);
  for (const commit of candidates) {
    let cp: Checkpoint | null = null;
    try {
      cp = tryLoad(repo, commit, h, patches, index, effective, key);
    } catch {
      /* a file of an unexpected shape is no checkpoint */
    }
    if (cp) return cp;
  }
  return null;
}

function tryLoad(repo: Repo, commit: string, h: History, patches: Patch[], index: Map<string, number>, effective: (Anchor | null)[], key: AnchorKey): Checkpoint | null {
  const file = readSummed(path.join(dir(repo), `${commit}.json`)) as CheckpointFile | null;
  if (!file || file.v !== CACHE_VERSION || file.commit !== commit) return null;
  const done = ancestorsIn(h.commits, commit);
  // The anchors inside X's history now must be exactly the ones the checkpoint was made with.
  if (anchorsHash(done, key, effective) !== file.anchors) return null;
  // Every later commit must join X's history at X or at a commit with nothing anchored below it.
  const active = new Set<string>();
  const anchorCommits = new Set(effective.filter((a): a is Anchor => a !== null).map((a) => a.commit));
  for (const o of h.order) {
    if (!done.has(o)) continue;
    const c = h.commits.get(o)!;
    if (anchorCommits.has(o) || c.parents.some((p) => active.has(p))) active.add(o);
  }
  for (const o of h.order) {
    if (done.has(o)) continue;
    for (const p of h.commits.get(o)!.parents) if (done.has(p) && p !== commit && active.has(p)) return null;
  }
  // Decode.
  const map = file.patchIds.map((id) => index.get(id));
  if (map.some((m) => m === undefined)) return null;
  const owners: Owner[] = [];
  for (const [pi, k, flags, prev] of file.owners) {
    owners.push({ p: map[pi]!, k, edited: (flags & 1) !== 0, moved: (flags & 2) !== 0, other: (flags & 4) !== 0, prev: prev >= 0 ? owners[prev] ?? null : null });
  }
  const files = new Map<string, FileState>();
  for (const f of file.files) {
    const os = f.owners.map((x) => (x >= 0 ? owners[x]! : null));
    files.set(f.path, { oid: f.oid, text: null, owners: os, owned: os.reduce((n, o) => n + (o ? 1 : 0), 0), watch: f.watch.map((w) => map[w]!) });
  }
  const records = patches.map(newRecord);
  const C = (x: number) => (x >= 0 ? file.commits[x]! : null);
  for (const [pi, removal, flags, change, revived, comeback, unknown] of file.records) {
    records[map[pi]!] = {
      removal: removal >= 0 ? { commit: C(removal)!, fileDeleted: (flags & 1) !== 0, revert: (flags & 2) !== 0 } : null,
      change: C(change),
      revived: C(revived),
      comeback: C(comeback),
      unknown,
    };
  }
  const gone = file.gone?.length ? new Map(file.gone.map((g) => [g.path, g.watch.map((w) => map[w]!)])) : undefined;
  return { commit, state: gone ? { files, gone } : { files }, records };
}

/** Which commits of this pass to keep for checkpoints. */
export function checkpointCommits(h: History): string[] {
  const chain = [...firstParentChain(h)];
  return DEPTHS.map((d) => chain[d]).filter((c): c is string => c !== undefined);
}

/** Writes the checkpoints the pass kept; failures are ignored (the cache is optional). */
export function saveCheckpoints(repo: Repo, h: History, patches: Patch[], effective: (Anchor | null)[], key: AnchorKey, pass: ForwardPass, records: PatchRecord[]): void {
  try {
    fs.mkdirSync(dir(repo), { recursive: true });
    for (const commit of checkpointCommits(h)) {
      const state = pass.states.get(commit);
      const recs = commit === h.at ? records : pass.recordsAt.get(commit);
      if (!state || !recs) continue;
      const target = path.join(dir(repo), `${commit}.json`);
      writeSummed(target, encode(commit, h, patches, effective, key, state, recs));
    }
    const names = fs.readdirSync(dir(repo)).filter((n) => n.endsWith('.json') && n !== HISTORY_FILE);
    if (names.length <= KEEP_FILES) return;
    const all = names.map((n) => ({ n, t: fs.statSync(path.join(dir(repo), n)).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const { n } of all.slice(KEEP_FILES)) fs.rmSync(path.join(dir(repo), n), { force: true });
  } catch {
    /* the cache is optional */
  }
}

function encode(commit: string, h: History, patches: Patch[], effective: (Anchor | null)[], key: AnchorKey, state: LineState, records: PatchRecord[]): CheckpointFile {
  const done = ancestorsIn(h.commits, commit);
  const pidx = new Map<number, number>();
  const patchIds: string[] = [];
  const P = (p: number) => {
    let x = pidx.get(p);
    if (x === undefined) {
      pidx.set(p, (x = patchIds.length));
      patchIds.push(patches[p]!.patchId);
    }
    return x;
  };
  const anchors = anchorsHash(done, key, effective);
  const ids = new Map<Owner, number>();
  const rows: [number, number, number, number][] = [];
  const enc = (o: Owner): number => {
    const hit = ids.get(o);
    if (hit !== undefined) return hit;
    const prev = o.prev ? enc(o.prev) : -1;
    const id = rows.length;
    rows.push([P(o.p), o.k, (o.edited ? 1 : 0) | (o.moved ? 2 : 0) | (o.other ? 4 : 0), prev]);
    ids.set(o, id);
    return id;
  };
  const files = [...state.files].map(([p, f]) => ({ path: p, oid: f.oid, owners: f.owners.map((o) => (o ? enc(o) : -1)), watch: f.watch.map(P) }));
  const commits: string[] = [];
  const cidx = new Map<string, number>();
  const C = (c: string | null): number => {
    if (c === null) return -1;
    let x = cidx.get(c);
    if (x === undefined) {
      cidx.set(c, (x = commits.length));
      commits.push(c);
    }
    return x;
  };
  const recs: CheckpointFile['records'] = [];
  records.forEach((r, i) => {
    if (!(r.removal || r.change || r.revived || r.comeback || r.unknown)) return;
    const flags = r.removal ? (r.removal.fileDeleted ? 1 : 0) | (r.removal.revert ? 2 : 0) : 0;
    recs.push([P(i), C(r.removal?.commit ?? null), flags, C(r.change), C(r.revived), C(r.comeback), r.unknown]);
  });
  const gone = state.gone?.size ? [...state.gone].map(([path, ps]) => ({ path, watch: ps.map(P) })) : undefined;
  return { v: CACHE_VERSION, commit, patchIds, anchors, owners: rows, files, ...(gone ? { gone } : {}), commits, records: recs };
}
