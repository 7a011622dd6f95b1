import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Repo } from '../git/repo.js';
import { otDataDir } from '../git/repo.js';
import { ensureEmptyTree, readCommit, writeCommit, type Person } from '../git/objects.js';
import { compareAndSwapRef, listRefs, RefConflict, resolveRef } from '../git/refs.js';
import { atomicWriteFile } from '../git/fs.js';
import { z } from 'zod';
import { EVENT_VERSION, TrailEvent, type NewEvent } from '../model/events.js';
import { corruptError, OtError } from '../errors.js';

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
      seq = parseEventMessage(prev.message, tip).seq + 1;
      tree = prev.tree;
    } else {
      tree = await ensureEmptyTree(repo);
    }
    const parsed = TrailEvent.safeParse({ ...input, v: EVENT_VERSION, seq, traceId });
    if (!parsed.success) {
      throw new OtError(`refusing to record an invalid ${input.type} event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const event = parsed.data;
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

export function parseEventMessage(message: string, commit: string): TrailEvent {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    throw corruptError(`trail event ${commit} is not JSON`);
  }
  const parsed = TrailEvent.safeParse(json);
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
    out.push({ commit: oid, event: parseEventMessage(c.message, oid) });
    oid = c.parents[0];
  }
  if (stop && oid !== stop) return [];
  return out.reverse();
}

interface ChainCache {
  tip: string;
  events: StoredEvent[];
}

/** The cache is derived data, but what it returns is validated like the chain itself. */
const ChainCacheSchema = z.object({
  tip: z.string(),
  events: z.array(z.object({ commit: z.string().regex(/^[0-9a-f]{40}$/), event: TrailEvent })),
});

/**
 * The cache file is `{"sum":"<sha1 of the rest>",` followed by the rest of `{tip, events}`. Only we
 * write it, from events already validated; when the sum matches the text is what we wrote and is
 * parsed without validating every event again (the slow part of loading a long trail). A cache
 * that does not match (edited, truncated, older format) is validated in full, as before.
 */
const SUM_HEAD = '{"sum":"';
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

function encodeChainCache(c: ChainCache): string {
  const rest = JSON.stringify(c).slice(1);
  return `${SUM_HEAD}${sha1(rest)}",${rest}`;
}

function loadChainCache(file: string): (ChainCache & { summed: boolean }) | null {
  try {
    const text = fs.readFileSync(file, 'utf8');
    let data: ChainCache | null = null;
    let summed = false;
    const n = SUM_HEAD.length;
    if (text.startsWith(SUM_HEAD) && text.slice(n + 40, n + 42) === '",') {
      const rest = text.slice(n + 42);
      if (sha1(rest) === text.slice(n, n + 40)) {
        const raw = JSON.parse(`{${rest}`) as ChainCache;
        if (typeof raw.tip === 'string' && Array.isArray(raw.events)) {
          data = { tip: raw.tip, events: raw.events };
          summed = true;
        }
      }
    }
    if (!data) {
      const parsed = ChainCacheSchema.safeParse(JSON.parse(text));
      if (!parsed.success) return null;
      data = parsed.data;
    }
    // Each event's number is its place in the chain; anything else is not a cache of this chain.
    return data.events.every((e, i) => e.event.seq === i) ? { ...data, summed } : null;
  } catch {
    return null;
  }
}

function cacheFile(repo: Repo, ref: string): string {
  return path.join(otDataDir(repo), 'events', `${createHash('sha1').update(ref).digest('hex')}.json`);
}

/**
 * Events of one trace ref, oldest first. A derived cache keyed by the ref's tip avoids re-reading
 * the chain; after an append only the new commits are read. The chain is always the truth.
 */
export async function readTraceEvents(repo: Repo, ref: string): Promise<StoredEvent[]> {
  const tip = await resolveRef(repo, ref);
  if (!tip) return [];
  const file = cacheFile(repo, ref);
  const cached = loadChainCache(file);
  if (cached && cached.tip === tip) {
    // A cache in the older format (or a validated edit) is written again with its sum, once.
    if (!cached.summed) await atomicWriteFile(file, encodeChainCache({ tip, events: cached.events })).catch(() => {});
    return cached.events;
  }
  let events: StoredEvent[] | null = null;
  if (cached) {
    const fresh = await readChain(repo, ref, tip, cached.tip);
    // An empty result means the cached tip is not on the chain (gc rewrote it): read it all.
    if (fresh.length > 0 && fresh[0]!.event.seq === cached.events.length) events = [...cached.events, ...fresh];
  }
  events ??= await readChain(repo, ref, tip, null);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await atomicWriteFile(file, encodeChainCache({ tip, events }));
  } catch {
    /* the cache is optional */
  }
  return events;
}

export async function listTraceRefs(repo: Repo): Promise<string[]> {
  return listRefs(repo, TRACE_REF_PREFIX);
}

/** Every event of every trace, each trace's events in order. */
export async function readAllEvents(repo: Repo): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (const ref of await listTraceRefs(repo)) out.push(...(await readTraceEvents(repo, ref)));
  return out;
}

/** Drops a trace's ref (gc). The caller decides what to drop; this only deletes under the lock. */
export async function deleteTraceRef(repo: Repo, ref: string): Promise<void> {
  const tip = await resolveRef(repo, ref);
  if (!tip) return;
  await compareAndSwapRef(repo, ref, tip, null);
  fs.rmSync(cacheFile(repo, ref), { force: true });
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
