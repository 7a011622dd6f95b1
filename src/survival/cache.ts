import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { otDataDir, type Repo } from '../git/repo.js';
import { atomicWriteFileSync } from '../git/fs.js';
import type { Anchor, Patch } from '../model/events.js';
import { ancestorsIn, firstParentChain, type HistCommit, type History, type KnownHistory } from './history.js';
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
export const CACHE_VERSION = 7;
const KEEP_FILES = 12;
const DEPTHS = [0, 8, 64];

/**
 * Checkpoint file, binary: `OTSV`, the SHA-1 of the rest, then the rest: the length of a JSON head,
 * the head, and (4-aligned) the owner rows and each file's owner indexes as 32-bit integers. Line
 * owners are most of a checkpoint (one per tracked line); as integers they are read and written in
 * a few milliseconds, where JSON took most of an update. Written only by us; a body whose sum does
 * not match (edited, truncated, another version) is not used. The anchors the checkpoint was
 * computed with are kept as one hash of every effective anchor inside the commit's history.
 */
interface CheckpointHead {
  v: number;
  commit: string;
  patchIds: string[];
  anchors: string;
  /** Owner rows in the integer section: [patch index (into patchIds), line index, flags (1 edited, 2 moved, 4 other), prev row or -1]. */
  ownerRows: number;
  /** Each file's owners (row index or -1) follow the rows in the integer section, `lines` each, in this order. */
  files: { path: string; oid: string; lines: number; watch: number[] }[];
  /** Paths a revert deleted, with the patches waiting for them to come back. */
  gone?: { path: string; watch: number[] }[];
  /** Commit ids the records name (records refer to them by index). */
  commits: string[];
  /** [patch index, removal commit or -1, removal flags (1 file deleted, 2 revert), change, revived, comeback (commit or -1), unknown] */
  records: [number, number, number, number, number, number, string | null][];
}

interface CheckpointFile {
  head: CheckpointHead;
  ints: Int32Array;
}

const MAGIC = 'OTSV';
const CHECKPOINT_EXT = '.ckpt';
const CHECKPOINT_NAME = /^[0-9a-f]{40}\.ckpt$/;
/** The first integer of the integer section, so a file from a machine of the other byte order is not used. */
const BYTE_ORDER_MARK = 0x01020304;

function writeCheckpointFile(file: string, head: CheckpointHead, ints: Int32Array): void {
  const json = Buffer.from(JSON.stringify(head), 'utf8');
  const pad = (4 - ((4 + json.length) % 4)) % 4;
  const rest = Buffer.alloc(4 + json.length + pad + ints.byteLength);
  rest.writeUInt32LE(json.length, 0);
  json.copy(rest, 4);
  Buffer.from(ints.buffer, ints.byteOffset, ints.byteLength).copy(rest, 4 + json.length + pad);
  const sum = createHash('sha1').update(rest).digest();
  atomicWriteFileSync(file, Buffer.concat([Buffer.from(MAGIC, 'latin1'), sum, rest]));
}

function readCheckpointFile(file: string): CheckpointFile | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return null;
  }
  if (buf.length < 28 || buf.toString('latin1', 0, 4) !== MAGIC) return null;
  const rest = buf.subarray(24);
  if (!createHash('sha1').update(rest).digest().equals(buf.subarray(4, 24))) return null;
  const n = rest.readUInt32LE(0);
  if (4 + n > rest.length) return null;
  const head = JSON.parse(rest.toString('utf8', 4, 4 + n)) as CheckpointHead;
  const at = 4 + n + ((4 - ((4 + n) % 4)) % 4);
  // Integers read in place when aligned (a fresh read buffer is), else from a copy.
  const bytes = rest.subarray(at);
  const ints = (bytes.byteOffset % 4 === 0 ? bytes : Buffer.from(bytes)) as Buffer;
  const view = new Int32Array(ints.buffer, ints.byteOffset, ints.byteLength >> 2);
  return view[0] === BYTE_ORDER_MARK ? { head, ints: view } : null;
}

/** The history of the last walk (commits never change: an update reads only the new ones). */
interface HistoryFile {
  v: number;
  /** The walk's tip and cutoff, and the parents it could not open (`KnownHistory`). */
  at: string;
  cutoff: number | null;
  missing: string[];
  cut: string[];
  /** In the walk's order: [oid, tree, parents, author email, author time, commit time, message] */
  commits: [string, string, string[], string, number, number, string][];
}

const HISTORY_FILE = 'history.json';
const HISTORY_SLACK = 16;
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const HEAD = '{"sum":"';

function writeSummed(file: string, body: unknown): void {
  const rest = JSON.stringify(body);
  atomicWriteFileSync(file, `${HEAD}${sha1(rest)}","body":${rest}}`);
}

function readSummed(file: string): unknown {
  try {
    const buf = fs.readFileSync(file);
    const n = HEAD.length;
    if (buf.toString('latin1', 0, n) !== HEAD || buf.toString('latin1', n + 40, n + 49) !== '","body":' || buf[buf.length - 1] !== 0x7d) return null;
    // The sum is of the body's bytes; the file as a whole is one JSON text.
    if (createHash('sha1').update(buf.subarray(n + 49, buf.length - 1)).digest('hex') !== buf.toString('latin1', n, n + 40)) return null;
    return (JSON.parse(buf.toString('utf8')) as { body: unknown }).body;
  } catch {
    return null;
  }
}

/** The last walk, for `walkHistory`'s `known`; null when absent or unusable. */
export function loadHistory(repo: Repo): KnownHistory | null {
  const f = readSummed(path.join(dir(repo), HISTORY_FILE)) as HistoryFile | null;
  if (!f || f.v !== CACHE_VERSION || typeof f.at !== 'string' || !Array.isArray(f.commits) || !Array.isArray(f.missing) || !Array.isArray(f.cut)) return null;
  const commits = new Map<string, HistCommit>();
  const order: string[] = [];
  try {
    for (const [oid, tree, parents, authorEmail, authorTime, commitTime, message] of f.commits) {
      commits.set(oid, { oid, tree, parents, authorEmail, authorTime, commitTime, message });
      order.push(oid);
    }
  } catch {
    return null;
  }
  return { at: f.at, cutoff: f.cutoff ?? null, commits, order, missing: f.missing, cut: f.cut };
}

/**
 * Keeps the walked history unless it only extended the kept one by a few commits (a handful of new
 * commits is cheaper to read again than the file to write); failures are ignored (the cache is optional).
 */
export function saveHistory(repo: Repo, h: History, cutoff: number | null, known: KnownHistory | null): void {
  if (known && h.read <= HISTORY_SLACK && h.extends === known.at) return;
  try {
    const commits = h.order.map((o): HistoryFile['commits'][number] => {
      const c = h.commits.get(o)!;
      return [c.oid, c.tree, c.parents, c.authorEmail, c.authorTime, c.commitTime, c.message];
    });
    writeSummed(path.join(dir(repo), HISTORY_FILE), { v: CACHE_VERSION, at: h.at, cutoff, missing: [...h.missing], cut: [...h.cut], commits } satisfies HistoryFile);
  } catch {
    /* the cache is optional */
  }
}

/**
 * The effective anchors of a pass, once: a 64-bit hash of each (`patchId`, anchor commit, path,
 * lines). A set of anchors hashes to the sum of its members (two 32-bit lanes, with the count), so
 * no order is needed and the anchors inside a commit's history are summed in one filtered loop:
 * the key is computed on every update, over every anchored patch.
 */
export interface AnchorKey {
  /** Two 32-bit halves per patch with an effective anchor, at 2i and 2i+1. */
  rows: Uint32Array;
  /** Patch indexes with an effective anchor. */
  anchored: number[];
}

const FNV_PRIME = 0x01000193;

/**
 * FNV-1a over the fields, two lanes with different bases. Of the two object ids (content hashes
 * already, checked as 40 hex digits) the first 16 digits are enough; path and line numbers whole.
 */
function hashAnchor(patchId: string, a: Anchor): [number, number] {
  let x = 0x811c9dc5;
  let y = 0x2f9be6cc;
  const mix = (c: number) => {
    x = Math.imul(x ^ c, FNV_PRIME);
    y = Math.imul(y ^ c, FNV_PRIME) ^ (y >>> 15);
  };
  for (let i = 0; i < 16; i++) mix(patchId.charCodeAt(i));
  for (let i = 0; i < 16; i++) mix(a.commit.charCodeAt(i));
  for (let i = 0; i < a.path.length; i++) mix(a.path.charCodeAt(i));
  mix(0x1ffff);
  for (const l of a.lines) mix(l);
  mix(0x2ffff);
  for (const k of a.addedIndex ?? []) mix(k);
  return [x >>> 0, y >>> 0];
}

export function anchorKey(patches: Patch[], effective: (Anchor | null)[]): AnchorKey {
  const rows = new Uint32Array(2 * patches.length);
  const anchored: number[] = [];
  effective.forEach((a, i) => {
    if (!a) return;
    const [x, y] = hashAnchor(patches[i]!.patchId, a);
    rows[2 * i] = x;
    rows[2 * i + 1] = y;
    anchored.push(i);
  });
  return { rows, anchored };
}

/** One hash of the effective anchors inside `done` (a commit's history): their count and the sums of their lanes. */
function anchorsHash(done: Set<string>, key: AnchorKey, effective: (Anchor | null)[]): string {
  let n = 0;
  let x = 0;
  let y = 0;
  for (const i of key.anchored) {
    if (!done.has(effective[i]!.commit)) continue;
    n++;
    x = (x + key.rows[2 * i]!) >>> 0;
    y = (y + key.rows[2 * i + 1]!) >>> 0;
  }
  return `${n}:${x.toString(16)}:${y.toString(16)}`;
}

export interface Checkpoint {
  commit: string;
  /** The commit's history (the commits the checkpoint covers). */
  done: Set<string>;
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
    names = fs.readdirSync(dir(repo)).filter((n) => CHECKPOINT_NAME.test(n));
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
  const cf = readCheckpointFile(path.join(dir(repo), `${commit}${CHECKPOINT_EXT}`));
  if (!cf || cf.head.v !== CACHE_VERSION || cf.head.commit !== commit) return null;
  const { head: file, ints } = cf;
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
  const lineCount = file.files.reduce((n, f) => n + f.lines, 0);
  if (ints.length !== 1 + 4 * file.ownerRows + lineCount) return null;
  const owners: Owner[] = new Array(file.ownerRows);
  for (let r = 0, x = 1; r < file.ownerRows; r++, x += 4) {
    const flags = ints[x + 2]!;
    const prev = ints[x + 3]!;
    if (prev >= r) return null;
    owners[r] = { p: map[ints[x]!]!, k: ints[x + 1]!, edited: (flags & 1) !== 0, moved: (flags & 2) !== 0, other: (flags & 4) !== 0, prev: prev >= 0 ? owners[prev]! : null };
  }
  const files = new Map<string, FileState>();
  let x = 1 + 4 * file.ownerRows;
  for (const f of file.files) {
    const os: (Owner | null)[] = new Array(f.lines);
    let owned = 0;
    for (let j = 0; j < f.lines; j++, x++) {
      const o = ints[x]!;
      if (o >= file.ownerRows) return null;
      os[j] = o >= 0 ? (owned++, owners[o]!) : null;
    }
    files.set(f.path, { oid: f.oid, text: null, owners: os, owned, watch: f.watch.map((w) => map[w]!) });
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
  return { commit, done, state: gone ? { files, gone } : { files }, records };
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
    // The commits the pass kept for checkpoints (`checkpointCommits`).
    for (const commit of pass.keep) {
      const state = pass.states.get(commit);
      const recs = commit === h.at ? records : pass.recordsAt.get(commit);
      if (!state || !recs) continue;
      const target = path.join(dir(repo), `${commit}${CHECKPOINT_EXT}`);
      const { head, ints } = encode(commit, h, patches, effective, key, state, recs);
      writeCheckpointFile(target, head, ints);
    }
    const names = fs.readdirSync(dir(repo)).filter((n) => n !== HISTORY_FILE);
    // Checkpoints of the older (JSON) format, and temporary files a killed process left, go.
    const now = Date.now();
    for (const n of names) {
      const f = path.join(dir(repo), n);
      if (/^[0-9a-f]{40}\.json$/.test(n) || (n.includes('.tmp-') && now - fs.statSync(f).mtimeMs > 60_000)) fs.rmSync(f, { force: true });
    }
    const kept = names.filter((n) => CHECKPOINT_NAME.test(n));
    if (kept.length <= KEEP_FILES) return;
    const all = kept.map((n) => ({ n, t: fs.statSync(path.join(dir(repo), n)).mtimeMs })).sort((a, b) => b.t - a.t);
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
  const rows: number[] = [BYTE_ORDER_MARK];
  let ownerRows = 0;
  const enc = (o: Owner): number => {
    const hit = ids.get(o);
    if (hit !== undefined) return hit;
    const prev = o.prev ? enc(o.prev) : -1;
    const id = ownerRows++;
    rows.push(P(o.p), o.k, (o.edited ? 1 : 0) | (o.moved ? 2 : 0) | (o.other ? 4 : 0), prev);
    ids.set(o, id);
    return id;
  };
  const fileOwners: number[][] = [];
  const files = [...state.files].map(([p, f]) => {
    fileOwners.push(f.owners.map((o) => (o ? enc(o) : -1)));
    return { path: p, oid: f.oid, lines: f.owners.length, watch: f.watch.map(P) };
  });
  const ints = new Int32Array(rows.length + files.reduce((n, f) => n + f.lines, 0));
  ints.set(rows);
  let x = rows.length;
  for (const os of fileOwners) {
    ints.set(os, x);
    x += os.length;
  }
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
  const recs: CheckpointHead['records'] = [];
  records.forEach((r, i) => {
    if (!(r.removal || r.change || r.revived || r.comeback || r.unknown)) return;
    const flags = r.removal ? (r.removal.fileDeleted ? 1 : 0) | (r.removal.revert ? 2 : 0) : 0;
    recs.push([P(i), C(r.removal?.commit ?? null), flags, C(r.change), C(r.revived), C(r.comeback), r.unknown]);
  });
  const gone = state.gone?.size ? [...state.gone].map(([path, ps]) => ({ path, watch: ps.map(P) })) : undefined;
  return { head: { v: CACHE_VERSION, commit, patchIds, anchors, ownerRows, files, ...(gone ? { gone } : {}), commits, records: recs }, ints };
}
