import type { Repo } from '../git/repo.js';
import { loadTrail, orderedPatches, orderedSteps, unknownTrace } from '../store/trail.js';
import { computeSurvival } from '../survival/engine.js';
import { emptyCounts, TRACK_SCHEMA } from '../model/formats.js';
import type { TrackPatch, TrackReport } from '../model/track.js';

export interface TrackOptions {
  trace?: string;
  /** Only traces active at or after this time (ms since the epoch). */
  since?: number;
  at?: string;
  timeline?: boolean;
}

/** The view model of `ot trail track`: every patch with its state and counts, and a summary per state. */
export async function trackView(repo: Repo, options: TrackOptions = {}): Promise<TrackReport> {
  const trail = await loadTrail(repo);
  if (options.trace && !trail.traces.has(options.trace)) {
    throw unknownTrace(options.trace);
  }
  let traces = [...trail.traces.values()];
  if (options.trace) traces = traces.filter((t) => t.traceId === options.trace);
  if (options.since !== undefined) traces = traces.filter((t) => Date.parse(t.endedAt) >= options.since!);
  const traceIds = traces.map((t) => t.traceId).sort();
  const report = await computeSurvival(repo, trail, { at: options.at, timeline: options.timeline, traceIds });
  const patches: TrackPatch[] = [];
  const ordered = orderedPatches(trail);
  const steps = orderedSteps(trail);
  for (let i = 0; i < ordered.length; i++) {
    const ps = report.inTrailOrder[i];
    if (!ps) continue;
    const p = ordered[i]!;
    patches.push({
      patchId: p.patchId,
      traceId: p.traceId,
      stepId: p.stepId,
      stepIndex: steps[i]?.index ?? null,
      path: p.path,
      newStart: p.newStart,
      newLines: p.newLines,
      anchor: ps.anchor ? { commit: ps.anchor.commit, firmness: ps.anchor.firmness } : null,
      survival: ps.survival,
      ...(options.timeline ? { timeline: ps.timeline ?? [] } : {}),
    });
  }
  const byState = emptyCounts();
  const lines = { total: 0, alive: 0, moved: 0, edited: 0, deleted: 0 };
  for (const p of patches) {
    byState[p.survival.state]++;
    lines.total += p.survival.totalLines;
    lines.alive += p.survival.aliveLines;
    lines.moved += p.survival.movedLines;
    lines.edited += p.survival.editedLines;
    lines.deleted += p.survival.deletedLines;
  }
  // Typed, not parsed: the schema (checked by the tests on the command's output) costs tens of
  // milliseconds on a trail of thousands of patches, for an object built right here.
  const out: TrackReport = { schema: TRACK_SCHEMA, at: report.at, traces: traceIds, patches, summary: { patches: patches.length, byState, lines } };
  return out;
}
