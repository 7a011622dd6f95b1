import type { Repo } from '../git/repo.js';
import type { Anchor, Limitation, Patch, StepKind, TrailEvent } from '../model/events.js';
import { readAllEventsNamed, readTraceEvents, traceRef, type StoredEvent } from './log.js';
import { usageError } from '../errors.js';
import { withUnattributed } from './stored-patch.js';

/** A step as the views see it: the fold of its start and end events. */
export interface Step {
  traceId: string;
  stepId: string;
  /** 0-based order of the step within its trace. */
  index: number;
  kind: StepKind;
  tool: string | null;
  agent: string | null;
  intent: string | null;
  turnId: string | null;
  startedAt: string;
  endedAt: string | null;
  beforeCommit: string;
  afterCommit: string | null;
  patchIds: string[];
  tokens?: { prompt?: number; completion?: number; total?: number };
  cost?: number;
  limitations: Limitation[];
}

export interface Trace {
  traceId: string;
  agent: string | null;
  startedAt: string;
  endedAt: string;
  steps: Step[];
  turns: { turnId: string; intent: string; at: string }[];
}

/** Everything recorded, folded: the input of anchoring, survival and every view. */
export interface Trail {
  traces: Map<string, Trace>;
  patches: Map<string, Patch>;
  /** The current anchor of each anchored patch (the latest anchor event wins: rewrites move it). */
  anchors: Map<string, Anchor>;
  events: StoredEvent[];
  /**
   * A name for exactly these events, for a whole trail read from the store (the same name, the same
   * events: derived data such as the survival cache keys on it); null for a trail folded from
   * events given.
   */
  name: string | null;
}

export function foldTrail(events: StoredEvent[]): Trail {
  const traces = new Map<string, Trace>();
  const patches = new Map<string, Patch>();
  const anchors = new Map<string, Anchor>();
  const openTurn = new Map<string, { turnId: string; intent: string }>();
  const openSteps = new Map<string, Step>();
  for (const { commit, event } of events) {
    let trace = traces.get(event.traceId);
    if (!trace) {
      trace = { traceId: event.traceId, agent: null, startedAt: event.at, endedAt: event.at, steps: [], turns: [] };
      traces.set(event.traceId, trace);
    }
    // A trace spans its own activity; anchor and unattribute events come later, from hooks.
    if (event.type !== 'anchor' && event.type !== 'unattribute') {
      if (event.at < trace.startedAt) trace.startedAt = event.at;
      if (event.at > trace.endedAt) trace.endedAt = event.at;
    }
    applyEvent(trace, commit, event, patches, anchors, openTurn, openSteps);
  }
  return { traces, patches, anchors, events, name: null };
}

function applyEvent(
  trace: Trace,
  commit: string,
  event: TrailEvent,
  patches: Map<string, Patch>,
  anchors: Map<string, Anchor>,
  openTurn: Map<string, { turnId: string; intent: string }>,
  /** The unfinished step of each trace and step id (there is at most one: a restart replaces it). */
  openSteps: Map<string, Step>,
): void {
  switch (event.type) {
    case 'turn_start':
      trace.agent ??= event.agent;
      trace.turns.push({ turnId: event.turnId, intent: event.intent, at: event.at });
      openTurn.set(event.traceId, { turnId: event.turnId, intent: event.intent });
      break;
    case 'turn_end':
      openTurn.delete(event.traceId);
      break;
    case 'step_start': {
      trace.agent ??= event.agent;
      const turn = openTurn.get(event.traceId);
      // A restarted step (same id) replaces the earlier, unfinished window.
      const key = `${event.traceId}\n${event.stepId}`;
      const existing = openSteps.get(key);
      const step: Step = {
        traceId: event.traceId,
        stepId: event.stepId,
        index: existing?.index ?? trace.steps.length,
        kind: event.kind,
        tool: event.tool,
        agent: event.agent,
        intent: event.intent ?? turn?.intent ?? null,
        turnId: event.turnId ?? turn?.turnId ?? null,
        startedAt: event.at,
        endedAt: null,
        beforeCommit: commit,
        afterCommit: null,
        patchIds: [],
        tokens: event.tokens,
        cost: event.cost,
        limitations: event.limitations,
      };
      if (existing) trace.steps[existing.index] = step;
      else trace.steps.push(step);
      openSteps.set(key, step);
      break;
    }
    case 'step_end': {
      let step: Step | undefined;
      for (let i = trace.steps.length - 1; i >= 0 && !step; i--) if (trace.steps[i]!.stepId === event.stepId) step = trace.steps[i];
      if (!step) break;
      const key = `${event.traceId}\n${event.stepId}`;
      if (openSteps.get(key) === step) openSteps.delete(key);
      step.endedAt = event.at;
      step.afterCommit = commit;
      step.tokens = event.tokens ?? step.tokens;
      step.cost = event.cost ?? step.cost;
      if (event.limitations.length) step.limitations = [...step.limitations, ...event.limitations];
      // A step lists each patch once. A patch new to the trail is new to the step; the others are
      // looked up in a set of the step's (one step can hold thousands of patches).
      let listed: Set<string> | null = null;
      for (const p of event.patches) {
        if (!patches.has(p.patchId)) patches.set(p.patchId, p);
        else {
          listedAgain.add(patches);
          if ((listed ??= new Set(step.patchIds)).has(p.patchId)) continue;
        }
        listed?.add(p.patchId);
        step.patchIds.push(p.patchId);
      }
      break;
    }
    case 'anchor':
      for (const a of event.anchors) anchors.set(a.patchId, a);
      break;
    case 'unattribute':
      for (const id of event.patchIds) {
        const p = patches.get(id);
        if (p) patches.set(id, withUnattributed(p, p.unattributed ?? event.reason));
      }
      break;
  }
}

/** The whole trail of the repository. */
export async function loadTrail(repo: Repo): Promise<Trail> {
  const { events, name } = await readAllEventsNamed(repo);
  return { ...foldTrail(events), name };
}

/** The usage error for a trace id with no recorded trail. */
export const unknownTrace = (traceId: string) => usageError(`unknown trace '${traceId}': no trail is recorded for it (ot trail track lists the traces)`, 'unknown_trace');

/** One trace's trail, or a usage error naming the unknown id. */
export async function loadTraceTrail(repo: Repo, traceId: string): Promise<Trail> {
  const events = await readTraceEvents(repo, traceRef(traceId));
  if (events.length === 0) throw unknownTrace(traceId);
  return foldTrail(events);
}

const ordered = new WeakMap<Trail, Patch[]>();
/** The patch maps of folds that met a patch already folded (listed again, by its step or another). */
const listedAgain = new WeakSet<Map<string, Patch>>();

/**
 * Patches of the trail in a stable order: trace start, step index, file, line (computed once per
 * trail; callers must not change it). The survival cache's checkpoints index patches in this order
 * and take it as given for a trail of the same name: a change of the order bumps its CACHE_VERSION.
 */
export function orderedPatches(trail: Trail): Patch[] {
  let hit = ordered.get(trail);
  if (!hit) ordered.set(trail, (hit = sortPatches(trail)));
  return hit;
}

function sortPatches(trail: Trail): Patch[] {
  // Each patch ranks where a step first lists it: walking the steps in order is the sort. When the
  // fold met no patch twice, each is listed once and needs no set of those seen.
  const out: Patch[] = [];
  const seen = listedAgain.has(trail.patches) ? new Set<string>() : null;
  const traces = [...trail.traces.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.traceId.localeCompare(b.traceId));
  for (const t of traces) {
    for (const s of t.steps) {
      for (const id of s.patchIds) {
        if (seen) {
          if (seen.has(id)) continue;
          seen.add(id);
        }
        const p = trail.patches.get(id);
        if (p) out.push(p);
      }
    }
  }
  // A patch no step lists (not one the fold makes) goes last, by file and line.
  if (out.length < trail.patches.size) {
    const listed = seen ?? new Set(out.map((p) => p.patchId));
    out.push(...[...trail.patches.values()].filter((p) => !listed.has(p.patchId)).sort((a, b) => a.path.localeCompare(b.path) || a.newStart - b.newStart));
  }
  return out;
}

const stepsByPatch = new WeakMap<Trail, Map<string, Step>>();

/** The step that recorded a patch (the last to list it). The index is made on the first call: an update of the survival cache asks for few steps, or none. */
export function stepOf(trail: Trail, patch: Pick<Patch, 'patchId'>): Step | undefined {
  let index = stepsByPatch.get(trail);
  if (!index) {
    index = new Map();
    for (const trace of trail.traces.values()) for (const step of trace.steps) for (const id of step.patchIds) index.set(id, step);
    stepsByPatch.set(trail, index);
  }
  return index.get(patch.patchId);
}

/** The window of a step still open (started, not ended) in a trace, if any. */
export function openStepOf(trail: Trail, traceId: string, stepId: string): Step | undefined {
  return trail.traces.get(traceId)?.steps.find((s) => s.stepId === stepId && s.endedAt === null);
}
