import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Repo } from '../git/repo.js';
import { otDataDir } from '../git/repo.js';
import type { Person } from '../git/object-format.js';
import { ensureEmptyTree, readCommit, writeCommit } from '../git/objects.js';
import { compareAndSwapRef, listRefs, RefConflict, refTips, resolveRef } from '../git/refs.js';
import { atomicWriteFile, closeHeld, keepOpenWith, openToRead, overwriteFileSync, readAt } from '../git/fs.js';
import { align4, crc32, readSealedValue, SEALED_HEAD, sealInPlace, sealValue, unseal } from './sealed.js';
import { encodeBinaryJson, openBinaryJson, openStringLists, type RecordStream, type StringLists } from './binary-json.js';
import { LineSource, storedForm, storedPatchMaker } from './stored-patch.js';
import { storedAnchorMaker } from './stored-anchor.js';
import type { NewEvent, TrailEvent } from '../model/events.js';
import { EVENT_VERSION } from '../model/formats.js';
import { corruptError, OtError } from '../errors.js';

/**
 * The event schemas (and zod with them) load only where something is validated: a write, a chain
 * read from git. Reading a trail from its caches does without.
 */
const schemas = () => import('../model/events.js');

/** Every trace is one ref; its events are a chain of commits, each carrying one event. */
export const TRACE_REF_PREFIX = 'refs/ot/traces';

const SAFE_ID = /^(?!_h_)[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** The ref of a trace: its id when that is a safe ref name, else a hash of it. */
export function traceRef(traceId: string): string {
  const safe = SAFE_ID.test(traceId) && !traceId.endsWith('.lock') && !traceId.includes('..') && !traceId.endsWith('.');
  return `${TRACE_REF_PREFIX}/${safe ? traceId : `_h_${createHash('sha1').update(traceId).digest('hex')}`}`;
}

const STORE_PERSON = { name: 'ot trail', email: 'ot-trail@localhost' };

function person(at: string): Person {
  return { ...STORE_PERSON, timestamp: Math.floor(Date.parse(at) / 1000), timezoneOffset: 0 };
}

export interface StoredEvent {
  /** The commit that carries the event. For snapshot events it wraps the snapshot tree. */
  commit: string;
  event: TrailEvent;
}

/**
 * Appends one event to a trace's chain. The event is validated before anything is written; the
 * ref moves by compare-and-swap, so concurrent appends all land, each on top of the other.
 */
export async function appendEvent(repo: Repo, traceId: string, input: NewEvent): Promise<StoredEvent> {
  const ref = traceRef(traceId);
  for (let attempt = 0; ; attempt++) {
    const tip = await resolveRef(repo, ref);
    let seq = 0;
    let tree: string;
    if (tip) {
      const prev = await readEventCommit(repo, tip, ref);
      seq = (await parseEventMessage(prev.message, tip)).seq + 1;
      tree = prev.tree;
    } else {
      tree = await ensureEmptyTree(repo);
    }
    const parsed = (await schemas()).TrailEvent.safeParse({ ...input, v: EVENT_VERSION, seq, traceId });
    if (!parsed.success) {
      throw new OtError(`refusing to record an invalid ${input.type} event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const event = parsed.data;
    // Stored in UTC (an offset given by the caller is resolved), so times compare as text.
    event.at = new Date(event.at).toISOString();
    if ('snapshotTree' in event) tree = event.snapshotTree;
    const commit = await writeCommit(repo, { tree, parents: tip ? [tip] : [], message: `${JSON.stringify(event)}\n`, author: person(event.at) });
    try {
      await compareAndSwapRef(repo, ref, tip, commit);
      return { commit, event };
    } catch (err) {
      if (!(err instanceof RefConflict) || attempt > 200) throw err;
    }
  }
}

export async function parseEventMessage(message: string, commit: string): Promise<TrailEvent> {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    throw corruptError(`trail event ${commit} is not JSON`);
  }
  const parsed = (await schemas()).TrailEvent.safeParse(json);
  if (!parsed.success) {
    throw corruptError(`trail event ${commit} does not match the event schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Reads an event commit; a missing or unreadable one is a corrupt store (exit 3), named. */
async function readEventCommit(repo: Repo, oid: string, ref: string): ReturnType<typeof readCommit> {
  try {
    return await readCommit(repo, oid);
  } catch (err) {
    throw corruptError(`trail event ${oid} of ${ref} is missing or unreadable (${(err as Error).message}); run ot trail verify`);
  }
}

/** Reads a chain from `tip` back to (excluding) `stop`, oldest first. */
async function readChain(repo: Repo, ref: string, tip: string, stop: string | null): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let oid: string | undefined = tip;
  while (oid && oid !== stop) {
    const c = await readEventCommit(repo, oid, ref);
    out.push({ commit: oid, event: await parseEventMessage(c.message, oid) });
    oid = c.parents[0];
  }
  if (stop && oid !== stop) return [];
  return out.reverse();
}

interface ChainCache {
  tip: string;
  events: StoredEvent[];
  /** The file it was read from (none for one made to be written). */
  file?: EventsFile;
}

/**
 * The cache of a chain is its events (already validated: read from the chain, or just written) in
 * binary JSON, with a sum: a long trail loads without parsing its text or validating every event
 * again. A cache whose events do not check out is not used: the chain is read. The patches' lines
 * are kept apart, after the events, and read only when a patch's lines are (`stored-patch.ts`).
 */
const CACHE_MAGIC = 'OTEV';
const CACHE_FORMAT = 6;

/**
 * An events file, sealed (`sealed.ts`) over its head and value only: the value's length, the
 * lines' length, the lines' CRC-32 and how many lists they hold (32-bit little-endian); the value
 * (`head` with `events` added, its step ends' patches in their stored form); then, from the next
 * multiple of 4 bytes (so it stays aligned), the list of those patches' lines, under their own sum.
 * The value is read and checked when the file is; the lines when first asked for, through the same
 * open file (a file written again meanwhile is a new file: it does not change them). The value
 * starts at EVENTS_HEAD, after the seal's bytes and the four integers.
 */
const SEAL = SEALED_HEAD;
const EVENTS_HEAD = SEAL + 16;

function encodeEventsFile(magic: string, head: Record<string, unknown>, events: StoredEvent[]): Buffer {
  const lines: string[][] = [];
  const stored = events.map((e) =>
    e.event.type === 'step_end' ? { commit: e.commit, event: { ...e.event, patches: e.event.patches.map((p) => storedForm(p, lines)) } } : e,
  );
  const value = encodeBinaryJson({ ...head, events: stored });
  const list = encodeBinaryJson(lines);
  const at = linesAt(value.length) - SEAL;
  return sealInPlace(
    magic,
    at + list.length,
    (body) => {
      body.writeUInt32LE(value.length, 0);
      body.writeUInt32LE(list.length, 4);
      body.writeUInt32LE(crc32(list), 8);
      body.writeUInt32LE(lines.length, 12);
      value.copy(body, EVENTS_HEAD - SEAL);
      list.copy(body, at);
    },
    EVENTS_HEAD - SEAL + value.length,
  );
}

/** Where an events file's lines start, after a value of `n` bytes. */
const linesAt = (n: number) => align4(EVENTS_HEAD + n);

/**
 * An events file opened (`openEventsFile`): its head and value checked against the seal, the value
 * decoded when first asked for. The fold cache (`fold-file.ts`) keeps the places of its patches and
 * anchors in it and makes those again from here, without decoding the rest.
 */
export interface EventsFile {
  /** Its path. */
  readonly path: string;
  /** The seal's sum (over its head and value) and the file's size: another file has other ones. */
  readonly sum: number;
  readonly size: number;
  /** The stream its stored patches and anchors read (`StoredPatch.streamOf`). */
  readonly records: RecordStream;
  /** The value; null when it does not decode (the first call decodes it; the same value after). */
  value(): Record<string, unknown> | null;
  /** The patch or anchor at a place of its stream; throws when there is none there. */
  recordAt(at: number): unknown;
}

/** An events file opened by its name alone: a chain cache's tail, or the cache, as its name says. */
export function openEventsFileAt(file: string): EventsFile | null {
  return openEventsFile(file, file.endsWith(TAIL_SUFFIX) ? TAIL_MAGIC : CACHE_MAGIC);
}

/** An events file (`encodeEventsFile`) of `magic`, opened; null when absent, unreadable or not one whose seal checks out. */
function openEventsFile(file: string, magic: string): EventsFile | null {
  const fd = openToRead(file);
  if (fd === null) return null;
  // Kept open while the lines are unread.
  let keep = false;
  try {
    // The value's length is checked against the file's size before that many bytes are read; the
    // rest of the head, by the seal.
    const n = readAt(fd, EVENTS_HEAD, 0).readUInt32LE(SEAL);
    const size = fs.fstatSync(fd).size;
    if (n > size - EVENTS_HEAD) return null;
    const sealed = readAt(fd, EVENTS_HEAD + n, 0);
    const body = unseal(magic, sealed);
    if (!body) return null;
    const [linesLength, linesSum, count] = [body.readUInt32LE(4), body.readUInt32LE(8), body.readUInt32LE(12)];
    if (linesAt(n) + linesLength !== size) return null;
    const lines: LineSource = new LineSource(count, () => readLines(fd, file, linesAt(n), linesLength, linesSum, lines));
    const patches = storedPatchMaker(lines);
    const opened = openBinaryJson(body.subarray(EVENTS_HEAD - SEAL), (keys, stream) => patches(keys, stream) ?? storedAnchorMaker(keys, stream));
    if (lines.count > 0) {
      // The file stays open until the lines are read, or the patches go.
      keepOpenWith(lines, fd);
      keep = true;
    }
    let value: Record<string, unknown> | null | undefined;
    return {
      path: file,
      sum: sealed.readUInt32LE(4),
      size,
      records: opened.records!,
      value() {
        if (value === undefined) {
          try {
            const v = opened.decode();
            value = v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : null;
          } catch {
            value = null;
          }
        }
        return value;
      },
      recordAt: opened.recordAt,
    };
  } catch {
    return null;
  } finally {
    if (!keep) fs.closeSync(fd);
  }
}

/**
 * The lines of an events file, read from its open file: checked against their sum and their layout,
 * the file closed after. Lines that do not check out (the file was damaged since it was read) are an
 * error that names the file, and the file goes: the next command reads the chain.
 */
function readLines(fd: number, file: string, position: number, length: number, sum: number, owner: LineSource): StringLists {
  try {
    const bytes = readAt(fd, length, position);
    if (crc32(bytes) !== sum) throw new Error('its sum does not match');
    return openStringLists(bytes);
  } catch (err) {
    fs.rmSync(file, { force: true });
    throw corruptError(`the trail's cache file ${file} is damaged (the patches' lines: ${(err as Error).message}); it was removed, and the next command reads the trail from its refs: run this one again`);
  } finally {
    closeHeld(owner, fd);
  }
}

/** The cache's bytes for a chain (exported for the round-trip test). */
export function encodeChainCache(c: ChainCache): Buffer {
  return encodeEventsFile(CACHE_MAGIC, { v: CACHE_FORMAT, tip: c.tip }, c.events);
}

/** Reads a chain cache; null when absent or unusable (exported for the round-trip test). */
export function loadChainCache(file: string): ChainCache | null {
  const opened = openEventsFile(file, CACHE_MAGIC);
  const raw = opened?.value();
  if (!raw || raw.v !== CACHE_FORMAT || typeof raw.tip !== 'string' || !Array.isArray(raw.events)) return null;
  const events = raw.events as StoredEvent[];
  return numberedFrom(events, 0) ? { tip: raw.tip, events, file: opened! } : null;
}

/** Whether each event's number is its place in the chain, the first being `first`: anything else is not a cache of the chain. */
function numberedFrom(events: StoredEvent[], first: number): boolean {
  return events.every((e, i) => e?.event?.seq === first + i);
}

/**
 * Events appended after a chain cache's tip, kept in a file of their own while they are few: a long
 * trace's cache (megabytes) is not encoded and written again for every event a step or a hook
 * appends. `base` is the tip of the cache it continues; a tail of another base is not used.
 */
interface ChainTail {
  base: string;
  tip: string;
  events: StoredEvent[];
  /** The file it was read from (none for one made to be written). */
  file?: EventsFile;
}
const TAIL_MAGIC = 'OTET';
/** Events kept in a tail before the whole cache is written again. */
export const TAIL_EVENTS = 64;

/** The tail's bytes (exported for the test). */
export function encodeChainTail(t: ChainTail): Buffer {
  return encodeEventsFile(TAIL_MAGIC, { v: CACHE_FORMAT, base: t.base, tip: t.tip }, t.events);
}

/** The events of a tail file that continues `base`; null when absent, unusable or of another base. */
export function loadChainTail(file: string, base: ChainCache): ChainTail | null {
  const opened = openEventsFile(file, TAIL_MAGIC);
  const raw = opened?.value();
  if (!raw || raw.v !== CACHE_FORMAT || raw.base !== base.tip || typeof raw.tip !== 'string' || !Array.isArray(raw.events) || raw.events.length === 0) return null;
  const events = raw.events as StoredEvent[];
  return numberedFrom(events, base.events.length) && events.at(-1)!.commit === raw.tip ? { base: base.tip, tip: raw.tip, events, file: opened! } : null;
}

/**
 * The cache file of a ref. The name carries the format, so an older `ot` (a hook of another
 * install) never reads this one as its own; files of the older formats go when this is written.
 */
function cacheFile(repo: Repo, ref: string, suffix = `.v${CACHE_FORMAT}.bin`): string {
  return path.join(otDataDir(repo), 'events', `${createHash('sha1').update(ref).digest('hex')}${suffix}`);
}

const TAIL_SUFFIX = `.v${CACHE_FORMAT}.tail.bin`;

function olderCacheFiles(repo: Repo, ref: string): string[] {
  return ['.json', '.v2.json', '.v3.bin', '.v4.bin', '.v4.tail.bin', '.v5.bin', '.v5.tail.bin'].map((suffix) => cacheFile(repo, ref, suffix));
}

/**
 * Events of one trace ref, oldest first. A derived cache keyed by the ref's tip avoids re-reading
 * the chain; after an append only the new commits are read. The chain is always the truth.
 * `knownTip`: the ref's tip, when the caller has just resolved it.
 */
export async function readTraceEvents(repo: Repo, ref: string, knownTip?: string | null): Promise<StoredEvent[]> {
  return (await readTrace(repo, ref, knownTip)).events;
}

/** A trace's events, and the cache files they were all read from, in order (null when some came from the chain). */
interface TraceEvents {
  events: StoredEvent[];
  files: EventsFile[] | null;
}

async function readTrace(repo: Repo, ref: string, knownTip?: string | null): Promise<TraceEvents> {
  const tip = knownTip === undefined ? await resolveRef(repo, ref) : knownTip;
  if (!tip) return { events: [], files: [] };
  const file = cacheFile(repo, ref);
  const tailFile = cacheFile(repo, ref, TAIL_SUFFIX);
  const cached = loadChainCache(file);
  if (cached && cached.tip === tip) return { events: cached.events, files: [cached.file!] };
  const tail = cached && loadChainTail(tailFile, cached);
  if (tail && tail.tip === tip) return { events: [...cached.events, ...tail.events], files: [cached.file!, tail.file!] };
  const known = tail ? { tip: tail.tip, events: [...cached.events, ...tail.events] } : cached;
  let events: StoredEvent[] | null = null;
  if (known) {
    const fresh = await readChain(repo, ref, tip, known.tip);
    // An empty result means the cached tip is not on the chain (gc rewrote it): read it all.
    if (fresh.length > 0 && fresh[0]!.event.seq === known.events.length) events = [...known.events, ...fresh];
  }
  // The events after the cache's tip go to its tail while they are few; else all is written anew.
  const base = events && cached && events.length - cached.events.length <= TAIL_EVENTS ? cached : null;
  events ??= await readChain(repo, ref, tip, null);
  try {
    if (base) await atomicWriteFile(tailFile, encodeChainTail({ base: base.tip, tip, events: events.slice(base.events.length) }));
    else {
      await atomicWriteFile(file, encodeChainCache({ tip, events }));
      fs.rmSync(tailFile, { force: true });
    }
    for (const f of olderCacheFiles(repo, ref)) fs.rmSync(f, { force: true });
  } catch {
    /* the cache is optional */
  }
  return { events, files: null };
}

export async function listTraceRefs(repo: Repo): Promise<string[]> {
  return listRefs(repo, TRACE_REF_PREFIX);
}

/**
 * Every event of every trace (each trace's events in order), and a name for them all: the SHA-1 of each trace ref with its tip. A chain's tip
 * names every event of it (each commit names its parent), so the same name means the same events.
 */
export async function readAllEventsNamed(repo: Repo): Promise<{ events: StoredEvent[]; name: string; files: EventsFile[] | null }> {
  const { events, tips, files } = await readIndexedEvents(repo);
  return { events, name: trailName(tips), files };
}

/** The name of the events of trace refs at these tips (`readAllEventsNamed`). */
function trailName(tips: [ref: string, tip: string][]): string {
  return createHash('sha1').update(tips.map(([ref, tip]) => `${ref} ${tip}\n`).join('')).digest('hex');
}

/** The name `readAllEventsNamed` would give the trail now, read from the refs alone. */
export async function currentTrailName(repo: Repo): Promise<string> {
  return trailName((await refTips(repo, TRACE_REF_PREFIX)).map(([ref, tip]) => [ref, tip ?? '']));
}

/**
 * The step windows of each trace, as much as capture needs to rule a trace out: the latest step end
 * (ms since the epoch) at the ref's tip, in `events/windows.v2.bin`. Derived data: an entry counts
 * only while its tip is the ref's, and a lost or stale file means reading the traces, never a wrong
 * answer. It changes with every event appended, so it is sealed and written in place
 * (`overwriteFileSync`): a file made anew and renamed over the old cost 1-5 ms a write on ext4.
 */
interface WindowIndex {
  v: number;
  refs: Record<string, [tip: string, lastEnd: number | null]>;
}
const WINDOWS_VERSION = 2;
const WINDOWS_MAGIC = 'OTWI';

function windowIndexFile(repo: Repo, name = `windows.v${WINDOWS_VERSION}.bin`): string {
  return path.join(otDataDir(repo), 'events', name);
}

function loadWindowIndex(repo: Repo): WindowIndex {
  const raw = readSealedValue(windowIndexFile(repo), WINDOWS_MAGIC) as WindowIndex | null;
  if (raw?.v === WINDOWS_VERSION && raw.refs && typeof raw.refs === 'object' && !Array.isArray(raw.refs)) return raw;
  return { v: WINDOWS_VERSION, refs: {} };
}

function saveWindowIndex(repo: Repo, index: WindowIndex): void {
  try {
    overwriteFileSync(windowIndexFile(repo), sealValue(WINDOWS_MAGIC, index));
    // The first format's file, left by an older install.
    fs.rmSync(windowIndexFile(repo, 'windows.json'), { force: true });
  } catch {
    /* the index is optional */
  }
}

/** Records a ref's windows from its events (read at its tip); whether the entry changed. */
function noteWindows(index: WindowIndex, ref: string, events: StoredEvent[]): boolean {
  const tip = events.length ? events[events.length - 1]!.commit : null;
  if (!tip) return false;
  const old = index.refs[ref];
  // Keyed by the tip: the same tip, the same events.
  if (old && old[0] === tip) return false;
  let lastEnd: number | null = null;
  for (const { event } of events) if (event.type === 'step_end') lastEnd = Math.max(lastEnd ?? -Infinity, Date.parse(event.at));
  index.refs[ref] = [tip, lastEnd];
  return true;
}

/**
 * Events of the traces that may hold a step ended after `since` (ms since the epoch): those whose
 * latest step end is later, or not known at their current tip. The others are not read, so closing
 * a step costs the traces active around it, not every trace ever recorded. `have`: events of one
 * trace the caller already read, used while they are still its tip's.
 */
export async function readEventsOfStepsEndedAfter(repo: Repo, since: number, have?: { ref: string; events: StoredEvent[] }): Promise<StoredEvent[]> {
  return (await readIndexedEvents(repo, (tip, known) => !(known && known[0] === tip && (known[1] === null || known[1] <= since)), have)).events;
}

/**
 * The events of each trace ref that `wanted` (given its tip and its windows entry) keeps, all of
 * them without it; the windows index is brought up to date with what was read, and entries of
 * dropped traces (gc) go.
 */
async function readIndexedEvents(
  repo: Repo,
  wanted?: (tip: string | null, known: WindowIndex['refs'][string] | undefined) => boolean,
  have?: { ref: string; events: StoredEvent[] },
): Promise<{ events: StoredEvent[]; tips: [string, string][]; files: EventsFile[] | null }> {
  const out: StoredEvent[] = [];
  const tips: [string, string][] = [];
  // The cache files every event was read from, in order, while they all were.
  let files: EventsFile[] | null = [];
  const index = loadWindowIndex(repo);
  const traceTips = await refTips(repo, TRACE_REF_PREFIX);
  let changed = false;
  for (const [ref, tip] of traceTips) {
    if (wanted && !wanted(tip, index.refs[ref])) continue;
    const read = have?.ref === ref && have.events.at(-1)?.commit === tip ? { events: have.events, files: null } : await readTrace(repo, ref, tip);
    const events = read.events;
    files = files && read.files ? [...files, ...read.files] : null;
    changed = noteWindows(index, ref, events) || changed;
    // One by one: a spread of a long trace's events would pass each as an argument.
    for (const e of events) out.push(e);
    tips.push([ref, tip ?? '']);
  }
  const listed = new Set(traceTips.map(([ref]) => ref));
  for (const ref of Object.keys(index.refs)) {
    if (!listed.has(ref)) {
      delete index.refs[ref];
      changed = true;
    }
  }
  if (changed) saveWindowIndex(repo, index);
  return { events: out, tips, files };
}

/** Drops a trace's ref (gc). The caller decides what to drop; this only deletes under the lock. */
export async function deleteTraceRef(repo: Repo, ref: string): Promise<void> {
  const tip = await resolveRef(repo, ref);
  if (!tip) return;
  await compareAndSwapRef(repo, ref, tip, null);
  for (const f of [cacheFile(repo, ref), cacheFile(repo, ref, TAIL_SUFFIX), ...olderCacheFiles(repo, ref)]) fs.rmSync(f, { force: true });
}

/** Reads the chain without the cache, for verify: every commit parsed, every link checked. */
export async function readChainUncached(repo: Repo, ref: string): Promise<{ tip: string | null; chain: { commit: string; tree: string; parents: string[]; message: string }[] }> {
  const tip = await resolveRef(repo, ref);
  const chain: { commit: string; tree: string; parents: string[]; message: string }[] = [];
  let oid: string | undefined = tip ?? undefined;
  const seen = new Set<string>();
  while (oid && !seen.has(oid)) {
    seen.add(oid);
    const c = await readCommit(repo, oid);
    chain.push({ commit: oid, tree: c.tree, parents: c.parents, message: c.message });
    oid = c.parents[0];
  }
  return { tip, chain: chain.reverse() };
}
