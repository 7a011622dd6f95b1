import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { otDataDir, type Repo } from '../git/repo.js';
import { atomicWriteFileSync, overwriteFileSync } from '../git/fs.js';
import { readSealedValue, seal, sealValue, sealValueAndInts, unseal, unsealValueAndInts } from '../store/sealed.js';
import type { Anchor, Patch } from '../model/events.js';
import { ancestorsIn, firstParentChain, joinAtTip, type HistCommit, type History, type KnownHistory } from './history.js';
import type { AnchorsAt, FileState, ForwardPass, LineState, Owner } from './forward.js';
import type { PatchRecords } from './records.js';
import { StoredAnchor } from '../store/stored-anchor.js';

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
 * An update touches a few files: a checkpoint's owners are made only for the files the pass opens
 * (`StoredFileState`), the others are counted from their rows and copied slot for slot into the
 * next checkpoint, which keeps the rows it resumed from and adds only new ones. The tip's after an
 * update is written as a delta of the full checkpoint it resumed from (or that one extends): its new
 * rows, the files it changed and the records it set, while they are a small share of it (a full
 * checkpoint of jsdiff's history is 670 KB, a delta after one commit 20 KB). Whether the anchors
 * are the same is asked of the trail's name first (`AnchorKey`), so an update hashes only what it
 * has to.
 *
 * Next to them, `history.bin` keeps the last history walk (a commit never changes), so an update
 * reads only the commits that are new since then, and the walk is extended rather than redone (the
 * commits of the updates since it was written are in `history-tail.bin`, while they are few); and
 * `<name>.ids` the patch lists the checkpoints index patches by (`PatchList`).
 */
export const CACHE_VERSION = 10;
const KEEP_FILES = 12;
const DEPTHS = [0, 8, 64];

/**
 * Checkpoint file, sealed (`store/sealed.ts`): the length of a head in binary JSON, the head, and
 * (4-aligned) 32-bit integers: the owner rows, each file's owner indexes, the records. Line owners
 * are the bulk of a large checkpoint (one per tracked line); as integers they are read in place and
 * copied as they are.
 */
interface CheckpointHead {
  v: number;
  commit: string;
  /**
   * The pass's patches (patch indexes below are into their list, `patchIdList`): the list's name
   * (`PatchList`; the list itself is kept once, beside the checkpoints) and length.
   */
  patchList: string;
  patchCount: number;
  /** The effective anchors inside its history (`AnchorKey.inside`). */
  anchors: string;
  /** The name of the trail it was made from, and its re-found anchors inside its history (`AnchorKey`). */
  trail: string | null;
  refound: string;
  /**
   * Owner rows in the integer section: [patch index, line index, flags (1 edited, 2 moved, 4 other), prev row or -1].
   * A delta's rows are numbered after its base's, which it does not hold.
   */
  ownerRows: number;
  /**
   * Each file's owners (row index or -1) follow the rows in the integer section, `lines` each, in
   * this order; a delta's file that keeps the owners of its base's file `same` (that file's index)
   * has none there.
   */
  files: { path: string; oid: string; lines: number; owned: number; watch: number[]; same?: number }[];
  /**
   * A delta: the full checkpoint it extends (its commit, the sum its file was sealed with, its
   * rows). Written after an update, where a full checkpoint would copy hundreds of kilobytes it
   * resumed from to change a few: only the rows, files and records that differ from the base's
   * are written (records then replace the base's for the patches they name).
   */
  base?: { commit: string; sum: number; rows: number };
  /** Paths a revert deleted, with the patches waiting for them to come back. */
  gone?: { path: string; watch: number[] }[];
  /** Commit ids the records name, joined by newlines (records refer to them by index). */
  commits: string;
  /**
   * Records after the owners in the integer section, `RECORD_INTS` each: [patch index, removal commit
   * or -1, removal flags (1 file deleted, 2 revert), change, revived, comeback (commit or -1)].
   */
  records: number;
  /** [patch index, reason] of the patches the pass could not judge. */
  unknown: [number, string][];
}

const RECORD_INTS = 6;

/** The pass's patch ids joined by newlines. */
function patchIdList(patches: Patch[]): string {
  return patches.map((p) => p.patchId).join('\n');
}

/** Whether `list` is `patchIdList(patches)` (checked in place: no list is made). */
function isPatchIdList(list: string, patches: Patch[]): boolean {
  let at = 0;
  for (let i = 0; i < patches.length; i++) {
    const id = patches[i]!.patchId;
    if (i > 0 && list.charCodeAt(at++) !== 10) return false;
    if (!list.startsWith(id, at)) return false;
    at += id.length;
  }
  return at === list.length;
}

/**
 * The pass's index of each patch of `list` (undefined: not one of the pass's). New events add
 * patches among the others and keep their order, so both lists are walked in order; from the
 * first patch not found that way on, each is looked up by id.
 */
function mapPatchList(list: string, patches: Patch[], indexOf: (patchId: string) => number | undefined): (number | undefined)[] {
  const ids = list === '' ? [] : list.split('\n');
  const out: (number | undefined)[] = new Array(ids.length);
  let j = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (j >= 0) {
      while (j < patches.length && patches[j]!.patchId !== id) j++;
      if (j < patches.length) {
        out[i] = j++;
        continue;
      }
      j = -1;
    }
    out[i] = indexOf(id);
  }
  return out;
}

/**
 * A pass's patch list, named by the SHA-1 of its text and kept in `<name>.ids` (sealed), not in
 * every checkpoint: it is a third of a checkpoint's bytes, and checkpoints of one trail share it.
 */
interface PatchList {
  name: string;
  text: string;
}
const LIST_EXT = '.ids';
const LIST_MAGIC = 'OTPL';
/** Patch lists kept besides the one the checkpoints just written name (older ones are named by few checkpoints, if any). */
const KEEP_LISTS = 4;

function patchList(patches: Patch[]): PatchList {
  const text = patchIdList(patches);
  return { name: createHash('sha1').update(text).digest('hex'), text };
}

/** The text of the list named `name`; null when it is missing or not that list. */
function readPatchList(repo: Repo, name: string): string | null {
  try {
    const body = unseal(LIST_MAGIC, fs.readFileSync(path.join(dir(repo), `${name}${LIST_EXT}`)));
    const text = body?.toString('utf8') ?? null;
    return text !== null && createHash('sha1').update(text).digest('hex') === name ? text : null;
  } catch {
    return null;
  }
}

interface CheckpointFile {
  head: CheckpointHead;
  ints: Int32Array;
  /** The sum it was sealed with (a delta names its base by it). */
  sum: number;
}

const MAGIC = 'OTSV';
const CHECKPOINT_EXT = '.ckpt';
const CHECKPOINT_NAME = /^[0-9a-f]{40}\.ckpt$/;
/** The first integer of the integer section, so a file from a machine of the other byte order is not used. */
const BYTE_ORDER_MARK = 0x01020304;

/** Writes a checkpoint file (`writeOver`: over `spare`, the name of an old one that goes, when given). */
function writeCheckpointFile(file: string, head: CheckpointHead, ints: Int32Array, spare?: string): void {
  const sealed = sealValueAndInts(MAGIC, head, ints);
  writeOver(file, sealed, spare);
}

/**
 * Writes a sealed cache file of the survival directory: over `spare` (the name of an old file of
 * its kind that goes to make room), in place, then renamed, when given; else made anew and renamed.
 * Either way the name is the file's only once its bytes are all written. A reader that catches the
 * spare half written refuses it by its sum; written whole, by what it holds, which is not what its
 * old name says (a checkpoint names its commit, a patch list is named by its hash).
 */
function writeOver(file: string, sealed: Buffer, spare?: string): void {
  if (spare) {
    const from = path.join(path.dirname(file), spare);
    try {
      overwriteFileSync(from, sealed);
      fs.renameSync(from, file);
      return;
    } catch {
      /* gone meanwhile (another process's clean-up): written anew */
    }
  }
  atomicWriteFileSync(file, sealed);
}

function readCheckpointFile(file: string): CheckpointFile | null {
  let read: ReturnType<typeof unsealValueAndInts>;
  try {
    read = unsealValueAndInts(MAGIC, fs.readFileSync(file));
  } catch {
    return null;
  }
  if (!read) return null;
  return read.ints[0] === BYTE_ORDER_MARK ? { head: read.value as CheckpointHead, ints: read.ints, sum: read.sum } : null;
}

/**
 * The history of the last walk (commits never change: an update reads only the new ones), in the
 * history file (`sealValueAndInts`): a head in binary JSON and, as 32-bit integers, the columns
 * of the walk's commits in its order. Their ids, trees and messages are each one string of the head
 * (a commit's are slices of it), so reading the walk makes the commits' objects and little else
 * (decoded a value at a time, the generated history's 1,274 commits took 1.0-1.2 ms of an update;
 * as columns, 0.75 ms).
 */
interface HistoryHead {
  v: number;
  /** The walk's tip and cutoff, and the parents it could not open (`KnownHistory`). */
  at: string;
  cutoff: number | null;
  missing: string[];
  cut: string[];
  /** The commits' count, and of the parents outside the walk (cut or missing) they name. */
  count: number;
  outside: number;
  /** 40 hex digits each: the commits' ids, then their trees, then the parents outside the walk. */
  ids: string;
  /** The distinct author emails, and every message end to end (each commit's length is a column). */
  emails: string[];
  messages: string;
}

/**
 * The columns after the head, each `count` long: the author email's index, the message's length,
 * the parents' count, the author and commit times (each in two halves: seconds may pass 2^31), then
 * every commit's parents: a commit's index, or `count` + the index of a parent outside the walk.
 */
const HISTORY_COLUMNS = 7;
const TWO_32 = 2 ** 32;

function encodeHistory(h: History, cutoff: number | null): Buffer {
  const n = h.order.length;
  const at = new Map<string, number>();
  for (let i = 0; i < n; i++) at.set(h.order[i]!, i);
  const outside = new Map<string, number>();
  const emails = new Map<string, number>();
  const cols = new Int32Array(HISTORY_COLUMNS * n);
  const parents: number[] = [];
  const ids: string[] = new Array(n);
  const trees: string[] = new Array(n);
  const messages: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const c = h.commits.get(h.order[i]!)!;
    ids[i] = c.oid;
    trees[i] = c.tree;
    messages[i] = c.message;
    let e = emails.get(c.authorEmail);
    if (e === undefined) emails.set(c.authorEmail, (e = emails.size));
    cols[i] = e;
    cols[n + i] = c.message.length;
    cols[2 * n + i] = c.parents.length;
    cols[3 * n + i] = Math.floor(c.authorTime / TWO_32);
    cols[4 * n + i] = c.authorTime % TWO_32;
    cols[5 * n + i] = Math.floor(c.commitTime / TWO_32);
    cols[6 * n + i] = c.commitTime % TWO_32;
    for (const p of c.parents) {
      let x = at.get(p);
      if (x === undefined) {
        x = outside.get(p);
        if (x === undefined) outside.set(p, (x = outside.size));
        x += n;
      }
      parents.push(x);
    }
  }
  const head: HistoryHead = {
    v: CACHE_VERSION,
    at: h.at,
    cutoff,
    missing: [...h.missing],
    cut: [...h.cut],
    count: n,
    outside: outside.size,
    ids: ids.join('') + trees.join('') + [...outside.keys()].join(''),
    emails: [...emails.keys()],
    messages: messages.join(''),
  };
  const ints = new Int32Array(cols.length + parents.length);
  ints.set(cols);
  ints.set(parents, cols.length);
  return sealValueAndInts(HISTORY_MAGIC, head, ints);
}

/** The walk of a history file (`encodeHistory`); null when it is not one of this version or does not add up. */
function decodeHistory(bytes: Buffer): KnownHistory | null {
  const read = unsealValueAndInts(HISTORY_MAGIC, bytes);
  const f = read?.value as HistoryHead | undefined;
  if (!read || f?.v !== CACHE_VERSION || typeof f.at !== 'string' || !Array.isArray(f.missing) || !Array.isArray(f.cut) || !Array.isArray(f.emails)) return null;
  const { count: n, outside, ids, messages } = f;
  const { ints } = read;
  if (!Number.isInteger(n) || !Number.isInteger(outside) || n < 0 || outside < 0 || typeof ids !== 'string' || typeof messages !== 'string' || ids.length !== 40 * (2 * n + outside)) return null;
  let parentCount = 0;
  let messageLength = 0;
  for (let i = 0; i < n; i++) {
    parentCount += ints[2 * n + i]!;
    messageLength += ints[n + i]!;
  }
  if (ints.length !== HISTORY_COLUMNS * n + parentCount || messageLength !== messages.length) return null;
  const oidAt = (x: number) => (x < n ? ids.slice(40 * x, 40 * x + 40) : ids.slice(40 * (n + x), 40 * (n + x) + 40));
  const commits = new Map<string, HistCommit>();
  const order: string[] = new Array(n);
  let m = 0;
  let p = HISTORY_COLUMNS * n;
  for (let i = 0; i < n; i++) {
    const oid = ids.slice(40 * i, 40 * i + 40);
    const parents: string[] = new Array(ints[2 * n + i]!);
    for (let k = 0; k < parents.length; k++) {
      const x = ints[p++]!;
      if (!(x >= 0 && x < n + outside)) return null;
      parents[k] = oidAt(x);
    }
    const email = f.emails[ints[i]!];
    if (typeof email !== 'string') return null;
    const length = ints[n + i]!;
    // The walk's objects, keys in its order (one shape for the engine's loops).
    const c: HistCommit = {
      oid,
      tree: ids.slice(40 * (n + i), 40 * (n + i) + 40),
      parents,
      authorEmail: email,
      authorTime: ints[3 * n + i]! * TWO_32 + (ints[4 * n + i]! >>> 0),
      commitTime: ints[5 * n + i]! * TWO_32 + (ints[6 * n + i]! >>> 0),
      message: messages.slice(m, (m += length)),
    };
    commits.set(oid, c);
    order[i] = oid;
  }
  return { at: f.at, cutoff: f.cutoff ?? null, commits, order, missing: f.missing, cut: f.cut };
}

/** The commits an update's walk added to the history file's walk, kept on their own while they are few. */
interface HistoryTailFile {
  v: number;
  /** The tip of the history file's walk: the tail extends that walk only. */
  base: string;
  at: string;
  cutoff: number | null;
  cut: string[];
  /** In the walk's order. */
  commits: HistCommit[];
}

const HISTORY_FILE = 'history.bin';
const HISTORY_MAGIC = 'OTHI';
const HISTORY_TAIL_FILE = 'history-tail.bin';
const HISTORY_TAIL_MAGIC = 'OTHT';
/** New commits kept in the tail before the whole walk is written again. */
const HISTORY_SLACK = 16;

/** A cache file's value (binary JSON, sealed); null when absent or unusable. */
function readSealed(repo: Repo, name: string, magic: string): unknown {
  return readSealedValue(path.join(dir(repo), name), magic);
}

/** Writes a cache file's value, sealed; `inPlace` over the file there (`overwriteFileSync`), else atomically. */
function writeSealed(repo: Repo, name: string, magic: string, value: unknown, inPlace = false): void {
  (inPlace ? overwriteFileSync : atomicWriteFileSync)(path.join(dir(repo), name), sealValue(magic, value));
}

/** The last walk, for `walkHistory`'s `known`; null when absent or unusable. */
export function loadHistory(repo: Repo): KnownHistory | null {
  let known: KnownHistory | null;
  try {
    known = decodeHistory(fs.readFileSync(path.join(dir(repo), HISTORY_FILE)));
  } catch {
    return null;
  }
  return known && withTail(repo, known);
}

/**
 * `known` extended by the tail file's commits, when the tail extends that walk (as `walkHistory`
 * extends one: new commits reaching it only at its tip); else `known` as it is.
 */
function withTail(repo: Repo, known: KnownHistory): KnownHistory {
  const t = readSealed(repo, HISTORY_TAIL_FILE, HISTORY_TAIL_MAGIC) as HistoryTailFile | null;
  if (!t || t.v !== CACHE_VERSION || t.base !== known.at || t.cutoff !== known.cutoff || known.missing.length) return known;
  if (typeof t.at !== 'string' || !Array.isArray(t.commits) || !Array.isArray(t.cut)) return known;
  const fresh = new Set<string>();
  for (const c of t.commits) {
    if (typeof c?.oid !== 'string' || !Array.isArray(c.parents) || known.commits.has(c.oid)) return known;
    fresh.add(c.oid);
  }
  if (!fresh.has(t.at)) return known;
  const { commits, order } = joinAtTip(known, t.commits, t.at);
  // Every commit placed once: the tail reaches the walk at its tip only.
  if (order.length !== commits.size) {
    for (const o of fresh) commits.delete(o);
    return known;
  }
  return { at: t.at, cutoff: known.cutoff, commits, order, missing: [], cut: t.cut, tail: { base: known.at, commits: t.commits } };
}

/**
 * Keeps the walked history: when it extended the kept one by a few commits (since the history file
 * was written), those commits alone, in the tail file; else the whole walk, in the history file.
 * Failures are ignored (the cache is optional).
 */
export function saveHistory(repo: Repo, h: History, cutoff: number | null, known: KnownHistory | null): void {
  try {
    // Each as the object the walk made (its keys in one order: one shape in the file).
    const plain = (c: HistCommit): HistCommit => ({ oid: c.oid, tree: c.tree, parents: c.parents, authorEmail: c.authorEmail, authorTime: c.authorTime, commitTime: c.commitTime, message: c.message });
    // (A walk that could not open a commit is kept whole: the history file says which.)
    if (known && h.extension?.at === known.at && h.missing.size === 0) {
      // The same tip: nothing new to keep.
      if (h.extension.fresh.size === 0) return;
      const added = [...(known.tail?.commits ?? []), ...[...h.extension.fresh].map((o) => h.commits.get(o)!)];
      if (added.length <= HISTORY_SLACK) {
        const tail: HistoryTailFile = { v: CACHE_VERSION, base: known.tail?.base ?? known.at, at: h.at, cutoff, cut: [...h.cut], commits: added.map(plain) };
        // Written on every update: over the last one, in place.
        writeSealed(repo, HISTORY_TAIL_FILE, HISTORY_TAIL_MAGIC, tail, true);
        return;
      }
    }
    atomicWriteFileSync(path.join(dir(repo), HISTORY_FILE), encodeHistory(h, cutoff));
    // A tail names the walk it extends, and this is another: it would not be used.
    fs.rmSync(path.join(dir(repo), HISTORY_TAIL_FILE), { force: true });
  } catch {
    /* the cache is optional */
  }
}

/**
 * The effective anchors of a pass, as a cache key: a 64-bit hash of each (`patchId`, anchor commit,
 * path, lines). A set of anchors hashes to the sum of its members (two 32-bit lanes, with the count),
 * so no order is needed, and a commit's history sums the anchors of its commits.
 *
 * Hashing every anchor costs about as much as the rest of an update, so a checkpoint also keeps the
 * name of the trail it was made from and the hash of its re-found anchors alone: with the same
 * trail, the recorded anchors inside its history are the same, and only the re-found ones (few)
 * are hashed. The full key is made when that does not settle it.
 */
export class AnchorKey {
  #groups: Map<string, Sum> | null = null;
  constructor(
    private readonly patches: Patch[],
    private readonly effective: (Anchor | null)[],
    /** The trail's name (`Trail.name`), null when it has none. */
    readonly trail: string | null,
    /** Patches whose effective anchor was re-found (not the recorded one). */
    private readonly refound: number[],
  ) {}

  /** Per anchor commit: how many effective anchors it holds and the sums of their hashes. */
  get groups(): Map<string, Sum> {
    if (!this.#groups) {
      const groups = new Map<string, Sum>();
      for (let i = 0; i < this.patches.length; i++) {
        const a = this.effective[i];
        if (!a) continue;
        let g = groups.get(a.commit);
        if (!g) groups.set(a.commit, (g = { n: 0, x: 0, y: 0 }));
        addAnchor(g, this.patches[i]!.patchId, a);
      }
      this.#groups = groups;
    }
    return this.#groups;
  }

  /** The effective anchors inside `done` (a commit's history). */
  inside(done: CommitSet): string {
    const sum = { n: 0, x: 0, y: 0 };
    for (const [commit, g] of this.groups) if (done.has(commit)) addSum(sum, g);
    return sumText(sum);
  }

  /** The re-found anchors inside `done`. */
  refoundInside(done: CommitSet): string {
    const sum = { n: 0, x: 0, y: 0 };
    for (const i of this.refound) if (done.has(this.effective[i]!.commit)) addAnchor(sum, this.patches[i]!.patchId, this.effective[i]!);
    return sumText(sum);
  }

  /** `inside` for a history made of one whose `inside` was `base` and these commits' anchors. */
  extend(base: string, anchorsAt: AnchorsAt, commits: string[]): string | null {
    const sum = parseSum(base);
    if (!sum) return null;
    for (const c of commits) for (const p of anchorsAt.get(c) ?? []) addAnchor(sum, this.patches[p]!.patchId, this.effective[p]!);
    return sumText(sum);
  }
}

interface Sum {
  n: number;
  x: number;
  y: number;
}

const addSum = (to: Sum, g: Sum) => {
  to.n += g.n;
  to.x = (to.x + g.x) >>> 0;
  to.y = (to.y + g.y) >>> 0;
};
const sumText = (s: Sum) => `${s.n}:${s.x.toString(16)}:${s.y.toString(16)}`;
function parseSum(text: string): Sum | null {
  const m = /^(\d+):([0-9a-f]{1,8}):([0-9a-f]{1,8})$/.exec(text);
  return m ? { n: Number(m[1]), x: parseInt(m[2]!, 16), y: parseInt(m[3]!, 16) } : null;
}

const FNV_PRIME = 0x01000193;

/** The two lanes of the anchor hash being computed (`addAnchor`). */
let hx = 0;
let hy = 0;
const mix = (c: number) => {
  hx = Math.imul(hx ^ c, FNV_PRIME);
  hy = Math.imul(hy ^ c, FNV_PRIME) ^ (hy >>> 15);
};
const mixText = (t: string, n: number) => {
  for (let j = 0; j < n; j++) mix(t.charCodeAt(j));
};

/**
 * Adds an anchor's hash to `to`: FNV-1a over its fields, two lanes with different bases. Of the
 * two object ids (content hashes already, checked as 40 hex digits) the first 16 digits are
 * enough; path and line numbers whole.
 */
function addAnchor(to: Sum, patchId: string, a: Anchor): void {
  hx = 0x811c9dc5;
  hy = 0x2f9be6cc;
  mixText(patchId, 16);
  mixText(a.commit, 16);
  mixText(a.path, a.path.length);
  mix(0x1ffff);
  // A cached anchor's lists are read in place, not decoded.
  const stored = a instanceof StoredAnchor ? a : null;
  if (stored) stored.eachLine(mix);
  else for (const l of a.lines) mix(l);
  mix(0x2ffff);
  if (stored) stored.eachAddedIndex(mix);
  else for (const k of a.addedIndex ?? []) mix(k);
  to.n++;
  to.x = (to.x + (hx >>> 0)) >>> 0;
  to.y = (to.y + (hy >>> 0)) >>> 0;
}

export interface Checkpoint {
  commit: string;
  /** The commits after it, to replay (in the history's order). */
  replay: string[];
  state: LineState;
  /** Its owner rows (the next checkpoint copies them rather than encoding them again). */
  rows: StoredRows;
  /** The effective anchors inside its history, as they are now (`AnchorKey.inside`). */
  anchors: string;
  /** The full checkpoint it is (or, a delta, extends): the base of the next delta. */
  full: FullBase;
}

/** A full checkpoint as a delta's base. */
interface FullBase {
  commit: string;
  /** The sum its file was sealed with. */
  sum: number;
  /** Its integers (a delta larger than a share of them is written full). */
  size: number;
}

/**
 * The owner rows of a checkpoint, made into owners one at a time, when a file the pass opens asks
 * for them: an update touches a few files, and the others stay rows (counted from them, and
 * copied as they are into the next checkpoint). A delta's rows follow its base's (`more`).
 */
export class StoredRows {
  /** The owners made so far, by row (few of the rows, in an update: not a slot for each). */
  private readonly owners = new Map<number, Owner>();
  /** The row of each owner made here (the next checkpoint refers to it instead of writing it again). */
  readonly rowOf = new Map<Owner, number>();
  constructor(
    /** The full checkpoint's integers: its rows from index 1, `baseCount` of them. */
    readonly ints: Int32Array,
    /** How many rows in all. */
    readonly count: number,
    /** Patch index in the checkpoint to the pass's. */
    readonly patchIndex: (x: number) => number,
    /** The name of the checkpoint's patch list (`PatchList`), when it is the pass's: its rows' patch indexes are then the pass's as they are. */
    readonly patchList: string | null,
    /** A delta's integers: its rows from index 1, numbered from `baseCount` on. */
    readonly more: Int32Array | null = null,
    readonly baseCount = count,
  ) {}

  /** Field f (0 patch, 1 line, 2 flags, 3 prev) of row r. */
  field(r: number, f: number): number {
    return r < this.baseCount ? this.ints[1 + 4 * r + f]! : this.more![1 + 4 * (r - this.baseCount) + f]!;
  }

  /** The rows from `from` on, as the checkpoint files hold them, written into `to` from `at`. */
  copyInto(to: Int32Array, at: number, from = 0): void {
    if (from < this.baseCount) to.set(this.ints.subarray(1 + 4 * from, 1 + 4 * this.baseCount), at);
    const more = Math.max(from, this.baseCount);
    if (this.more) to.set(this.more.subarray(1 + 4 * (more - this.baseCount), 1 + 4 * (this.count - this.baseCount)), at + 4 * (more - from));
  }

  owner(row: number): Owner {
    const hit = this.owners.get(row);
    if (hit) return hit;
    // Older rows first (a row's `prev` is an older row), without recursion on long chains.
    const todo = [row];
    for (let r = this.field(row, 3); r >= 0 && !this.owners.has(r); r = this.field(r, 3)) todo.push(r);
    for (let j = todo.length - 1; j >= 0; j--) {
      const r = todo[j]!;
      const flags = this.field(r, 2);
      const prev = this.field(r, 3);
      const o: Owner = { p: this.patchIndex(this.field(r, 0)), k: this.field(r, 1), edited: (flags & 1) !== 0, moved: (flags & 2) !== 0, other: (flags & 4) !== 0, prev: prev >= 0 ? this.owners.get(prev)! : null };
      this.owners.set(r, o);
      this.rowOf.set(o, r);
    }
    return this.owners.get(row)!;
  }

  /** Each row of a chain from `row` down its `prev` links: patch, line, flags, whether it is below the first. */
  eachInChain(row: number, visit: (p: number, k: number, edited: boolean, moved: boolean, other: boolean, inChain: boolean) => void): void {
    for (let r = row, chain = false; r >= 0; r = this.field(r, 3), chain = true) {
      const flags = this.field(r, 2);
      visit(this.patchIndex(this.field(r, 0)), this.field(r, 1), (flags & 1) !== 0, (flags & 2) !== 0, (flags & 4) !== 0, chain);
    }
  }
}

/**
 * A file of a checkpoint's state: its owners are made from the rows the first time they are read.
 * The pass never changes a parent's file (it copies it first), so while a state holds this object
 * the file's slots are the checkpoint's.
 */
export class StoredFileState implements FileState {
  text: FileState['text'] = null;
  readonly #rows: StoredRows;
  readonly #slots: Int32Array;
  #owners: (Owner | null)[] | null = null;
  constructor(
    rows: StoredRows,
    slots: Int32Array,
    public oid: string,
    public owned: number,
    public watch: number[],
    /** The index of the full checkpoint's file whose slots these are; -1 when they are a delta's own. */
    readonly baseFile: number,
  ) {
    this.#rows = rows;
    this.#slots = slots;
  }

  get owners(): (Owner | null)[] {
    if (!this.#owners) {
      const os: (Owner | null)[] = new Array(this.#slots.length);
      for (let j = 0; j < this.#slots.length; j++) {
        const r = this.#slots[j]!;
        os[j] = r >= 0 ? this.#rows.owner(r) : null;
      }
      this.#owners = os;
    }
    return this.#owners;
  }

  /** The file's slots in `rows`' checkpoint, when it is one of its files. */
  slotsIn(rows: StoredRows): Int32Array | null {
    return rows === this.#rows ? this.#slots : null;
  }

  /** Every owner (and each one's `prev` chain) of the file, from the rows (no owner is made). */
  eachOwner(visit: (p: number, k: number, edited: boolean, moved: boolean, other: boolean, inChain: boolean) => void): void {
    for (let j = 0; j < this.#slots.length; j++) {
      const r = this.#slots[j]!;
      if (r >= 0) this.#rows.eachInChain(r, visit);
    }
  }

  get made(): boolean {
    return this.#owners !== null;
  }

  get lines(): number {
    return this.#slots.length;
  }
}

/** A set of commits, as far as asking goes. */
type CommitSet = { has(oid: string): boolean };

/**
 * When the walk extended an earlier one from Y, and X is Y or a fresh commit descending from Y:
 * the fresh commits that are not in X's history (Y's history and X's fresh ancestors). Null otherwise.
 */
function extensionAfter(h: History, x: string): Set<string> | null {
  const ext = h.extension;
  if (!ext || (x !== ext.at && !ext.fresh.has(x))) return null;
  const below = new Set<string>();
  let reaches = x === ext.at;
  for (const stack = ext.fresh.has(x) ? [x] : []; stack.length; ) {
    const o = stack.pop()!;
    if (below.has(o)) continue;
    below.add(o);
    for (const p of h.commits.get(o)!.parents) {
      if (ext.fresh.has(p)) stack.push(p);
      else if (p === ext.at) reaches = true;
    }
  }
  // X's history holds Y's only through Y (a fresh root's side of a merge does not).
  if (!reaches) return null;
  return new Set([...ext.fresh].filter((o) => !below.has(o)));
}

function dir(repo: Repo): string {
  return path.join(otDataDir(repo), 'survival');
}

/** The newest usable checkpoint for history `h`, or null. */
export function loadCheckpoint(
  repo: Repo,
  h: History,
  patches: Patch[],
  indexOf: (patchId: string) => number | undefined,
  key: AnchorKey,
  /** The pass's records (all empty): the checkpoint's are written into it when it is used. */
  records: PatchRecords,
): Checkpoint | null {
  let names: string[];
  try {
    names = fs.readdirSync(dir(repo)).filter((n) => CHECKPOINT_NAME.test(n));
  } catch {
    return null;
  }
  // Newest first: in the history's order, backwards.
  const named = new Set(names.map((n) => n.slice(0, 40)));
  const candidates: string[] = [];
  for (let i = h.order.length - 1; i >= 0 && candidates.length < named.size; i--) if (named.has(h.order[i]!)) candidates.push(h.order[i]!);
  for (const commit of candidates) {
    let cp: Checkpoint | null = null;
    try {
      cp = tryLoad(repo, commit, h, patches, indexOf, key, records);
    } catch {
      /* a file of an unexpected shape is no checkpoint */
    }
    if (cp) return cp;
  }
  return null;
}

function tryLoad(repo: Repo, commit: string, h: History, patches: Patch[], indexOf: (patchId: string) => number | undefined, key: AnchorKey, into: PatchRecords): Checkpoint | null {
  const cf = readCheckpointFile(path.join(dir(repo), `${commit}${CHECKPOINT_EXT}`));
  if (!cf || cf.head.v !== CACHE_VERSION || cf.head.commit !== commit) return null;
  const { head: file, ints } = cf;
  // X's history, and the commits after it. When the walk extended an earlier one (from Y) and X
  // is Y or one of the fresh commits, X's history is the earlier walk and X's fresh ancestors, and
  // the later commits are the other fresh ones: when each of them joins X's history at X alone,
  // that is all the checking needed, and nothing goes over the whole history.
  const fresh = extensionAfter(h, commit);
  const before = (o: string) => h.commits.has(o) && !fresh!.has(o);
  const after = fresh && [...fresh].every((o) => h.commits.get(o)!.parents.every((p) => p === commit || !before(p))) ? fresh : null;
  const done: CommitSet = after ? { has: before } : ancestorsIn(h.commits, commit);
  // The anchors inside X's history now must be exactly the ones the checkpoint was made with: with
  // the same trail, the same recorded ones, so only the re-found ones are compared.
  const sameTrail = key.trail !== null && file.trail === key.trail && key.refoundInside(done) === file.refound;
  if (!sameTrail && key.inside(done) !== file.anchors) return null;
  // Every later commit must join X's history at X or at a commit with nothing anchored below it.
  if (!after) {
    const active = new Set<string>();
    const anchorCommits = key.groups;
    for (const o of h.order) {
      if (!done.has(o)) continue;
      const c = h.commits.get(o)!;
      if (anchorCommits.has(o) || c.parents.some((p) => active.has(p))) active.add(o);
    }
    for (const o of h.order) {
      if (done.has(o)) continue;
      for (const p of h.commits.get(o)!.parents) if (done.has(p) && p !== commit && active.has(p)) return null;
    }
  }
  // A delta is read with its base: the full checkpoint of the same patch list it names, as it was
  // when the delta was written (the same sum).
  let base: CheckpointFile | null = null;
  if (file.base) {
    const b = file.base;
    base = readCheckpointFile(path.join(dir(repo), `${b.commit}${CHECKPOINT_EXT}`));
    if (!base || base.sum !== b.sum || base.head.v !== CACHE_VERSION || base.head.commit !== b.commit || base.head.base) return null;
    if (base.head.patchList !== file.patchList || base.head.patchCount !== file.patchCount || base.head.ownerRows !== b.rows) return null;
  }
  const full = base ?? cf;
  // Decode.
  // The same patches in the same order: indexes are the pass's own. A trail of the same name is the
  // same events, which fold and order alike (an order that changes bumps CACHE_VERSION): the list is
  // not read. Another trail's list is read and compared, or mapped to the pass's patches.
  let same: boolean;
  let list: string | null = null;
  if (file.trail !== null && file.trail === key.trail) {
    if (file.patchCount !== patches.length) return null;
    same = true;
  } else {
    list = readPatchList(repo, file.patchList);
    if (list === null) return null;
    same = isPatchIdList(list, patches);
  }
  const map = same ? null : mapPatchList(list!, patches, indexOf);
  if (map?.some((m) => m === undefined)) return null;
  const P = (x: number) => {
    const m = map ? map[x] : x < patches.length && x >= 0 ? x : undefined;
    if (m === undefined) throw new Error('patch index out of range');
    return m;
  };
  // Every row and slot checked now; owners are made only for the files the pass opens.
  const nPatches = map ? map.length : patches.length;
  const baseRows = base ? base.head.ownerRows : 0;
  const rowCount = baseRows + file.ownerRows;
  const fullSlots = slotsAt(full);
  const ownSlots = base ? slotsAt(cf) : fullSlots;
  if (!rowsCheck(full, 0, nPatches) || (base && !rowsCheck(cf, baseRows, nPatches))) return null;
  const rows = new StoredRows(full.ints, rowCount, P, same ? file.patchList : null, base ? ints : null, base ? baseRows : file.ownerRows);
  const files = new Map<string, FileState>();
  for (let i = 0; i < file.files.length; i++) {
    const f = file.files[i]!;
    let slots: Int32Array;
    let baseFile = base ? -1 : i;
    if (f.same !== undefined) {
      const g = base?.head.files[f.same];
      if (!g || g.same !== undefined || g.lines !== f.lines) return null;
      slots = base!.ints.subarray(fullSlots.at[f.same]!, fullSlots.at[f.same]! + f.lines);
      baseFile = f.same;
    } else slots = ints.subarray(ownSlots.at[i]!, ownSlots.at[i]! + f.lines);
    let owned = 0;
    for (let j = 0; j < slots.length; j++) {
      const o = slots[j]!;
      if (o >= rowCount) return null;
      if (o >= 0) owned++;
    }
    if (owned !== f.owned) return null;
    files.set(f.path, new StoredFileState(rows, slots, f.oid, owned, f.watch.map(P), baseFile));
  }
  // Records are put in place only once all of them read well: each row's patch and commits checked
  // first. A delta's replace its base's for the patches they name.
  const recordSets = base ? [recordsCheck(base, fullSlots.end, P), recordsCheck(cf, ownSlots.end, P)] : [recordsCheck(cf, fullSlots.end, P)];
  const unknown = file.unknown.map(([pi, reason]) => [P(pi), reason] as const);
  const gone = file.gone?.length ? new Map(file.gone.map((g) => [g.path, g.watch.map(P)])) : undefined;
  for (const { f, at, commits } of recordSets) {
    // The file's commit indexes as the records' own.
    const table = Int32Array.from(commits, (c) => into.commitIndex(c));
    const fi = f.ints;
    for (let r = 0, n = f.head.records, y = at; r < n; r++, y += RECORD_INTS) into.put(P(fi[y]!), table, fi[y + 1]!, fi[y + 2]!, fi[y + 3]!, fi[y + 4]!, fi[y + 5]!);
    // From the full checkpoint's records on, the patches whose records are set are noted: a delta's records.
    if (f === full) into.track();
  }
  for (const [i, reason] of unknown) into.noteUnknown(i, reason);
  const replay = after ? h.order.filter((o) => after!.has(o)) : h.order.filter((o) => !done.has(o));
  return {
    commit,
    replay,
    state: gone ? { files, gone } : { files },
    rows,
    anchors: file.anchors,
    full: { commit: full.head.commit, sum: full.sum, size: full.ints.length },
  };
}

/** Where each file's slots start in a checkpoint file's integers (a delta's kept files have none), and where its records start; throws when its integers do not add up. */
function slotsAt(f: CheckpointFile): { at: number[]; end: number } {
  let x = 1 + 4 * f.head.ownerRows;
  const at: number[] = [];
  for (const g of f.head.files) {
    at.push(x);
    if (g.same === undefined) x += g.lines;
  }
  if (f.ints.length !== x + RECORD_INTS * f.head.records) throw new Error('the integers do not add up');
  return { at, end: x };
}

/** Whether each row of a checkpoint file (numbered from `first`) names a patch and a line, and an older row as its `prev`. */
function rowsCheck(f: CheckpointFile, first: number, patches: number): boolean {
  const ints = f.ints;
  const end = first + f.head.ownerRows;
  for (let r = first, x = 1; r < end; r++, x += 4) {
    const pi = ints[x]!;
    const prev = ints[x + 3]!;
    if (pi < 0 || pi >= patches || prev >= r || ints[x + 1]! < 0) return false;
  }
  return true;
}

/** A checkpoint file's records (from `at`), checked: each names a patch and commits of its file; throws when one does not. */
function recordsCheck(f: CheckpointFile, at: number, patchIndex: (x: number) => number): { f: CheckpointFile; at: number; commits: string[] } {
  const commits = f.head.commits === '' ? [] : f.head.commits.split('\n');
  const ints = f.ints;
  const n = commits.length;
  for (let r = 0, count = f.head.records, x = at; r < count; r++, x += RECORD_INTS) {
    patchIndex(ints[x]!);
    if (ints[x + 1]! >= n || ints[x + 3]! >= n || ints[x + 4]! >= n || ints[x + 5]! >= n) throw new Error('commit index out of range');
  }
  return { f, at, commits };
}

/** Which commits of this pass to keep for checkpoints. */
export function checkpointCommits(h: History): string[] {
  const chain = [...firstParentChain(h, Math.max(...DEPTHS) + 1)];
  return DEPTHS.map((d) => chain[d]).filter((c): c is string => c !== undefined);
}

/** Writes the checkpoints the pass kept; failures are ignored (the cache is optional). */
export function saveCheckpoints(repo: Repo, h: History, patches: Patch[], key: AnchorKey, anchorsAt: AnchorsAt, pass: ForwardPass, records: PatchRecords, resumed: Checkpoint | null): void {
  try {
    fs.mkdirSync(dir(repo), { recursive: true });
    // The pass's patch list: the one the checkpoint resumed from names, when it is the pass's.
    let listName = resumed?.rows.patchList ?? null;
    let list: PatchList | null = null;
    if (listName === null) listName = (list = patchList(patches)).name;
    const names = fs.readdirSync(dir(repo)).filter((n) => n !== HISTORY_FILE);
    // A file made anew costs the file system a new inode and its blocks, a millisecond on every
    // update: a new list or checkpoint is written over one of the oldest that go (`writeOver`).
    const listFile = `${listName}${LIST_EXT}`;
    const listSpare = beyondNewest(repo, names.filter((n) => n.endsWith(LIST_EXT) && n !== listFile), KEEP_LISTS);
    if (!names.includes(listFile)) writeOver(path.join(dir(repo), listFile), seal(LIST_MAGIC, Buffer.from((list ?? patchList(patches)).text, 'utf8')), listSpare.pop());
    // The commits the pass kept for checkpoints (`checkpointCommits`), and the oldest checkpoints
    // that go to keep KEEP_FILES.
    const writes = [...pass.keep].filter((c) => pass.states.has(c) && (c === h.at || pass.recordsAt.has(c)));
    const targets = new Set(writes.map((c) => `${c}${CHECKPOINT_EXT}`));
    // The full checkpoint a delta written now may extend stays, one of the KEEP_FILES.
    const base = resumed ? `${resumed.full.commit}${CHECKPOINT_EXT}` : null;
    const keepBase = base !== null && !targets.has(base) && names.includes(base) ? 1 : 0;
    const spare = beyondNewest(repo, names.filter((n) => CHECKPOINT_NAME.test(n) && !targets.has(n) && n !== base), KEEP_FILES - writes.length - keepBase);
    for (const commit of writes) {
      const recs = commit === h.at ? records : pass.recordsAt.get(commit)!;
      const target = path.join(dir(repo), `${commit}${CHECKPOINT_EXT}`);
      const { head, ints } = encode(commit, h, patches, listName, key, anchorsAt, pass.states.get(commit)!, recs, resumed);
      writeCheckpointFile(target, head, ints, spare.pop());
    }
    for (const n of [...spare, ...listSpare]) fs.rmSync(path.join(dir(repo), n), { force: true });
    // Files of the older (JSON) formats, and temporary files a killed process left, go.
    const now = Date.now();
    for (const n of names) {
      const f = path.join(dir(repo), n);
      if (/^[0-9a-f]{40}\.json$/.test(n) || n === 'history.json' || (n.includes('.tmp-') && now - fs.statSync(f).mtimeMs > 60_000)) fs.rmSync(f, { force: true });
    }
  } catch {
    /* the cache is optional */
  }
}

/** The cache files of `names` beyond the `keep` most recently written, newest first (one gone meanwhile left out). */
function beyondNewest(repo: Repo, names: string[], keep: number): string[] {
  if (names.length <= Math.max(keep, 0)) return [];
  const byAge: { n: string; t: number }[] = [];
  for (const n of names) {
    const st = fs.statSync(path.join(dir(repo), n), { throwIfNoEntry: false });
    if (st) byAge.push({ n, t: st.mtimeMs });
  }
  byAge.sort((a, b) => b.t - a.t);
  return byAge.slice(Math.max(keep, 0)).map(({ n }) => n);
}

/** A delta is written while it is at most this share of its base's integers; past it, a full checkpoint. */
const DELTA_SHARE = 0.25;

/**
 * The checkpoint at `commit`: the tip's after an update as a delta of the full checkpoint it
 * resumed from (or extends), while that is small; else full.
 */
function encode(commit: string, h: History, patches: Patch[], listName: string, key: AnchorKey, anchorsAt: AnchorsAt, state: LineState, records: PatchRecords, resumed: Checkpoint | null): Omit<CheckpointFile, 'sum'> {
  const base = resumed?.rows ?? null;
  // The tip's history is the whole walk.
  const done: CommitSet = commit === h.at ? h.commits : ancestorsIn(h.commits, commit);
  // The tip's, from the checkpoint resumed from and the anchors of the commits replayed since.
  const anchors = (commit === h.at && resumed && key.extend(resumed.anchors, anchorsAt, resumed.replay)) || key.inside(done);
  let slotCount = 0;
  for (const f of state.files.values()) slotCount += f instanceof StoredFileState ? f.lines : f.owners.length;
  // The checkpoint the pass resumed from: its rows are kept (files the pass did not open are copied
  // slot for slot), and only new owners are written. Its patch indexes are the pass's when its list
  // is; after new events they are mapped (a row's patch, an integer each: no owner is made). Rows no
  // file uses any more stay until they are as many as the slots, then all is written anew.
  const keep = base && base.count <= 2 * slotCount + 1024 ? base : null;
  // The full checkpoint a delta would extend: the tip's, with the rows and patch list kept (and the
  // records that changed since that checkpoint's noted).
  const full = commit === h.at && keep?.patchList && records.tracked ? resumed!.full : null;
  const ids = new Map<Owner, number>();
  const rows: number[] = [];
  let ownerRows = keep ? keep.count : 0;
  const enc = (o: Owner): number => {
    const kept = keep?.rowOf.get(o);
    if (kept !== undefined) return kept;
    const hit = ids.get(o);
    if (hit !== undefined) return hit;
    const prev = o.prev ? enc(o.prev) : -1;
    const id = ownerRows++;
    rows.push(o.p, o.k, (o.edited ? 1 : 0) | (o.moved ? 2 : 0) | (o.other ? 4 : 0), prev);
    ids.set(o, id);
    return id;
  };
  const slots: (Int32Array | number[])[] = [];
  // The index of the full checkpoint's file each file keeps the slots of (-1: none).
  const sameAs: number[] = [];
  let ownSlots = 0;
  const files = [...state.files].map(([path, f]) => {
    const stored = keep && f instanceof StoredFileState && !f.made ? f : null;
    const copied = stored?.slotsIn(keep!) ?? null;
    const own = copied ?? f.owners.map((o) => (o ? enc(o) : -1));
    slots.push(own);
    const same = full && copied ? stored!.baseFile : -1;
    sameAs.push(same);
    if (same < 0) ownSlots += own.length;
    // (A copied file's count was checked against its slots when they were read.)
    let owned = copied ? stored!.owned : 0;
    if (!copied) for (let j = 0; j < own.length; j++) if (own[j]! >= 0) owned++;
    return { path, oid: f.oid, lines: own.length, owned, watch: f.watch };
  });
  // A delta's rows: those after its base's (the kept rows' first segment). Its records: those set
  // since its base's were read.
  const baseRows = full ? keep!.baseCount : 0;
  const touched = full ? records.touchedCount : 0;
  const delta = full !== null && 1 + 4 * (ownerRows - baseRows) + ownSlots + RECORD_INTS * touched <= DELTA_SHARE * full.size;
  // The commits the records name, in the order first named: each as the file's index of it.
  const commits: string[] = [];
  const fileIndex = new Int32Array(records.commitCount).fill(-1);
  const C = (x: number): number => {
    if (x < 0) return -1;
    if (fileIndex[x]! < 0) fileIndex[x] = commits.push(records.commitAt(x)) - 1;
    return fileIndex[x]!;
  };
  const recs = new Int32Array(RECORD_INTS * (delta ? touched : records.size));
  let recInts = 0;
  const putRecord = (i: number, removal: number, flags: number, change: number, revived: number, comeback: number) => {
    recs[recInts++] = i;
    recs[recInts++] = C(removal);
    recs[recInts++] = flags;
    recs[recInts++] = C(change);
    recs[recInts++] = C(revived);
    recs[recInts++] = C(comeback);
  };
  if (delta) records.eachTouched(putRecord);
  else records.eachRecorded(putRecord);
  const unknown: [number, string][] = [...records.unknowns].sort((a, b) => a[0] - b[0]);
  // Rows from the base's on (a delta), or all.
  const firstRow = delta ? baseRows : 0;
  const keptRows = keep ? keep.count - firstRow : 0;
  const ints = new Int32Array(1 + 4 * (ownerRows - firstRow) + (delta ? ownSlots : slotCount) + recInts);
  ints[0] = BYTE_ORDER_MARK;
  let x = 1;
  if (keep) {
    keep.copyInto(ints, x, firstRow);
    if (!keep.patchList) for (let r = x, end = x + 4 * keptRows; r < end; r += 4) ints[r] = keep.patchIndex(ints[r]!);
    x += 4 * keptRows;
  }
  ints.set(rows, x);
  x += rows.length;
  for (let i = 0; i < slots.length; i++) {
    if (delta && sameAs[i]! >= 0) continue;
    ints.set(slots[i]!, x);
    x += slots[i]!.length;
  }
  ints.set(recs.subarray(0, recInts), x);
  if (delta) files.forEach((f, i) => sameAs[i]! >= 0 && Object.assign(f, { same: sameAs[i]! }));
  const gone = state.gone?.size ? [...state.gone].map(([path, watch]) => ({ path, watch })) : undefined;
  const head: CheckpointHead = {
    v: CACHE_VERSION,
    commit,
    patchList: listName,
    patchCount: patches.length,
    anchors,
    trail: key.trail,
    refound: key.refoundInside(done),
    ownerRows: ownerRows - firstRow,
    files,
    ...(gone ? { gone } : {}),
    commits: commits.join('\n'),
    records: recInts / RECORD_INTS,
    unknown,
    ...(delta ? { base: { commit: full!.commit, sum: full!.sum, rows: baseRows } } : {}),
  };
  return { head, ints };
}
