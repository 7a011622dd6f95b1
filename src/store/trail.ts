import type { Repo } from '../git/repo.js';
import type { Anchor, Limitation, Patch, StepKind, TrailEvent } from '../model/events.js';
import { currentTrailName, readAllEventsNamed, readTraceEvents, traceRef, type EventsFile, type StoredEvent } from './log.js';
import { loadFold, saveFold } from './fold-file.js';
import { corruptError, usageError } from '../errors.js';
import { withUnattributed } from './stored-patch.js';
import { IdIndex } from './id-index.js';

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
  /** Each patch by id (built on the first read: the survival engine reads `orderedPatches`). */
  patches: ReadonlyMap<string, Patch>;
  /** The current anchor of each anchored patch (the latest anchor event wins: rewrites move it); built on the first read (the engine reads `recordedAnchors`). */
  anchors: ReadonlyMap<string, Anchor>;
  /** Every event, each trace's in order (a trail read from its kept fold decodes them on the first read). */
  readonly events: StoredEvent[];
  /**
   * A name for exactly these events, for a whole trail read from the store (the same name, the same
   * events: derived data such as the survival cache keys on it); null for a trail folded from
   * events given.
   */
  name: string | null;
}

/**
 * What the fold keeps beside the trail's fields: each patch by a place (the order the fold first
 * met them), its current anchor by the same place, and the places each step lists. The survival
 * engine works on these; `patches` and `anchors` by id are built from them when first read.
 */
interface Folded {
  list: Patch[];
  /** The place of each patch id (made on the first lookup for a trail read from its kept fold). */
  index: IdIndex | null;
  anchorOf: (Anchor | undefined)[];
  stepPlaces: Map<Step, Places>;
  /** Every anchor recorded, in event order (a trail read from its kept fold makes them on the first read). */
  anchors: Anchor[] | (() => Anchor[]);
}
/** The places a step lists (a kept fold's are read in place). */
export type Places = ArrayLike<number> & Iterable<number>;
const folded = new WeakMap<Trail, Folded>();

export function foldTrail(events: StoredEvent[], name: string | null = null): Trail {
  const traces = new Map<string, Trace>();
  // The patches listed, all told: the lists by place are made at that size, not grown a push at a
  // time (a trail of thousands of patches), and cut to the patches placed at the end.
  let listed = 0;
  for (const { event } of events) if (event.type === 'step_end') listed += event.patches.length;
  const f: Folded = { list: new Array(listed), index: new IdIndex(listed), anchorOf: new Array(listed), stepPlaces: new Map(), anchors: [] };
  const openTurn = new Map<string, { turnId: string; intent: string }>();
  // The last step of each id, per trace (a restart replaces it while it is open; an end ends it).
  const stepsById = new Map<Trace, Map<string, Step>>();
  // Anchors of patches no step has listed yet (out of order: taken when one does).
  const early = new Map<string, Anchor>();
  for (const { commit, event } of events) {
    let trace = traces.get(event.traceId);
    if (!trace) {
      trace = { traceId: event.traceId, agent: null, startedAt: event.at, endedAt: event.at, steps: [], turns: [] };
      traces.set(event.traceId, trace);
      stepsById.set(trace, new Map());
    }
    // A trace spans its own activity; anchor and unattribute events come later, from hooks.
    if (event.type !== 'anchor' && event.type !== 'unattribute') {
      if (event.at < trace.startedAt) trace.startedAt = event.at;
      if (event.at > trace.endedAt) trace.endedAt = event.at;
    }
    applyEvent(trace, commit, event, f, early, openTurn, stepsById.get(trace)!);
  }
  f.list.length = f.anchorOf.length = f.index!.size;
  return trailOf(traces, f, () => events, name);
}

/** The trail of folded parts; `events` gives its events (read when first asked for). */
function trailOf(traces: Map<string, Trace>, f: Folded, events: () => StoredEvent[], name: string | null): Trail {
  let patches: Map<string, Patch> | null = null;
  let anchors: Map<string, Anchor> | null = null;
  let all: StoredEvent[] | null = null;
  const trail: Trail = {
    traces,
    get patches() {
      return (patches ??= new Map(f.list.map((p) => [p.patchId, p])));
    },
    get anchors() {
      // Every anchor in event order, the latest for each patch winning (a patch of no step included).
      if (!anchors) {
        anchors = new Map();
        for (const a of allAnchors(this)) anchors.set(a.patchId, a);
      }
      return anchors;
    },
    get events() {
      return (all ??= events());
    },
    name,
  };
  folded.set(trail, f);
  return trail;
}

function applyEvent(
  trace: Trace,
  commit: string,
  event: TrailEvent,
  f: Folded,
  early: Map<string, Anchor>,
  openTurn: Map<string, { turnId: string; intent: string }>,
  /** The trace's last step of each id: the one an end ends, or a start restarts while it is open. */
  stepsById: Map<string, Step>,
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
      const last = stepsById.get(event.stepId);
      const existing = last?.endedAt === null ? last : undefined;
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
      stepsById.set(event.stepId, step);
      break;
    }
    case 'step_end': {
      const step = stepsById.get(event.stepId);
      if (!step) break;
      step.endedAt = event.at;
      step.afterCommit = commit;
      step.tokens = event.tokens ?? step.tokens;
      step.cost = event.cost ?? step.cost;
      if (event.limitations.length) step.limitations = [...step.limitations, ...event.limitations];
      const before: Places = f.stepPlaces.get(step) ?? [];
      // The step's places and ids, made at the size of the patches listed (a push at a time grows
      // each list twice or more for a step of a few dozen patches, in every step of the trail).
      const n = event.patches.length;
      const places: number[] = new Array(before.length + n);
      const ids: string[] = new Array(before.length + n);
      let k = 0;
      for (; k < before.length; k++) {
        places[k] = before[k]!;
        ids[k] = step.patchIds[k]!;
      }
      // A step lists each patch once. A patch new to the trail is new to the step; the others are
      // looked up in a set of the step's places (one step can hold thousands of patches).
      let listed: Set<number> | null = null;
      for (const p of event.patches) {
        // Read once: a stored patch's id is read from its file's stream.
        const id = p.patchId;
        const placed = f.index!.size;
        const at = f.index!.place(id);
        if (at === placed) {
          f.list[at] = p;
          if (early.size) f.anchorOf[at] = early.get(id);
        } else if ((listed ??= new Set(places.slice(0, k))).has(at)) continue;
        listed?.add(at);
        places[k] = at;
        ids[k++] = id;
      }
      places.length = ids.length = k;
      f.stepPlaces.set(step, places);
      step.patchIds = ids;
      break;
    }
    case 'anchor':
      for (const a of event.anchors) {
        (f.anchors as Anchor[]).push(a);
        const at = f.index!.placeOf(a.patchId);
        if (at >= 0) f.anchorOf[at] = a;
        else early.set(a.patchId, a);
      }
      break;
    case 'unattribute':
      for (const id of event.patchIds) {
        const at = f.index!.placeOf(id);
        if (at >= 0) f.list[at] = withUnattributed(f.list[at]!, f.list[at]!.unattributed ?? event.reason);
      }
      break;
  }
}

/**
 * The whole trail of the repository: its kept fold while its events are the same (`fold-file.ts`),
 * else read and folded from its events, and the fold kept.
 */
export async function loadTrail(repo: Repo): Promise<Trail> {
  const current = await currentTrailName(repo);
  const kept = loadFold(repo, current);
  if (kept) {
    // (The steps' places are read when first asked for: the steps are decoded then.)
    const f: Folded = {
      list: kept.list,
      index: null,
      anchorOf: kept.anchorOf,
      get stepPlaces() {
        return kept.stepPlaces;
      },
      anchors: kept.anchors,
    };
    const trail = trailOf(kept.traces, f, () => keptEvents(kept.files), current);
    ordered.set(trail, orderFrom(f, kept.order));
    return trail;
  }
  const { events, name, files } = await readAllEventsNamed(repo);
  const trail = foldTrail(events, name);
  if (files) {
    const f = foldOf(trail);
    saveFold(repo, name, files, { traces: trail.traces, list: f.list, anchorOf: f.anchorOf, stepPlaces: f.stepPlaces, order: orderOf(trail).places, anchors: allAnchors(trail) });
  }
  return trail;
}

/** The events of the files a kept fold was read from, in their order (the same bytes the fold read them from). */
function keptEvents(files: EventsFile[]): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const file of files) {
    const events = file.value()?.events;
    if (!Array.isArray(events)) throw corruptError(`the trail's cache file ${file.path} no longer decodes; remove it and run the command again`);
    for (const e of events as StoredEvent[]) out.push(e);
  }
  return out;
}

/** The usage error for a trace id with no recorded trail. */
export const unknownTrace = (traceId: string) => usageError(`unknown trace '${traceId}': no trail is recorded for it (ot trail track lists the traces)`, 'unknown_trace');

/** One trace's trail, or a usage error naming the unknown id. */
export async function loadTraceTrail(repo: Repo, traceId: string): Promise<Trail> {
  const events = await readTraceEvents(repo, traceRef(traceId));
  if (events.length === 0) throw unknownTrace(traceId);
  return foldTrail(events);
}

/** `orderedPatches`, the fold's place of each of them, and each place's index among them. */
interface Order {
  patches: Patch[];
  places: number[];
  rank: Int32Array;
}
const ordered = new WeakMap<Trail, Order>();

/**
 * Patches of the trail in a stable order: trace start, step index, file, line (computed once per
 * trail; callers must not change it). The survival cache's checkpoints index patches in this order
 * and take it as given for a trail of the same name: a change of the order bumps its CACHE_VERSION.
 */
export function orderedPatches(trail: Trail): Patch[] {
  return orderOf(trail).patches;
}

/**
 * Every anchor recorded, in the order of their events: a patch's earlier anchors too (a revert of
 * any commit it was anchored to reverts it), and anchors of patches no step lists. A trail read
 * from its kept fold makes them from their places, without decoding its events.
 */
export function allAnchors(trail: Trail): readonly Anchor[] {
  const f = foldOf(trail);
  if (typeof f.anchors === 'function') f.anchors = f.anchors();
  return f.anchors;
}

/** Each patch's current anchor (the latest anchor event's), in the order of `orderedPatches`; null for a patch never anchored. */
export function recordedAnchors(trail: Trail): (Anchor | null)[] {
  const { anchorOf } = foldOf(trail);
  return orderOf(trail).places.map((at) => anchorOf[at] ?? null);
}

/** The index of a patch in `orderedPatches(trail)`, by id (the fold's index of ids); undefined for an id the trail lacks. */
export function orderedIndexOf(trail: Trail): (patchId: string) => number | undefined {
  const f = foldOf(trail);
  const { rank } = orderOf(trail);
  return (patchId) => {
    const at = indexOf(f).placeOf(patchId);
    return at < 0 ? undefined : rank[at];
  };
}

function foldOf(trail: Trail): Folded {
  const f = folded.get(trail);
  if (!f) throw new Error('a trail not made by foldTrail');
  return f;
}

/** The fold's index of ids, made from its patches on the first lookup where the fold was kept (most updates make none). */
function indexOf(f: Folded): IdIndex {
  if (!f.index) {
    const index = new IdIndex(f.list.length);
    for (const p of f.list) index.place(p.patchId);
    f.index = index;
  }
  return f.index;
}

function orderOf(trail: Trail): Order {
  let hit = ordered.get(trail);
  if (!hit) ordered.set(trail, (hit = sortPatches(trail)));
  return hit;
}

function sortPatches(trail: Trail): Order {
  // Each patch ranks where a step first lists it: walking the steps in order is the sort.
  const f = foldOf(trail);
  const taken = new Uint8Array(f.list.length);
  // Every place once: the list is made at its size.
  const places: number[] = new Array(f.list.length);
  let n = 0;
  const traces = [...trail.traces.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.traceId.localeCompare(b.traceId));
  for (const t of traces) {
    for (const s of t.steps) {
      for (const at of f.stepPlaces.get(s) ?? []) {
        if (taken[at]) continue;
        taken[at] = 1;
        places[n++] = at;
      }
    }
  }
  // A patch no step lists (the fold makes none: every patch it places, a step lists) would go last,
  // by file and line.
  if (n < f.list.length) {
    const rest = f.list.map((_, at) => at).filter((at) => !taken[at]);
    rest.sort((a, b) => f.list[a]!.path.localeCompare(f.list[b]!.path) || f.list[a]!.newStart - f.list[b]!.newStart);
    for (const at of rest) places[n++] = at;
  }
  return orderFrom(f, places);
}

/** The order of the fold's places given (each once; a kept fold's are copied from its file). */
function orderFrom(f: Folded, order: number[] | Int32Array): Order {
  let places: number[];
  if (Array.isArray(order)) places = order;
  else {
    // A loop, not Array.from: that walks a typed array by its iterator, an object per element.
    places = new Array(order.length);
    for (let i = 0; i < order.length; i++) places[i] = order[i]!;
  }
  const rank = new Int32Array(places.length);
  places.forEach((at, i) => (rank[at] = i));
  return { patches: places.map((at) => f.list[at]!), places, rank };
}

const stepsByPlace = new WeakMap<Trail, (Step | undefined)[]>();

/** The step that recorded a patch (the last to list it). The steps by the fold's places are found on the first call: an update of the survival cache asks for few steps, or none. */
export function stepOf(trail: Trail, patch: Pick<Patch, 'patchId'>): Step | undefined {
  const at = indexOf(foldOf(trail)).placeOf(patch.patchId);
  return at < 0 ? undefined : placeSteps(trail)[at];
}

/** The step that recorded each patch of `orderedPatches`, in that order (no lookup by id: a view of every patch asks for all). */
export function orderedSteps(trail: Trail): (Step | undefined)[] {
  const steps = placeSteps(trail);
  return orderOf(trail).places.map((at) => steps[at]);
}

function placeSteps(trail: Trail): (Step | undefined)[] {
  let steps = stepsByPlace.get(trail);
  if (!steps) {
    const f = foldOf(trail);
    steps = new Array(f.list.length);
    for (const trace of trail.traces.values()) for (const step of trace.steps) for (const at of f.stepPlaces.get(step) ?? []) steps[at] = step;
    stepsByPlace.set(trail, steps);
  }
  return steps;
}

/** The window of a step still open (started, not ended) in a trace, if any. */
export function openStepOf(trail: Trail, traceId: string, stepId: string): Step | undefined {
  return trail.traces.get(traceId)?.steps.find((s) => s.stepId === stepId && s.endedAt === null);
}
