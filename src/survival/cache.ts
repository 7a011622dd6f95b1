import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { otDataDir, type Repo } from '../git/repo.js';
import type { Anchor, Patch } from '../model/events.js';
import { ancestorsIn, firstParentChain, type History } from './history.js';
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
 */
export const CACHE_VERSION = 1;
const KEEP_FILES = 12;
const DEPTHS = [0, 8, 64];

const OwnerRow = z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]);
const RecordRow = z.object({
  p: z.number().int(),
  removal: z.object({ commit: z.string(), fileDeleted: z.boolean(), revert: z.boolean() }).nullable(),
  change: z.string().nullable(),
  revived: z.string().nullable(),
  comeback: z.string().nullable(),
  unknown: z.string().nullable(),
});
const CheckpointFile = z.object({
  v: z.literal(CACHE_VERSION),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  patchIds: z.array(z.string()),
  /** patch index (into patchIds) and anchor key, for every effective anchor inside the commit's history. */
  anchors: z.array(z.tuple([z.number().int(), z.string()])),
  owners: z.array(OwnerRow),
  files: z.array(z.object({ path: z.string(), oid: z.string(), owners: z.array(z.number().int()), watch: z.array(z.number().int()) })),
  records: z.array(RecordRow),
});
type CheckpointFile = z.infer<typeof CheckpointFile>;

export interface Checkpoint {
  commit: string;
  state: LineState;
  records: PatchRecord[];
}

function dir(repo: Repo): string {
  return path.join(otDataDir(repo), 'survival');
}

const keyOf = (a: Anchor) => `${a.commit}:${a.path}:${a.lines.join(',')}`;

/** The newest usable checkpoint for history `h`, or null. */
export function loadCheckpoint(
  repo: Repo,
  h: History,
  patches: Patch[],
  index: Map<string, number>,
  effective: (Anchor | null)[],
  _key: Map<string, string>,
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
    const cp = tryLoad(repo, commit, h, patches, index, effective);
    if (cp) return cp;
  }
  return null;
}

function tryLoad(repo: Repo, commit: string, h: History, patches: Patch[], index: Map<string, number>, effective: (Anchor | null)[]): Checkpoint | null {
  let file: CheckpointFile;
  try {
    const parsed = CheckpointFile.safeParse(JSON.parse(fs.readFileSync(path.join(dir(repo), `${commit}.json`), 'utf8')));
    if (!parsed.success || parsed.data.commit !== commit) return null;
    file = parsed.data;
  } catch {
    return null;
  }
  const done = ancestorsIn(h.commits, commit);
  // The anchors inside X's history now must be exactly the ones the checkpoint was made with.
  const now = new Map<string, string>();
  effective.forEach((a, i) => {
    if (a && done.has(a.commit)) now.set(patches[i]!.patchId, keyOf(a));
  });
  if (now.size !== file.anchors.length) return null;
  for (const [pi, key] of file.anchors) {
    const id = file.patchIds[pi];
    if (id === undefined || now.get(id) !== key) return null;
  }
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
  for (const r of file.records) records[map[r.p]!] = { removal: r.removal, change: r.change, revived: r.revived, comeback: r.comeback, unknown: r.unknown };
  return { commit, state: { files }, records };
}

/** Which commits of this pass to keep for checkpoints. */
export function checkpointCommits(h: History): string[] {
  const chain = [...firstParentChain(h)];
  return DEPTHS.map((d) => chain[d]).filter((c): c is string => c !== undefined);
}

/** Writes the checkpoints the pass kept; failures are ignored (the cache is optional). */
export function saveCheckpoints(repo: Repo, h: History, patches: Patch[], effective: (Anchor | null)[], pass: ForwardPass, records: PatchRecord[]): void {
  try {
    fs.mkdirSync(dir(repo), { recursive: true });
    for (const commit of checkpointCommits(h)) {
      const state = pass.states.get(commit);
      const recs = commit === h.at ? records : pass.recordsAt.get(commit);
      if (!state || !recs) continue;
      const target = path.join(dir(repo), `${commit}.json`);
      const body = encode(commit, h, patches, effective, state, recs);
      const tmp = `${target}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, JSON.stringify(body));
      fs.renameSync(tmp, target);
    }
    const all = fs
      .readdirSync(dir(repo))
      .filter((n) => n.endsWith('.json'))
      .map((n) => ({ n, t: fs.statSync(path.join(dir(repo), n)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { n } of all.slice(KEEP_FILES)) fs.rmSync(path.join(dir(repo), n), { force: true });
  } catch {
    /* the cache is optional */
  }
}

function encode(commit: string, h: History, patches: Patch[], effective: (Anchor | null)[], state: LineState, records: PatchRecord[]): CheckpointFile {
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
  const anchors: [number, string][] = [];
  effective.forEach((a, i) => {
    if (a && done.has(a.commit)) anchors.push([P(i), keyOf(a)]);
  });
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
  const recs = records.flatMap((r, i) =>
    r.removal || r.change || r.revived || r.comeback || r.unknown ? [{ p: P(i), ...r }] : [],
  );
  return { v: CACHE_VERSION, commit, patchIds, anchors, owners: rows, files, records: recs };
}
