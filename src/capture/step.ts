import type { Repo } from '../git/repo.js';
import { readCommit } from '../git/objects.js';
import { diffTreeFiles } from '../diff/file-changes.js';
import { appendEvent, readEventsOfStepsEndedAfter, readTraceEvents, traceRef } from '../store/log.js';
import { foldTrail, openStepOf, type Step } from '../store/trail.js';
import type { Patch, StepKind } from '../model/events.js';
import { usageError } from '../errors.js';
import { takeSnapshot, type SnapshotOptions } from './snapshot.js';
import { patchesOfFile } from './patches.js';

export interface StepStartInput extends SnapshotOptions {
  traceId: string;
  stepId: string;
  agent?: string | null;
  tool?: string | null;
  kind?: StepKind;
  intent?: string | null;
  turnId?: string | null;
  tokens?: { prompt?: number; completion?: number; total?: number };
  cost?: number;
  /** Override the clock (tests, imports); ISO-8601. */
  at?: string;
}

const now = () => new Date().toISOString();

async function openStep(repo: Repo, traceId: string, stepId: string): Promise<Step | undefined> {
  return openStepOf(foldTrail(await readTraceEvents(repo, traceRef(traceId))), traceId, stepId);
}

/** Opens a step window: takes the before-snapshot and records it. */
export async function stepStart(repo: Repo, input: StepStartInput): Promise<{ commit: string; tree: string; hashed: number }> {
  if (!input.traceId) throw usageError('a trace id is required (--trace)');
  if (!input.stepId) throw usageError('a step id is required (--step)');
  const open = await openStep(repo, input.traceId, input.stepId);
  if (open) throw usageError(`step '${input.stepId}' of trace '${input.traceId}' is already open (started ${open.startedAt}); end it first`, 'step_open');
  const snap = await takeSnapshot(repo, input);
  const stored = await appendEvent(repo, input.traceId, {
    type: 'step_start',
    at: input.at ?? now(),
    stepId: input.stepId,
    agent: input.agent ?? null,
    tool: input.tool ?? null,
    kind: input.kind ?? 'other',
    intent: input.intent ?? null,
    turnId: input.turnId ?? null,
    snapshotTree: snap.tree,
    limitations: snap.limitations,
    ...(input.tokens ? { tokens: input.tokens } : {}),
    ...(input.cost !== undefined ? { cost: input.cost } : {}),
  });
  return { commit: stored.commit, tree: snap.tree, hashed: snap.hashed };
}

export interface StepEndInput extends SnapshotOptions {
  traceId: string;
  stepId: string;
  tokens?: { prompt?: number; completion?: number; total?: number };
  cost?: number;
  at?: string;
}

export interface StepEndResult {
  commit: string;
  patches: Patch[];
  unattributed: number;
}

/**
 * Closes a step window: takes the after-snapshot and records one patch per hunk of the diff
 * between the two snapshots. When another step's window overlapped this one and both touched a
 * file, that file's changes are not credited to either step: both are marked unattributed.
 */
export async function stepEnd(repo: Repo, input: StepEndInput): Promise<StepEndResult> {
  const ref = traceRef(input.traceId);
  const events = await readTraceEvents(repo, ref);
  if (events.length === 0) throw usageError(`unknown trace '${input.traceId}': no step of it was started (run ot trail step start first)`, 'unknown_trace');
  const step = openStepOf(foldTrail(events), input.traceId, input.stepId);
  if (!step) throw usageError(`step '${input.stepId}' of trace '${input.traceId}' is not open: run ot trail step start --trace ${input.traceId} --step ${input.stepId} first`, 'step_not_open');
  const at = input.at ?? now();
  const before = await readCommit(repo, step.beforeCommit);
  const snap = await takeSnapshot(repo, input);
  const skip = new Set([...step.limitations, ...snap.limitations].map((l) => l.path));
  const files = await diffTreeFiles(repo, before.tree, snap.tree, { skip });
  let patches = files.flatMap((fd) => patchesOfFile(input.traceId, input.stepId, fd));

  // Overlapping windows of other steps that touched the same files make those changes ambiguous.
  // A step that changed nothing (most tool calls) can share no file: the other trails are not read.
  const touched = new Set(patches.flatMap((p) => [p.path, ...(p.oldPath ? [p.oldPath] : [])]));
  const ambiguous = new Map<string, string>();
  const theirs = new Map<string, { patchIds: string[]; reason: string }>();
  // Only traces with a step ended after this one started can overlap it (the store keeps each
  // trace's latest step end, so the others are not read).
  const startedAt = Date.parse(step.startedAt);
  const endsAt = Date.parse(at);
  const trail = touched.size ? foldTrail(await readEventsOfStepsEndedAfter(repo, startedAt, { ref, events })) : null;
  for (const trace of trail?.traces.values() ?? []) {
    for (const other of trace.steps) {
      if (other.traceId === input.traceId && other.stepId === input.stepId) continue;
      if (!other.endedAt || Date.parse(other.endedAt) <= startedAt || Date.parse(other.startedAt) >= endsAt) continue;
      for (const id of other.patchIds) {
        const op = trail!.patches.get(id);
        if (!op) continue;
        for (const f of [op.path, op.oldPath]) {
          if (!f || !touched.has(f)) continue;
          const reason = `overlapping step windows: step '${input.stepId}' of trace '${input.traceId}' and step '${other.stepId}' of trace '${other.traceId}' both touched ${f}`;
          ambiguous.set(f, reason);
          const entry = theirs.get(other.traceId) ?? { patchIds: [], reason };
          if (!op.unattributed && !entry.patchIds.includes(id)) entry.patchIds.push(id);
          theirs.set(other.traceId, entry);
        }
      }
    }
  }
  patches = patches.map((p) => {
    const reason = ambiguous.get(p.path) ?? (p.oldPath ? ambiguous.get(p.oldPath) : undefined);
    return reason ? { ...p, unattributed: reason } : p;
  });
  const stored = await appendEvent(repo, input.traceId, {
    type: 'step_end',
    at,
    stepId: input.stepId,
    snapshotTree: snap.tree,
    beforeTree: before.tree,
    patches,
    limitations: snap.limitations,
    ...(input.tokens ? { tokens: input.tokens } : {}),
    ...(input.cost !== undefined ? { cost: input.cost } : {}),
  });
  for (const [traceId, { patchIds, reason }] of theirs) {
    if (patchIds.length) await appendEvent(repo, traceId, { type: 'unattribute', at, patchIds, reason });
  }
  return { commit: stored.commit, patches, unattributed: patches.filter((p) => p.unattributed).length };
}

/** Records a user prompt: the intent of the steps that follow in this trace. */
export async function turnStart(repo: Repo, input: { traceId: string; turnId: string; intent: string; agent?: string | null; at?: string }): Promise<void> {
  await appendEvent(repo, input.traceId, { type: 'turn_start', at: input.at ?? now(), turnId: input.turnId, agent: input.agent ?? null, intent: input.intent });
}

export async function turnEnd(repo: Repo, input: { traceId: string; turnId?: string | null; at?: string }): Promise<void> {
  await appendEvent(repo, input.traceId, { type: 'turn_end', at: input.at ?? now(), turnId: input.turnId ?? null });
}
