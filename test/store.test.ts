import { describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { events, scenario, tempDir, trail } from './helpers.js';
import { appendEvent, encodeChainCache, encodeChainTail, loadChainCache, loadChainTail, readAllEventsNamed, readEventsOfStepsEndedAfter, TAIL_EVENTS, TRACE_REF_PREFIX, type StoredEvent } from '../src/store/log.js';
import { verifyStore } from '../src/store/maintenance.js';
import { allAnchors, foldTrail, orderedIndexOf, orderedPatches, orderedSteps, recordedAnchors, stepOf, type Trail } from '../src/store/trail.js';
import { foldFile, loadFold } from '../src/store/fold-file.js';
import { addedCount, plainPatch, removedCount, StoredPatch, withUnattributed } from '../src/store/stored-patch.js';
import { StoredAnchor } from '../src/store/stored-anchor.js';
import { IdIndex } from '../src/store/id-index.js';
import type { Anchor, Patch, TrailEvent } from '../src/model/events.js';
import { AnchorKey } from '../src/survival/cache.js';
import { crc32, crc32Portable, seal, unseal } from '../src/store/sealed.js';
import { decodeBinaryJson, encodeBinaryJson, openStringLists } from '../src/store/binary-json.js';
import { OtError } from '../src/errors.js';
import { refTips, resolveRef } from '../src/git/refs.js';
import type { Scenario } from '../fixtures/scenario.js';
import { rng } from '../fixtures/histories.js';

async function recorded(): Promise<Scenario> {
  const s = scenario();
  s.write('app.ts', 'export const a = 1;\n');
  await s.commit('base');
  await s.turn('t1', 'make a bigger');
  await s.agentStep({ trace: 't1', step: 's1' }, () => s.replace('app.ts', 'a = 1', 'a = 2'));
  await s.agentStep({ trace: 't1', step: 's2' }, () => s.write('notes.md', 'unique snapshot-only content 8d1f\n'));
  await s.commit('agent work');
  return s;
}

/** A value as its JSON has it: a patch read from a cache holds its lines behind getters, as `toEqual` does not see. */
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** Where an events cache file's events start (after its head: name, sum, lengths, lines' sum and count). */
const EVENTS_AT = 24;

/** The first event of `type` in `evs`, with its commit, narrowed to that type. */
function firstOf<K extends TrailEvent['type']>(evs: StoredEvent[], type: K): { commit: string; event: Extract<TrailEvent, { type: K }> } {
  const e = evs.find((x) => x.event.type === type);
  if (!e) throw new Error(`no ${type} event in the trail`);
  return e as { commit: string; event: Extract<TrailEvent, { type: K }> };
}

/**
 * A chain cache of one event, written to a file of its own and read back (a cache file is replaced
 * by a rename, never written over: a stored patch reads its lines from the file it came from).
 */
function cachedAlone(event: StoredEvent): ReturnType<typeof loadChainCache> {
  const file = path.join(tempDir('ot-chain-'), 'cache.bin');
  fs.writeFileSync(file, encodeChainCache({ tip: 'f'.repeat(40), events: [event] }));
  return loadChainCache(file);
}

const otRefs = (s: Scenario) => s.git('for-each-ref', '--format=%(refname) %(objectname)', 'refs/ot').trim();

describe('the event log', () => {
  it('validates every event before writing anything', async () => {
    const s = await recorded();
    const before = otRefs(s);
    const bad = appendEvent(await s.repo(), 't1', { type: 'step_start', at: 'yesterday', stepId: 'x', agent: null, tool: null, kind: 'write', intent: null, turnId: null, snapshotTree: 'not-an-oid', limitations: [] });
    await expect(bad).rejects.toThrow(OtError);
    await expect(bad).rejects.toThrow(/refusing to record an invalid step_start event: .*at.*snapshotTree: a 40-hex object id/s);
    expect(otRefs(s)).toBe(before);
  });

  it('is read back validated, also through its derived cache', async () => {
    const s = await recorded();
    const evs = await events(s, 't1');
    expect(evs.map((e) => e.event.type)).toEqual(['turn_start', 'step_start', 'step_end', 'step_start', 'step_end', 'anchor']);
    expect(evs.map((e) => e.event.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    // A tampered cache is not believed: the chain is the truth.
    const dir = path.join(s.dir, '.git', 'ot', 'events');
    // The cache, and the tail of the events appended after it.
    const caches = fs.readdirSync(dir).filter((f) => /^[0-9a-f]{40}\./.test(f));
    expect(caches.map((f) => f.slice(40)).sort()).toEqual(['.v6.bin', '.v6.tail.bin']);
    let kinds = 0;
    for (const f of caches) {
      // One event's kind changed in place (where a file has one), else a byte of its events: the sum no longer matches.
      const bytes = fs.readFileSync(path.join(dir, f));
      const at = bytes.indexOf('write');
      if (at > 0) {
        kinds++;
        bytes.write('wrote', at, 'latin1');
      } else bytes[EVENTS_AT] ^= 1;
      fs.writeFileSync(path.join(dir, f), bytes);
      if (f.endsWith('.v6.bin')) expect(loadChainCache(path.join(dir, f))).toBeNull();
    }
    expect(kinds).toBeGreaterThan(0);
    expect(plain((await events(s, 't1')).map((e) => e.event))).toEqual(plain(evs.map((e) => e.event)));
  });

  it('a long trace\'s cache is not written again for each new event: new events go to a tail until there are many', async () => {
    const s = await recorded();
    const repo = await s.repo();
    const dir = path.join(s.dir, '.git', 'ot', 'events');
    const read = () => events(s, 't1');
    const files = () => fs.readdirSync(dir).filter((f) => /^[0-9a-f]{40}\./.test(f)).sort();
    const bytesOf = (suffix: string) => fs.readFileSync(path.join(dir, files().find((f) => f.endsWith(suffix))!));
    // From the chain alone (no cache files), for comparison.
    const uncached = async () => {
      const keep = tempDir('ot-keep-');
      for (const f of files()) fs.renameSync(path.join(dir, f), path.join(keep, f));
      const out = await read();
      for (const f of files()) fs.rmSync(path.join(dir, f));
      for (const f of fs.readdirSync(keep)) fs.renameSync(path.join(keep, f), path.join(dir, f));
      return out;
    };
    await read();
    const base = bytesOf('.v6.bin');
    const turn = (i: number) => appendEvent(repo, 't1', { type: 'turn_start', at: new Date(Date.UTC(2026, 0, 2, 0, i)).toISOString(), turnId: `turn-${i}`, intent: `turn ${i}`, agent: 'claude-code' });
    for (let i = 0; i < 3; i++) {
      await turn(i);
      const evs = await read();
      expect(evs.at(-1)!.event).toMatchObject({ type: 'turn_start', turnId: `turn-${i}` });
      expect(plain(evs)).toEqual(plain(await uncached()));
      // The cache itself is the same file, byte for byte; the tail holds what came after it.
      expect(bytesOf('.v6.bin').equals(base)).toBe(true);
      expect(files().some((f) => f.endsWith('.tail.bin'))).toBe(true);
    }
    // A damaged tail is not used: the events after the cache are read from the chain again.
    const tailFile = path.join(dir, files().find((f) => f.endsWith('.tail.bin'))!);
    const tail = fs.readFileSync(tailFile);
    tail[EVENTS_AT] ^= 1;
    fs.writeFileSync(tailFile, tail);
    expect(plain(await read())).toEqual(plain(await uncached()));
    // The ref moved back into the tail (the tail's tip is then not on the chain): the chain's events.
    const ref = `${TRACE_REF_PREFIX}/t1`;
    const tipNow = s.git('rev-parse', ref).trim();
    s.git('update-ref', ref, `${tipNow}~1`);
    const back = await read();
    expect(plain(back)).toEqual(plain(await uncached()));
    expect(back.at(-1)!.commit).toBe(s.git('rev-parse', ref).trim());
    s.git('update-ref', ref, tipNow);
    expect(plain(await read())).toEqual(plain(await uncached()));
    // Past TAIL_EVENTS new events, the whole cache is written again and the tail goes.
    for (let i = 3; i < TAIL_EVENTS + 4; i++) await turn(i);
    const all = await read();
    expect(plain(all)).toEqual(plain(await uncached()));
    expect(bytesOf('.v6.bin').equals(base)).toBe(false);
    expect(files().some((f) => f.endsWith('.tail.bin'))).toBe(false);
    expect(plain(loadChainCache(path.join(dir, files()[0]!))!.events)).toEqual(plain(all));
    // A tail continues one cache: the events after its tip, the last at the tail's tip.
    const head = { tip: all[9]!.commit, events: all.slice(0, 10) };
    const file = path.join(tempDir('ot-tail-'), 'tail.bin');
    const write = (t: { base: string; tip: string; events: StoredEvent[] }) => fs.writeFileSync(file, encodeChainTail(t));
    write({ base: head.tip, tip: all[12]!.commit, events: all.slice(10, 13) });
    expect(plain(loadChainTail(file, head)!.events)).toEqual(plain(all.slice(10, 13)));
    expect(loadChainTail(file, { tip: all[8]!.commit, events: all.slice(0, 10) })).toBeNull();
    write({ base: head.tip, tip: all[11]!.commit, events: all.slice(10, 13) });
    expect(loadChainTail(file, head)).toBeNull();
    write({ base: head.tip, tip: all[13]!.commit, events: all.slice(11, 14) });
    expect(loadChainTail(file, head)).toBeNull();
  });
  it('reads a cache\'s lines only when a patch\'s are asked for; lines that do not check out then are an error naming the file, which goes', async () => {
    const s = await recorded();
    const evs = await events(s, 't1');
    const bytes = encodeChainCache({ tip: 'f'.repeat(40), events: evs });
    const file = path.join(tempDir('ot-chain-'), 'cache.bin');
    const patchesOf = (c: { events: StoredEvent[] }) => c.events.flatMap((e) => (e.event.type === 'step_end' ? e.event.patches : []));
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    fs.writeFileSync(file, bytes);
    // The file stays open while its lines are unread, and is closed once they are.
    const before = fds();
    const good = loadChainCache(file)!;
    expect(fds()).toBe(before + 1);
    expect(plain(good.events)).toEqual(plain(evs));
    expect(fds()).toBe(before);
    // The lines follow the events (from the next multiple of 4 past the head and the events, whose
    // length is at byte 8; the lines' sum at byte 16, under the sum at byte 4): damage them, then
    // their layout with both sums made again (as only a bug could). The events still read, and so
    // do the counts.
    const linesAt = (EVENTS_AT + bytes.readUInt32LE(8) + 3) & ~3;
    const damaged = Buffer.from(bytes);
    damaged[linesAt + 30] ^= 1;
    const relaid = Buffer.from(bytes);
    relaid.writeInt32LE(relaid.readInt32LE(linesAt) ^ 1, linesAt);
    relaid.writeUInt32LE(crc32(relaid.subarray(linesAt)), 16);
    relaid.writeUInt32LE(crc32(relaid.subarray(8, EVENTS_AT + bytes.readUInt32LE(8))), 4);
    for (const [what, b] of [['sum', damaged], ['layout', relaid]] as const) {
      fs.writeFileSync(file, b);
      const c = loadChainCache(file)!;
      expect(c.events.map((e) => e.event.type)).toEqual(evs.map((e) => e.event.type));
      const ps = patchesOf(c);
      expect(ps.map((p) => [removedCount(p), addedCount(p)])).toEqual(patchesOf({ events: evs }).map((p) => [p.removed.length, p.added.length]));
      let err: unknown = null;
      try {
        void ps[0]!.added;
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(OtError);
      expect((err as OtError).exitCode).toBe(3);
      expect((err as OtError).message).toContain(file);
      expect(fs.existsSync(file)).toBe(false);
      // Every later read says the same; the file is closed.
      expect(() => ps.at(-1)!.removed).toThrow(file);
      expect(fds()).toBe(before);
    }
    // Nor is a length past the end used, or a file cut short.
    const past = Buffer.from(bytes);
    past.writeUInt32LE(bytes.length, 8);
    fs.writeFileSync(file, past);
    expect(loadChainCache(file)).toBeNull();
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 4));
    expect(loadChainCache(file)).toBeNull();
    expect(fds()).toBe(before);
    // Through the store: the damaged cache goes, and the next read is the chain's, lines and all.
    const cache = path.join(s.dir, '.git', 'ot', 'events');
    const withLines = fs.readdirSync(cache).filter((f) => f.endsWith('.bin') && fs.readFileSync(path.join(cache, f)).readUInt32LE(12) > 0);
    expect(withLines.length).toBeGreaterThan(0);
    for (const f of withLines) {
      const onDisk = fs.readFileSync(path.join(cache, f));
      onDisk[onDisk.length - 1] ^= 1;
      fs.writeFileSync(path.join(cache, f), onDisk);
    }
    const read = await events(s, 't1');
    expect(() => plain(read)).toThrow(/damaged/);
    expect(plain(await events(s, 't1'))).toEqual(plain(evs));
  });

  it('keeps patches and anchors exactly through the packed cache, odd ones included', async () => {
    const s = await recorded();
    const evs = await events(s, 't1');
    const end = firstOf(evs, 'step_end');
    const anchor = firstOf(evs, 'anchor');
    const p = plainPatch(end.event.patches[0]!);
    const a = anchor.event.anchors[0]!;
    // Odd but valid: a patch of another trace and step, an unattributed one, one with no lines;
    // anchor lines with gaps, one line, none.
    const odd: StoredEvent[] = [
      ...evs,
      { commit: end.commit, event: { ...end.event, seq: evs.length, patches: [{ ...p, traceId: 'other', stepId: 'elsewhere' }, { ...p, unattributed: 'overlapping windows' }, { ...p, added: [], removed: ['', ' x'] }] } },
      { commit: anchor.commit, event: { ...anchor.event, seq: evs.length + 1, anchors: [{ ...a, lines: [1, 2, 3, 7, 9, 10] }, { ...a, lines: [4] }, { ...a, lines: [] }] } },
    ];
    const file = path.join(tempDir('ot-chain-'), 'cache.bin');
    const bytes = encodeChainCache({ tip: 'f'.repeat(40), events: odd });
    fs.writeFileSync(file, bytes);
    const back = loadChainCache(file)!;
    expect(back.tip).toBe('f'.repeat(40));
    expect(plain(back.events)).toEqual(plain(odd));
    // Patches come back as stored patches, whose lines are read on demand, and copy back to the plain patch.
    const last = back.events.at(-2)!.event;
    if (last.type !== 'step_end') throw new Error('unexpected trail');
    expect(last.patches.every((x) => x instanceof StoredPatch)).toBe(true);
    expect(last.patches.map((x) => [x.removed, x.added])).toEqual([[p.removed, p.added], [p.removed, p.added], [['', ' x'], []]]);
    expect(last.patches.map(plainPatch)).toEqual([{ ...p, traceId: 'other', stepId: 'elsewhere' }, { ...p, unattributed: 'overlapping windows' }, { ...p, added: [], removed: ['', ' x'] }]);
    // Counted from the lines the file holds, not from the hunk's fields (without decoding them).
    expect(last.patches.map((x) => [removedCount(x), addedCount(x)])).toEqual([[p.removed.length, p.added.length], [p.removed.length, p.added.length], [2, 0]]);
    // Marked unattributed, a stored patch stays one, with the same lines.
    const marked = withUnattributed(last.patches[0]!, 'why');
    expect(marked).toBeInstanceOf(StoredPatch);
    expect(plain(marked)).toEqual({ ...p, traceId: 'other', stepId: 'elsewhere', unattributed: 'why' });
    // Byte for byte: keys come back in their order, so JSON outputs do not change.
    expect(JSON.stringify(back.events)).toBe(JSON.stringify(odd));
    // One changed byte and the cache is not used; nor is a truncated one.
    const at = bytes.indexOf('overlapping windows');
    expect(at).toBeGreaterThan(0);
    const changed = Buffer.from(bytes);
    changed.write('z', at + 'overlapping window'.length, 'latin1');
    fs.writeFileSync(file, changed);
    expect(loadChainCache(file)).toBeNull();
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 1));
    expect(loadChainCache(file)).toBeNull();
  });

  it('reads a cached patch\'s fields in place, and refuses at load a file whose patch fields are not of their kinds', async () => {
    const s = await recorded();
    const evs = await events(s, 't1');
    const end = firstOf(evs, 'step_end');
    const p = plainPatch(end.event.patches[0]!);
    const load = (patch: Record<string, unknown>) => cachedAlone({ commit: end.commit, event: { ...end.event, seq: 0, patches: [patch as never] } });
    // Every field, nulls and a renamed file's old path included, read back from the stream.
    const renamed = { ...p, oldPath: 'old.ts', change: 'renamed', beforeBlob: null, binary: true, oldStart: 0, newStart: 70000 };
    const back = load(renamed)!.events[0]!.event;
    if (back.type !== 'step_end') throw new Error('unexpected trail');
    const q = back.patches[0]!;
    expect(q).toBeInstanceOf(StoredPatch);
    expect([q.patchId, q.traceId, q.stepId, q.path, q.oldPath, q.change, q.binary, q.beforeBlob, q.afterBlob, q.oldStart, q.oldLines, q.newStart, q.newLines]).toEqual([p.patchId, p.traceId, p.stepId, p.path, 'old.ts', 'renamed', true, null, p.afterBlob, 0, p.oldLines, 70000, p.newLines]);
    // A field of another kind than the schema's, or a number past 32-bit integers: the file is not used.
    expect(load({ ...p, oldStart: '3' })).toBeNull();
    expect(load({ ...p, newStart: 1.5 })).toBeNull();
    expect(load({ ...p, newLines: 2 ** 40 })).toBeNull();
    expect(load({ ...p, binary: 'no' })).toBeNull();
    expect(load({ ...p, path: null })).toBeNull();
    expect(load({ ...p, afterBlob: 7 })).toBeNull();
    expect(load({ ...p, unattributed: null })).toBeNull();
    // A shape that is not a stored patch's (a key missing) is decoded as a plain object, as before.
    const { stepId: _, ...noStep } = p;
    const other = load(noStep)!.events[0]!.event;
    if (other.type !== 'step_end') throw new Error('unexpected trail');
    expect(other.patches[0]).not.toBeInstanceOf(StoredPatch);
    // Compared in tests (test/setup.ts), a stored patch is the plain patch it stores, no other.
    expect(q).toEqual(renamed);
    expect(q).not.toEqual({ ...renamed, newStart: 70001 });
    const first = load(p)!.events[0]!.event;
    if (first.type !== 'step_end') throw new Error('unexpected trail');
    expect(first.patches[0]).not.toEqual(q);
  });

  it('reads a cached anchor\'s fields in place, and refuses at load a file whose anchor fields are not of their kinds', async () => {
    const s = await recorded();
    const evs = await events(s, 't1');
    const anchored = firstOf(evs, 'anchor');
    const a = plain(anchored.event.anchors[0]!);
    const load = (...anchors: Record<string, unknown>[]) => {
      const back = cachedAlone({ commit: anchored.commit, event: { ...anchored.event, seq: 0, anchors: anchors as never[] } });
      return back && (back.events[0]!.event as { anchors: Anchor[] }).anchors;
    };
    const fuzzy = { ...a, firmness: 'fuzzy', lines: [3, 4, 9], addedIndex: [0, 2, 3] };
    const back = load(a, fuzzy, { ...a, lines: [] })!;
    expect(back.every((x) => x instanceof StoredAnchor)).toBe(true);
    expect(back.map((x) => [x.patchId, x.commit, x.firmness, x.path, x.lines, x.addedIndex])).toEqual([
      [a.patchId, a.commit, a.firmness, a.path, a.lines, undefined],
      [a.patchId, a.commit, 'fuzzy', a.path, [3, 4, 9], [0, 2, 3]],
      [a.patchId, a.commit, a.firmness, a.path, [], undefined],
    ]);
    // The same list on every read; the JSON of the anchor stored, keys in order.
    expect(back[1]!.lines).toBe(back[1]!.lines);
    expect(JSON.stringify(back)).toBe(JSON.stringify([a, fuzzy, { ...a, lines: [] }]));
    expect(back[1]).toEqual(fuzzy);
    expect(back[1]).not.toEqual({ ...fuzzy, lines: [3, 4, 10] });
    // Hashed for the survival cache's key in place (no list made), to the key of the plain anchors;
    // alike once their lists have been read (back's were, above). Every line and index counts.
    const key = (anchors: Anchor[]) => new AnchorKey(anchors.map((x) => ({ patchId: x.patchId }) as Patch), anchors, null, []).inside({ has: () => true });
    const fresh = load(a, fuzzy, { ...a, lines: [] })!;
    const plainKey = key([a, fuzzy, { ...a, lines: [] }] as Anchor[]);
    expect(key(fresh)).toBe(plainKey);
    expect(key(back)).toBe(plainKey);
    expect(key(load(a, { ...fuzzy, addedIndex: [0, 2, 4] }, { ...a, lines: [] })!)).not.toBe(plainKey);
    expect(key(load(a, { ...fuzzy, lines: [3, 4, 8] }, { ...a, lines: [] })!)).not.toBe(plainKey);
    // Kinds the schema refuses: the file is not used.
    expect(load({ ...a, lines: [0] })).toBeNull();
    expect(load({ ...a, lines: ['1'] })).toBeNull();
    expect(load({ ...a, lines: 1 })).toBeNull();
    expect(load({ ...fuzzy, addedIndex: [0, 1] })).toBeNull();
    expect(load({ ...fuzzy, addedIndex: [-1, 0, 1] })).toBeNull();
    expect(load({ ...a, commit: null })).toBeNull();
  });
});

describe('the seal of a cache file', () => {
  it('is zlib\'s CRC-32, computed alike where node has none; a changed or cut file is refused', () => {
    expect(crc32Portable(Buffer.from('123456789'))).toBe(0xcbf43926);
    const next = rng(7);
    for (const n of [0, 1, 3, 255, 256, 4097]) {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      expect(crc32Portable(b)).toBe(crc32(b));
      const sealed = seal('TEST', b);
      expect(unseal('TEST', sealed)).toEqual(b);
      expect(unseal('OTHR', sealed)).toBeNull();
      if (n > 0) {
        const bad = Buffer.from(sealed);
        bad[8 + (n >> 1)]! ^= 0x01;
        expect(unseal('TEST', bad)).toBeNull();
        expect(unseal('TEST', sealed.subarray(0, sealed.length - 1))).toBeNull();
      }
    }
  });
});

describe('the fold of a trail', () => {
  it('lists each patch once per step, in the order first listed, whichever step listed it before', async () => {
    const s = await recorded();
    const evs = await events(s, 't1');
    const ends = evs.filter((e) => e.event.type === 'step_end');
    const [e1, e2] = ends.map((e) => (e.event.type === 'step_end' ? e.event : null)!);
    const p1 = e1!.patches[0]!;
    const p2 = e2!.patches[0]!;
    const fresh = (n: number) => ({ ...p1, patchId: n.toString(16).padStart(40, '0') });
    // A third step lists new patches twice each and a patch of the first step twice, among them.
    const start3 = evs.find((e) => e.event.type === 'step_start')!;
    const more: StoredEvent[] = [
      ...evs,
      { commit: start3.commit, event: { ...start3.event, seq: evs.length, stepId: 's3' } as StoredEvent['event'] },
      { commit: ends[0]!.commit, event: { ...e1!, seq: evs.length + 1, stepId: 's3', patches: [fresh(1), fresh(1), p1, fresh(2), p1, fresh(2), fresh(3)] } },
    ];
    // Without the third step no patch is listed twice: the order is the steps' lists, one after the other.
    expect(orderedPatches(foldTrail(evs)).map((p) => p.patchId)).toEqual([...e1!.patches.map((p) => p.patchId), p2.patchId]);
    const trail = foldTrail(more);
    const steps = trail.traces.get('t1')!.steps;
    expect(steps.map((x) => x.stepId)).toEqual(['s1', 's2', 's3']);
    expect(steps[0]!.patchIds).toEqual(e1!.patches.map((p) => p.patchId));
    expect(steps[1]!.patchIds).toEqual([p2.patchId]);
    expect(steps[2]!.patchIds).toEqual([fresh(1).patchId, p1.patchId, fresh(2).patchId, fresh(3).patchId]);
    // The patch first listed by s1 stays s1's in the trail's order, and is not counted twice.
    expect(orderedPatches(trail).map((p) => p.patchId)).toEqual([...e1!.patches.map((p) => p.patchId), p2.patchId, fresh(1).patchId, fresh(2).patchId, fresh(3).patchId]);
    // By id: its index in that order, and the last step that lists it.
    const indexOf = orderedIndexOf(trail);
    expect(orderedPatches(trail).map((p) => indexOf(p.patchId))).toEqual(orderedPatches(trail).map((_, i) => i));
    expect(indexOf('f'.repeat(40))).toBeUndefined();
    expect([p1, p2, fresh(2)].map((p) => stepOf(trail, p)?.stepId)).toEqual(['s3', 's2', 's3']);
    expect(stepOf(trail, { patchId: 'f'.repeat(40) })).toBeUndefined();
    // In the trail's order, without a lookup by id: the same steps.
    expect(orderedSteps(trail).map((x) => x?.stepId)).toEqual(orderedPatches(trail).map((p) => stepOf(trail, p)?.stepId));
    expect(orderedSteps(trail).map((x) => x?.stepId)).toEqual([...e1!.patches.map((p) => (p.patchId === p1.patchId ? 's3' : 's1')), 's2', 's3', 's3', 's3']);
  });

  it('a step started again while open replaces its window; an id used again after its end is a new step; an end ends the last step of its id', async () => {
    const s = await recorded();
    const evs = await events(s, 't1');
    const start = firstOf(evs, 'step_start');
    const end = firstOf(evs, 'step_end');
    let seq = 0;
    const starts = (stepId: string, at: string): StoredEvent => ({ commit: start.commit, event: { ...start.event, seq: seq++, stepId, at } });
    const ends = (stepId: string, at: string, n: number): StoredEvent => ({ commit: end.commit, event: { ...end.event, seq: seq++, stepId, at, patches: end.event.patches.slice(0, n) } });
    const trail = foldTrail([
      starts('a', '2030-01-01T00:00:01.000Z'),
      starts('b', '2030-01-01T00:00:02.000Z'),
      // a again while open: its window starts over, in its place.
      starts('a', '2030-01-01T00:00:03.000Z'),
      ends('a', '2030-01-01T00:00:04.000Z', 1),
      // a once more, after its end: a step of its own, which the next end of a ends.
      starts('a', '2030-01-01T00:00:05.000Z'),
      ends('a', '2030-01-01T00:00:06.000Z', 0),
      ends('b', '2030-01-01T00:00:07.000Z', 0),
      // An end of an id never started ends nothing.
      ends('c', '2030-01-01T00:00:08.000Z', 1),
    ]);
    const steps = trail.traces.get('t1')!.steps.map((x) => [x.stepId, x.index, x.startedAt.slice(17, 19), x.endedAt?.slice(17, 19) ?? null, x.patchIds.length]);
    expect(steps).toEqual([
      ['a', 0, '03', '04', 1],
      ['b', 1, '02', '07', 0],
      ['a', 2, '05', '06', 0],
    ]);
    expect(orderedPatches(trail).map((p) => p.patchId)).toEqual([end.event.patches[0]!.patchId]);
  });
});

describe('the fold\'s anchors', () => {
  it('gives each patch its latest anchor, also one recorded before a step listed the patch; by id, anchors of unknown patches too', async () => {
    const s = await recorded();
    const evs = await events(s, 't1');
    const anchored = firstOf(evs, 'anchor');
    const anchorAt = evs.indexOf(anchored);
    const a = plain(anchored.event.anchors[0]!);
    const moved = { ...a, commit: 'c'.repeat(40) };
    const stray = { ...a, patchId: 'e'.repeat(40) };
    const anchorEvent = (seq: number, anchors: Anchor[]) => ({ commit: anchored.commit, event: { ...anchored.event, seq, anchors } }) as StoredEvent;
    const ordered = (t: ReturnType<typeof foldTrail>) => orderedPatches(t).map((p) => p.patchId);
    // Recorded in order; then a later event moves it.
    let trail = foldTrail([...evs, anchorEvent(evs.length, [moved, stray])]);
    let at = ordered(trail).indexOf(a.patchId);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(recordedAnchors(trail)[at]).toEqual(moved);
    expect(recordedAnchors(trail).filter((x) => x).length).toBe(trail.anchors.size - 1);
    expect(trail.anchors.get(a.patchId)).toEqual(moved);
    expect(trail.anchors.get(stray.patchId)).toEqual(stray);
    // The anchor event first, before any step lists the patch: taken when one does.
    const early = [anchorEvent(0, [a]), ...evs.filter((_, i) => i !== anchorAt)];
    trail = foldTrail(early);
    at = ordered(trail).indexOf(a.patchId);
    expect(recordedAnchors(trail)[at]).toEqual(a);
    expect(trail.anchors.get(a.patchId)).toEqual(a);
    // Unanchored patches have none.
    trail = foldTrail(evs.filter((_, i) => i !== anchorAt));
    expect(recordedAnchors(trail).every((x) => x === null)).toBe(true);
    expect(trail.anchors.size).toBe(0);
  });
});

describe('the kept fold of a trail', () => {
  /** What a trail gives its readers, as plain data. */
  const reading = (t: Trail) => {
    const ordered = orderedPatches(t);
    const indexOf = orderedIndexOf(t);
    const ids = [...ordered.map((p) => p.patchId), 'f'.repeat(40)];
    return plain({
      name: t.name,
      traces: [...t.traces.values()],
      ordered,
      anchors: recordedAnchors(t),
      steps: orderedSteps(t).map((x) => x && [x.traceId, x.stepId, x.index]),
      indexes: ids.map((id) => indexOf(id) ?? null),
      stepOf: ids.map((id) => stepOf(t, { patchId: id })?.stepId ?? null),
      unattributed: ordered.map((p) => p.unattributed ?? null),
      counts: ordered.map((p) => [addedCount(p), removedCount(p)]),
      byId: [...t.patches],
      anchorsById: [...t.anchors],
      everyAnchor: allAnchors(t),
      events: t.events,
    });
  };

  it('is the trail folded from its events, read without its events while they are the same; anything else, and the events are folded again', async () => {
    const s = await recorded();
    const repo = await s.repo();
    // A second trace: a step listing a patch of t1 again and a new one, a patch made unattributed,
    // an anchor recorded before the step that lists its patch, a step restarted and one never ended,
    // a patch of t1 anchored again (a rewrite) and an anchor of a patch no step lists.
    const t1 = await events(s, 't1');
    const end = firstOf(t1, 'step_end').event;
    const start = firstOf(t1, 'step_start').event;
    const anchor = firstOf(t1, 'anchor').event;
    const theirs = plainPatch(end.patches[0]!);
    const fresh = { ...plainPatch(end.patches[0]!), patchId: '1'.repeat(40), traceId: 't2', stepId: 'u1', added: ['a line', 'another'] };
    const { seq: _s, traceId: _t, v: _v, ...startInput } = start;
    const { seq: _s2, traceId: _t2, v: _v2, ...endInput } = end;
    const at = (i: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString();
    await appendEvent(repo, 't2', { type: 'anchor', at: at(0), source: 'anchor-command', anchors: [{ ...plain(anchor.anchors[0]!), patchId: fresh.patchId }] });
    await appendEvent(repo, 't2', { ...startInput, stepId: 'u1', at: at(1) });
    await appendEvent(repo, 't2', { ...startInput, stepId: 'u1', at: at(2) });
    await appendEvent(repo, 't2', { ...endInput, at: at(3), stepId: 'u1', patches: [theirs, fresh] });
    await appendEvent(repo, 't2', { type: 'unattribute', at: at(4), patchIds: [theirs.patchId], reason: 'also in another trace' });
    await appendEvent(repo, 't2', { ...startInput, stepId: 'u2', at: at(5) });
    const moved = { ...plain(anchor.anchors[0]!), commit: 'c'.repeat(40) };
    await appendEvent(repo, 't2', { type: 'anchor', at: at(6), source: 'post-rewrite', anchors: [moved, { ...moved, patchId: 'e'.repeat(40) }] });
    const folded = async () => {
      const read = await readAllEventsNamed(await s.repo());
      return reading(foldTrail(read.events, read.name));
    };
    const want = await folded();
    expect(want.unattributed).toContain('also in another trace');
    // Both anchors of the patch anchored twice, in order; its current one the latest.
    expect(want.everyAnchor.filter((a) => a.patchId === moved.patchId).map((a) => a.commit)).toEqual([anchor.anchors[0]!.commit, moved.commit]);
    expect(want.anchorsById.find(([id]) => id === moved.patchId)![1].commit).toBe(moved.commit);
    expect(want.anchorsById.some(([id]) => id === 'e'.repeat(40))).toBe(true);
    expect(want.traces.find((t) => t.traceId === 't2')!.steps.map((x) => [x.stepId, x.endedAt === null])).toEqual([
      ['u1', false],
      ['u2', true],
    ]);
    // The first read folds the events and keeps the fold; the next reads it, not the events.
    const file = foldFile(repo);
    fs.rmSync(file, { force: true });
    expect(reading(await trail(s))).toEqual(want);
    expect(fs.existsSync(file)).toBe(true);
    const name = want.name!;
    expect(loadFold(await s.repo(), name)).not.toBeNull();
    expect(reading(await trail(s))).toEqual(want);
    // Its steps are decoded when first read: what the survival pass reads of a trail whose patches
    // are all anchored (the patches in order, their anchors, by id) reads none.
    const lazy = await trail(s);
    const stepsRead = () => [...lazy.traces.values()].filter((t) => !Object.getOwnPropertyDescriptor(t, 'steps')!.get).length;
    orderedPatches(lazy);
    orderedIndexOf(lazy)(want.ordered[0]!.patchId);
    recordedAnchors(lazy);
    void lazy.anchors;
    expect(stepsRead()).toBe(0);
    // Any trace's read decodes them all.
    expect(lazy.traces.get('t2')!.steps.map((x) => x.stepId)).toEqual(['u1', 'u2']);
    expect(stepsRead()).toBe(lazy.traces.size);
    expect(reading(lazy)).toEqual(want);
    // Its step ids are made when read, in place, as the fold has them.
    const keptTrail = await trail(s);
    expect(Object.keys(keptTrail.traces.get('t1')!.steps[0]!)).toEqual(Object.keys(foldTrail(t1).traces.get('t1')!.steps[0]!).filter((k) => k in keptTrail.traces.get('t1')!.steps[0]!));
    // A new event: another name, so the fold is not that trail's; the trail is folded again, and kept.
    await appendEvent(repo, 't2', { type: 'unattribute', at: at(7), patchIds: [fresh.patchId], reason: 'a second reason' });
    const after = await folded();
    expect(after.name).not.toBe(name);
    expect(loadFold(await s.repo(), after.name!)).toBeNull();
    expect(reading(await trail(s))).toEqual(after);
    expect(loadFold(await s.repo(), after.name!)).not.toBeNull();
    // The events files written again (from the chain, in other files than the cache and tail it
    // names): the same name, but not the same files, so the fold is not used until kept again.
    const dir = path.join(s.dir, '.git', 'ot', 'events');
    const eventFiles = () => fs.readdirSync(dir).filter((f) => /^[0-9a-f]{40}\./.test(f));
    expect(eventFiles().some((f) => f.endsWith('.tail.bin'))).toBe(true);
    for (const f of eventFiles()) fs.rmSync(path.join(dir, f));
    expect(reading(await trail(s))).toEqual(after);
    expect(eventFiles().some((f) => f.endsWith('.tail.bin'))).toBe(false);
    expect(loadFold(await s.repo(), after.name!)).toBeNull();
    expect(reading(await trail(s))).toEqual(after);
    expect(loadFold(await s.repo(), after.name!)).not.toBeNull();
    // A damaged fold, or one cut short (a write caught half done), is not used; the next read keeps it whole again.
    const bytes = fs.readFileSync(file);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length >> 1] ^= 1;
    for (const damaged of [flipped, bytes.subarray(0, bytes.length >> 1), bytes.subarray(0, 20)]) {
      fs.writeFileSync(file, damaged);
      expect(loadFold(await s.repo(), after.name!)).toBeNull();
      expect(reading(await trail(s))).toEqual(after);
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    }
  });
});

describe('the index of step windows', () => {
  it('rules out a trace whose steps all ended before, while it checks out; a damaged or torn index rules out none', async () => {
    const s = await recorded();
    const repo = await s.repo();
    const t1 = await events(s, 't1');
    const { seq: _s, traceId: _t, v: _v, ...startInput } = firstOf(t1, 'step_start').event;
    const { seq: _s2, traceId: _t2, v: _v2, ...endInput } = firstOf(t1, 'step_end').event;
    // An older trace: its only step ended in 2020.
    await appendEvent(repo, 'old', { ...startInput, stepId: 'o1', at: '2020-01-01T00:00:00.000Z' });
    await appendEvent(repo, 'old', { ...endInput, stepId: 'o1', at: '2020-01-01T00:01:00.000Z', patches: [] });
    const since = Date.parse('2025-01-01T00:00:00.000Z');
    const traces = async () => [...new Set((await readEventsOfStepsEndedAfter(await s.repo(), since)).map((e) => e.event.traceId))].sort();
    // The first read knows no window: every trace is read, and the index noted.
    expect(await traces()).toEqual(['old', 't1']);
    expect(await traces()).toEqual(['t1']);
    const file = path.join(s.dir, '.git', 'ot', 'events', 'windows.v2.bin');
    const bytes = fs.readFileSync(file);
    for (const damaged of [Buffer.concat([bytes.subarray(0, 12), Buffer.from([bytes[12]! ^ 1]), bytes.subarray(13)]), bytes.subarray(0, bytes.length >> 1)]) {
      fs.writeFileSync(file, damaged);
      expect(await traces()).toEqual(['old', 't1']);
      // Written again over the damaged one, in place: whole, and believed.
      expect(await traces()).toEqual(['t1']);
    }
  });
});

describe('the index of patch ids', () => {
  it('places each id once, in order, ids alike in their first characters or not ids at all included', () => {
    const index = new IdIndex();
    const next = rng(3);
    const hex = () => Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(next() * 16)]).join('');
    // Random ids; ids sharing their first 8 and 12 characters (hashed alike); short, empty and wide strings.
    const ids = [...Array.from({ length: 3000 }, hex), ...Array.from({ length: 50 }, (_, i) => `deadbeef${String(i).padStart(32, '0')}`), ...Array.from({ length: 50 }, (_, i) => `deadbeefcafe${i}`), '', 'a', 'ab', '\u00e9\u4e2d\ud83d\ude00'];
    const unique = [...new Set(ids)];
    unique.forEach((id, i) => expect(index.place(id)).toBe(i));
    // Placed again: the same place, nothing added.
    unique.forEach((id, i) => expect(index.place(id)).toBe(i));
    unique.forEach((id, i) => expect(index.placeOf(id)).toBe(i));
    expect(index.place('one more')).toBe(unique.length);
    expect(index.placeOf('deadbeef' + '9'.repeat(32))).toBe(-1);
    expect(index.placeOf(hex())).toBe(-1);
  });
});

describe('binary JSON (the caches\' encoding)', () => {
  it('gives back the value JSON would, keys in order, strings of any kind; refuses bytes it did not write', () => {
    const odd = '\ud800 lone, ' + 'pair \ud83d\ude00, é, \u0000, \n';
    const value = {
      z: 1,
      a: [0, -1, 2147483647, -2147483648, 2147483648, 1.5, -0, 1e300, Number.NaN, null, true, false, '', odd, [], {}],
      nested: { b: [{ x: 'same', y: undefined }, { x: 'same' }], s: 'same', f: () => 1 },
      shapes: [{ k: 1, j: 2 }, { j: 2, k: 1 }],
      gaps: [undefined, () => 1],
      keys: JSON.parse('{"__proto__": {"x": 1}, "2": "b", "1": "a", "it\'s \\"odd\\"": 0}'),
      nul: [{ 'a\u0000b': 1 }, { a: 1, b: 2 }, { '["a\\u0000b"]': 3 }],
    };
    const back = decodeBinaryJson(encodeBinaryJson(value));
    expect(JSON.stringify(back)).toBe(JSON.stringify(value));
    expect(back).toEqual(JSON.parse(JSON.stringify(value)));
    expect((back as { a: unknown[] }).a[13]).toBe(odd);
    // `__proto__` is a key like any other, as JSON.parse has it.
    expect(Object.getPrototypeOf((back as { keys: object }).keys)).toBe(Object.prototype);
    expect(Object.keys((back as { keys: object }).keys)).toEqual(['1', '2', '__proto__', 'it\'s "odd"']);
    // Long strings (taken as unique) of each kind, one-byte ones among wide ones, in one value.
    const long = ['x'.repeat(300), `é${'y'.repeat(300)}ÿ`, `${'z'.repeat(300)}\ud800`, `${'w'.repeat(300)}\ud83d\ude00`, '\udc00' + 'v'.repeat(300)];
    const mixed = { long, short: ['a', '\u0100', 'b', odd, 'é', ''], again: long };
    expect(decodeBinaryJson(encodeBinaryJson(mixed))).toEqual(mixed);
    const bytes = encodeBinaryJson({ list: ['a', 'b'], n: 7 });
    // Another layout (an older version's bytes) is refused, not misread.
    const other = Buffer.from(bytes);
    other.writeInt32LE(other.readInt32LE(0) ^ 1, 0);
    for (const bad of [bytes.subarray(0, bytes.length - 1), bytes.subarray(0, 12), Buffer.concat([bytes, Buffer.from([0, 0, 0, 0])]), other]) {
      expect(() => decodeBinaryJson(bad)).toThrow(/malformed binary JSON/);
    }
  });
});

describe('lists of strings in binary JSON, read a list at a time', () => {
  it('give each list and its length as decoding the whole would; refuse anything else when opened', () => {
    const odd = '\ud800 lone, é, \u0000';
    const value = [['a', 'b', 'a'], [], ['x'.repeat(300), odd, ''], ['b']];
    const lists = openStringLists(encodeBinaryJson(value));
    expect(lists.count).toBe(4);
    expect([0, 1, 2, 3].map((i) => lists.lengthOf(i))).toEqual([3, 0, 3, 1]);
    expect([3, 0, 2, 1].map((i) => lists.at(i))).toEqual([['b'], ['a', 'b', 'a'], ['x'.repeat(300), odd, ''], []]);
    for (const i of [4, -1, 0.5]) {
      expect(() => lists.at(i)).toThrow(RangeError);
      expect(() => lists.lengthOf(i)).toThrow(RangeError);
    }
    expect(openStringLists(encodeBinaryJson([])).count).toBe(0);
    for (const other of [['a'], [['a', 1]], [['a'], null], [{ a: 'b' }], { a: [['b']] }, 'a', [['a', ['b']]]]) {
      expect(() => openStringLists(encodeBinaryJson(other))).toThrow(/malformed binary JSON/);
    }
    const bytes = encodeBinaryJson(value);
    for (const bad of [bytes.subarray(0, bytes.length - 1), Buffer.concat([bytes, Buffer.from([0, 0, 0, 0])])]) {
      expect(() => openStringLists(bad)).toThrow(/malformed binary JSON/);
    }
    // A list's last entry (the stream's last integer, after the head of 6 and a length per string)
    // made a string the table lacks, or a tag: refused on open, not when the list is read.
    const nStrings = bytes.readInt32LE(4);
    const last = 4 * (6 + nStrings + bytes.readInt32LE(12) - 1);
    for (const entry of [nStrings, -1]) {
      const bad = Buffer.from(bytes);
      bad.writeInt32LE(entry, last);
      expect(() => openStringLists(bad)).toThrow(/malformed binary JSON: not a string/);
    }
  });
});

describe('the formats without zod', () => {
  it('name the same fields, states and versions as the schemas', async () => {
    const { StepStartEvent } = await import('../src/model/events.js');
    const { SurvivalState } = await import('../src/model/survival.js');
    const formats = await import('../src/model/formats.js');
    expect([...formats.STATE_ORDER]).toEqual(SurvivalState.options);
    expect(StepStartEvent.shape.v.value).toBe(formats.EVENT_VERSION);
  });
});

describe('ot trail verify', () => {
  it('passes on a real trail', async () => {
    const s = await recorded();
    const r = s.ot('trail', 'verify');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: 1 trace, 6 events/);
    const j = JSON.parse(s.ot('trail', 'verify', '--json').stdout);
    expect(j).toMatchObject({ schema: 'ot.trail.verify/1', ok: true, traces: 1, events: 6, problems: [] });
  });

  it('finds a hand-written ref to a commit whose message is not JSON, and exits 3', async () => {
    const s = await recorded();
    const empty = s.git('hash-object', '-t', 'tree', '-w', '/dev/null').trim();
    const c = s.git('commit-tree', empty, '-m', 'hello, I am not an event').trim();
    s.git('update-ref', `${TRACE_REF_PREFIX}/intruder`, c);
    const r = s.ot('trail', 'verify');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^CORRUPT: 2 traces/);
    expect(r.stdout).toContain(`problem: ${TRACE_REF_PREFIX}/intruder @ ${c.slice(0, 12)}: the event is not JSON`);
    // Other commands reading it say the store is corrupt (3), naming the commit.
    const e = s.ot('trail', 'export', '--trace', 'intruder', '--out', tempDir());
    expect(e.code).toBe(3);
    expect(e.stderr).toContain(`trail event ${c} is not JSON`);
  });

  it('finds a missing snapshot object and a broken chain', async () => {
    const s = await recorded();
    const blob = s.git('hash-object', s.path('notes.md')).trim();
    // notes.md is committed too; keep it only in the snapshot by dropping that commit.
    s.git('reset', '-q', '--hard', 'HEAD~1');
    s.git('reflog', 'expire', '--expire=now', '--all');
    fs.rmSync(path.join(s.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    let r = s.ot('trail', 'verify');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(new RegExp(`problem: refs/ot/traces/t1 @ [0-9a-f]{12}: blob ${blob} \\(notes\\.md\\) is missing`));
    // Remove a link of the chain: every reader says so.
    const evs = await events(s, 't1');
    const mid = evs[2]!.commit;
    fs.rmSync(path.join(s.dir, '.git', 'objects', mid.slice(0, 2), mid.slice(2)));
    r = s.ot('trail', 'verify');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('refs/ot/traces/t1: the chain is broken');
    fs.rmSync(path.join(s.dir, '.git', 'ot'), { recursive: true });
    const st = s.ot('trail', 'step', 'start', '--trace', 't1', '--step', 'next');
    expect(st.code).toBe(3);
    expect(st.stderr).toContain(`trail event ${mid} of refs/ot/traces/t1 is missing or unreadable`);
  });
});

describe('ot trail export', () => {
  it('writes trace.json, trail.jsonl.gz and manifest.json with their sha256s and counts', async () => {
    const s = await recorded();
    const out = tempDir();
    const r = s.ot('trail', 'export', '--trace', 't1', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('exported t1');
    expect(fs.readdirSync(out).sort()).toEqual(['manifest.json', 'trace.json', 'trail.jsonl.gz']);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.schema).toBe('ot.trail.manifest/1');
    expect(manifest.schemas).toEqual({ trace: 'ot.trail.trace/1', event: 1 });
    for (const f of manifest.files) {
      const bytes = fs.readFileSync(path.join(out, f.name));
      expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(f.bytes).toBe(bytes.length);
    }
    expect(manifest.files.map((f: { name: string }) => f.name).sort()).toEqual(['trace.json', 'trail.jsonl.gz']);
    const lines = gunzipSync(fs.readFileSync(path.join(out, 'trail.jsonl.gz'))).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    const evs = await events(s, 't1');
    expect(lines.map((l) => l.commit)).toEqual(evs.map((e) => e.commit));
    const trace = JSON.parse(fs.readFileSync(path.join(out, 'trace.json'), 'utf8'));
    expect(trace).toMatchObject({ schema: 'ot.trail.trace/1', traceId: 't1' });
    expect(trace.steps.map((x: { intent: string }) => x.intent)).toEqual(['make a bigger', 'make a bigger']);
    const patches = lines.filter((l) => l.type === 'step_end').flatMap((l) => l.patches);
    const anchors = lines.filter((l) => l.type === 'anchor').flatMap((l) => l.anchors);
    expect(manifest.counts).toEqual({ events: 6, steps: 2, patches: patches.length, anchors: anchors.length });
    expect(patches.length).toBe(2);
    expect(anchors.length).toBe(2);
  });
});

describe('ot trail gc', () => {
  async function turnStartOf(repo: Awaited<ReturnType<Scenario['repo']>>, traceId: string, at: string): Promise<void> {
    const { turnStart } = await import('../src/capture/step.js');
    await turnStart(repo, { traceId, turnId: `t-${at}`, intent: 'later on', at });
  }

  async function threeTraces(): Promise<Scenario> {
    const s = scenario();
    s.write('f.txt', 'f\n');
    await s.commit('base');
    await s.agentStep({ trace: 'new', step: '1' }, () => s.write('n.txt', 'n\n'));
    const repo = await s.repo();
    const { turnStart } = await import('../src/capture/step.js');
    await turnStart(repo, { traceId: 'old-1', turnId: 'x', intent: 'long ago', at: '2020-01-01T00:00:00.000Z' });
    await turnStart(repo, { traceId: 'old-2', turnId: 'y', intent: 'long ago', at: '2021-01-01T00:00:00.000Z' });
    return s;
  }

  it('drops by age and says what it dropped; --dry-run drops nothing', async () => {
    const s = await threeTraces();
    const before = otRefs(s);
    const dry = s.ot('trail', 'gc', '--older-than', '2022-06-01', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^would drop 2 traces, kept 1:/);
    expect(dry.stdout).toContain('old-1  1 events, last 2020-01-01T00:00:00.000Z');
    expect(otRefs(s)).toBe(before);
    const r = s.ot('trail', 'gc', '--older-than', '2022-06-01', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ schema: 'ot.trail.gc/1', dryRun: false, kept: 1 });
    expect(j.dropped.map((d: { traceId: string }) => d.traceId).sort()).toEqual(['old-1', 'old-2']);
    expect(otRefs(s).split('\n').map((l) => l.split(' ')[0])).toEqual(['refs/ot/traces/new']);
    expect(s.ot('trail', 'verify').code).toBe(0);
  });

  it('drops by trace, also when git gc packed the refs, touching no other byte of packed-refs', async () => {
    const s = await threeTraces();
    s.git('tag', '-a', 'v1', '-m', 'annotated');
    s.git('pack-refs', '--all');
    const state = s.userState();
    const packed = fs.readFileSync(s.path('.git/packed-refs'), 'utf8');
    const r = s.ot('trail', 'gc', '--trace', 'old-2');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dropped 1 trace, kept 2:\n  old-2  1 events/);
    expect(otRefs(s).split('\n').map((l) => l.split(' ')[0])).toEqual(['refs/ot/traces/new', 'refs/ot/traces/old-1']);
    const after = fs.readFileSync(s.path('.git/packed-refs'), 'utf8');
    expect(after).toBe(packed.split('\n').filter((l) => !l.endsWith(' refs/ot/traces/old-2')).join('\n'));
    expect(s.userState()).toBe(state);
    execFileSync('git', ['fsck', '--no-dangling'], { cwd: s.dir, stdio: 'ignore' });
  });

  it('reads the tips of the trace refs as git resolves them, loose or packed, in one read of packed-refs', async () => {
    const s = await threeTraces();
    s.git('tag', '-a', 'v1', '-m', 'annotated');
    s.git('pack-refs', '--all');
    // One trace moves on after packing (its loose file wins over its packed line); one more is new, loose only.
    const repo = await s.repo();
    await turnStartOf(repo, 'old-1', '2020-01-02T00:00:00.000Z');
    await turnStartOf(repo, 'later', '2022-01-01T00:00:00.000Z');
    const packed = fs.readFileSync(s.path('.git/packed-refs'), 'utf8');
    expect(packed).toContain(' refs/ot/traces/old-1');
    expect(fs.existsSync(s.path('.git/refs/ot/traces/old-1'))).toBe(true);
    const git = s
      .git('for-each-ref', TRACE_REF_PREFIX, '--format=%(refname) %(objectname)')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const tips = await refTips(await s.repo(), TRACE_REF_PREFIX);
    expect(tips).toEqual(git);
    expect(tips.map(([ref]) => ref)).toEqual(['refs/ot/traces/later', 'refs/ot/traces/new', 'refs/ot/traces/old-1', 'refs/ot/traces/old-2']);
    // The trail's name and events are those of the refs as isomorphic-git resolves them one by one.
    const byOne = await Promise.all(tips.map(async ([ref]) => [ref, (await resolveRef(repo, ref)) ?? ''] as const));
    expect(byOne).toEqual(git);
    const read = new Set((await readAllEventsNamed(await s.repo())).events.map((e) => e.commit));
    for (const [, tip] of git) expect(read.has(tip!)).toBe(true);
  });

  it('resolves HEAD and refs that git packed from their packed lines, as git rev-parse does, without isomorphic-git', async () => {
    const s = scenario();
    s.write('f.txt', 'f\n');
    await s.commit('base');
    s.git('branch', 'main2');
    s.write('f.txt', 'g\n');
    await s.commit('second');
    s.git('tag', '-a', 'v1', '-m', 'annotated', 'HEAD~1');
    s.git('pack-refs', '--all');
    expect(fs.existsSync(s.path('.git/refs/heads/main'))).toBe(false);
    const { default: git } = await import('isomorphic-git');
    const spy = vi.spyOn(git, 'resolveRef');
    try {
      const repo = await s.repo();
      const revParse = (ref: string) => s.git('rev-parse', '--verify', '-q', ref).trim();
      // A branch whose name starts another's, an annotated tag (its tag object, as git gives the ref), HEAD through its packed branch.
      for (const ref of ['HEAD', 'refs/heads/main', 'refs/heads/main2', 'refs/tags/v1']) expect(await resolveRef(repo, ref)).toBe(revParse(ref));
      expect(await resolveRef(repo, 'refs/heads/mai')).toBeNull();
      expect(await resolveRef(repo, 'refs/heads/nope')).toBeNull();
      // A commit makes the branch loose again: its file wins over its stale packed line.
      s.write('f.txt', 'h\n');
      await s.commit('third');
      expect(fs.readFileSync(s.path('.git/packed-refs'), 'utf8')).toContain(' refs/heads/main\n');
      expect(await resolveRef(repo, 'HEAD')).toBe(revParse('HEAD'));
      expect(await resolveRef(repo, 'refs/heads/main')).toBe(revParse('refs/heads/main'));
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses an unknown trace or no criterion, dropping nothing (exit 2)', async () => {
    const s = await threeTraces();
    const before = otRefs(s);
    const r = s.ot('trail', 'gc', '--trace', 'old-1', '--trace', 'nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown trace: nope; nothing was dropped');
    const n = s.ot('trail', 'gc');
    expect(n.code).toBe(2);
    expect(n.stderr).toContain('needs --older-than DURATION or --trace ID');
    expect(s.ot('trail', 'gc', '--older-than', 'soon').code).toBe(2);
    expect(otRefs(s)).toBe(before);
  });
});

describe('derived data', () => {
  it('is rebuilt when missing and never the only copy', async () => {
    const s = await recorded();
    const evs = await events(s, 't1');
    fs.rmSync(path.join(s.dir, '.git', 'ot'), { recursive: true });
    expect(plain(await events(s, 't1'))).toEqual(plain(evs));
    expect((await verifyStore(await s.repo())).ok).toBe(true);
  });
});
