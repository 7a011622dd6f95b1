import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Repo } from '../git/repo.js';
import { hasObject, readTree } from '../git/objects.js';
import { refTips } from '../git/refs.js';
import { TrailEvent } from '../model/events.js';
import { EVENT_VERSION } from '../model/formats.js';
import { deleteTraceRef, listTraceRefs, readChainUncached, readTraceEvents, TRACE_REF_PREFIX, traceRef } from './log.js';
import { foldTrail, loadTraceTrail } from './trail.js';
import { usageError } from '../errors.js';

export interface VerifyReport {
  ok: boolean;
  traces: number;
  events: number;
  /** Each a sentence naming the ref, the commit and what is wrong. */
  problems: string[];
  /** Not corruption, worth knowing (anchors to commits no longer in the repository). */
  notes: string[];
}

/** Checks the whole store: every event parses, every chain is intact, every referenced object is present. */
export async function verifyStore(repo: Repo): Promise<VerifyReport> {
  const report: VerifyReport = { ok: true, traces: 0, events: 0, problems: [], notes: [] };
  const checkedTrees = new Set<string>();
  const checkTree = async (oid: string, where: string): Promise<void> => {
    if (checkedTrees.has(oid)) return;
    checkedTrees.add(oid);
    let entries;
    try {
      entries = await readTree(repo, oid);
    } catch {
      report.problems.push(`${where}: snapshot tree ${oid} is missing or unreadable`);
      return;
    }
    for (const e of entries) {
      if (e.type === 'tree') await checkTree(e.oid, where);
      else if (e.type === 'blob' && !(await hasObject(repo, e.oid))) report.problems.push(`${where}: blob ${e.oid} (${e.path}) is missing`);
    }
  };
  for (const ref of await listTraceRefs(repo)) {
    report.traces++;
    let chain;
    try {
      chain = (await readChainUncached(repo, ref)).chain;
    } catch (err) {
      report.problems.push(`${ref}: the chain is broken: ${(err as Error).message}`);
      continue;
    }
    let traceId: string | null = null;
    for (let i = 0; i < chain.length; i++) {
      const c = chain[i]!;
      const where = `${ref} @ ${c.commit.slice(0, 12)}`;
      report.events++;
      if (c.parents.length > 1) report.problems.push(`${where}: an event commit has ${c.parents.length} parents; the log is a single chain`);
      if (i === 0 && c.parents.length !== 0) report.problems.push(`${where}: the first event's parent ${c.parents[0]} is missing`);
      let json: unknown;
      try {
        json = JSON.parse(c.message);
      } catch {
        report.problems.push(`${where}: the event is not JSON`);
        continue;
      }
      const parsed = TrailEvent.safeParse(json);
      if (!parsed.success) {
        report.problems.push(`${where}: the event does not match the schema (v${EVENT_VERSION}): ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
        continue;
      }
      const ev = parsed.data;
      if (ev.seq !== i) report.problems.push(`${where}: event number ${ev.seq} where ${i} was expected (an event is missing or repeated)`);
      traceId ??= ev.traceId;
      if (ev.traceId !== traceId || traceRef(ev.traceId) !== ref) report.problems.push(`${where}: event of trace '${ev.traceId}' stored under ${ref}`);
      if ('snapshotTree' in ev) {
        if (c.tree !== ev.snapshotTree) report.problems.push(`${where}: the commit's tree ${c.tree} is not the event's snapshot ${ev.snapshotTree}`);
        await checkTree(ev.snapshotTree, where);
      }
      if (ev.type === 'step_end') {
        await checkTree(ev.beforeTree, where);
        for (const p of ev.patches) {
          for (const b of [p.beforeBlob, p.afterBlob]) {
            if (b && !(await hasObject(repo, b))) report.problems.push(`${where}: patch ${p.patchId.slice(0, 12)} names blob ${b}, which is missing`);
          }
        }
      }
      if (ev.type === 'anchor') {
        for (const a of ev.anchors) {
          if (!(await hasObject(repo, a.commit))) report.notes.push(`${where}: anchor commit ${a.commit.slice(0, 12)} is no longer in the repository (rewritten and collected)`);
        }
      }
    }
  }
  const lockDir = path.join(repo.commonDir, 'refs', 'ot');
  const walk = (d: string): string[] => {
    try {
      return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.lock') ? [path.join(d, e.name)] : []));
    } catch {
      return [];
    }
  };
  for (const lock of walk(lockDir)) {
    report.notes.push(
      /\.tmp-[^/]*\.lock$/.test(lock)
        ? `a temp file is present: ${lock} (left by a write that was interrupted; never read as a ref, safe to delete)`
        : `a lock file is present: ${lock} (left by an interrupted update; the next update removes it once its holder is gone)`,
    );
  }
  report.ok = report.problems.length === 0;
  return report;
}

export interface ExportResult {
  dir: string;
  files: { name: string; sha256: string; bytes: number }[];
  counts: { events: number; steps: number; patches: number; anchors: number };
}

/** Writes one self-sufficient bucket for a trace: trace.json, trail.jsonl.gz, manifest.json. */
export async function exportTrace(repo: Repo, traceId: string, outDir: string): Promise<ExportResult> {
  const trail = await loadTraceTrail(repo, traceId);
  const trace = trail.traces.get(traceId)!;
  fs.mkdirSync(outDir, { recursive: true });
  const files: ExportResult['files'] = [];
  const write = (name: string, data: Buffer) => {
    fs.writeFileSync(path.join(outDir, name), data);
    files.push({ name, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length });
  };
  const counts = { events: trail.events.length, steps: trace.steps.length, patches: trail.patches.size, anchors: trail.anchors.size };
  write('trace.json', Buffer.from(`${JSON.stringify({ schema: 'ot.trail.trace/1', ...trace }, null, 2)}\n`));
  const jsonl = trail.events.map((e) => JSON.stringify({ commit: e.commit, ...e.event })).join('\n');
  write('trail.jsonl.gz', gzipSync(Buffer.from(`${jsonl}\n`)));
  const manifest = {
    schema: 'ot.trail.manifest/1',
    traceId,
    createdAt: new Date().toISOString(),
    schemas: { trace: 'ot.trail.trace/1', event: EVENT_VERSION },
    counts,
    files: [...files],
  };
  fs.writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir: outDir, files, counts };
}

export interface GcResult {
  dropped: { traceId: string; events: number; endedAt: string }[];
  kept: number;
  dryRun: boolean;
}

/** Drops whole trails, by age (last event before `olderThan`) or by trace id, and says which. */
export async function gcTrails(repo: Repo, options: { olderThan?: number; traceIds?: string[]; dryRun?: boolean }): Promise<GcResult> {
  if (options.olderThan === undefined && !options.traceIds?.length) {
    throw usageError('ot trail gc needs --older-than DURATION or --trace ID: it drops nothing by default');
  }
  const result: GcResult = { dropped: [], kept: 0, dryRun: Boolean(options.dryRun) };
  const wanted = new Set(options.traceIds ?? []);
  const found = new Map<string, { ref: string; events: number; endedAt: string }>();
  for (const [ref, tip] of await refTips(repo, TRACE_REF_PREFIX)) {
    const events = await readTraceEvents(repo, ref, tip);
    const trace = foldTrail(events).traces.values().next().value;
    if (trace) found.set(trace.traceId, { ref, events: events.length, endedAt: trace.endedAt });
  }
  // Check every named trace before dropping anything.
  const missing = [...wanted].filter((t) => !found.has(t));
  if (missing.length) throw usageError(`unknown trace${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}; nothing was dropped`, 'unknown_trace');
  for (const [traceId, t] of found) {
    const old = options.olderThan !== undefined && Date.parse(t.endedAt) < options.olderThan;
    if (wanted.has(traceId) || old) {
      if (!options.dryRun) await deleteTraceRef(repo, t.ref);
      result.dropped.push({ traceId, events: t.events, endedAt: t.endedAt });
    } else result.kept++;
  }
  return result;
}
