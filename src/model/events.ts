import { z } from 'zod';
import { EVENT_VERSION } from './formats.js';
import { STEP_KINDS } from './kinds.js';

/**
 * The trail store's file format: one event per commit on a trace's ref under `refs/ot/traces/`,
 * the event as the commit message (one JSON line). These schemas validate every event written and
 * read. Fields are only ever added; `v` changes if a field's meaning changes.
 */

const oid = z.string().regex(/^[0-9a-f]{40}$/, 'a 40-hex object id');
export const StepKind = z.enum(STEP_KINDS);
export type StepKind = z.infer<typeof StepKind>;

export const Tokens = z.object({
  prompt: z.number().int().nonnegative().optional(),
  completion: z.number().int().nonnegative().optional(),
  total: z.number().int().nonnegative().optional(),
});

export const FileChange = z.enum(['added', 'modified', 'deleted', 'renamed']);
export type FileChange = z.infer<typeof FileChange>;

/**
 * One hunk of a step's diff (zero context). Lines carry no line terminator. `oldStart`/`newStart`
 * are 1-based; for an empty side they name the line before the hunk, as unified diffs do.
 */
export const Patch = z.object({
  patchId: oid,
  traceId: z.string(),
  stepId: z.string(),
  path: z.string(),
  oldPath: z.string().nullable(),
  change: FileChange,
  binary: z.boolean(),
  beforeBlob: oid.nullable(),
  afterBlob: oid.nullable(),
  oldStart: z.number().int().nonnegative(),
  oldLines: z.number().int().nonnegative(),
  newStart: z.number().int().nonnegative(),
  newLines: z.number().int().nonnegative(),
  removed: z.array(z.string()),
  added: z.array(z.string()),
  /** Set when the change cannot be credited to this step alone (overlapping windows). */
  unattributed: z.string().optional(),
});
export type Patch = z.infer<typeof Patch>;

/** A path left out of a snapshot (too large, unreadable) and why. */
export const Limitation = z.object({ path: z.string(), reason: z.string() });
export type Limitation = z.infer<typeof Limitation>;

const base = {
  v: z.literal(EVENT_VERSION),
  seq: z.number().int().nonnegative(),
  traceId: z.string().min(1),
  at: z.string().datetime({ offset: true }),
};

export const StepStartEvent = z.object({
  ...base,
  type: z.literal('step_start'),
  stepId: z.string().min(1),
  agent: z.string().nullable(),
  tool: z.string().nullable(),
  kind: StepKind,
  intent: z.string().nullable(),
  turnId: z.string().nullable(),
  /** The before-snapshot; the event's commit wraps this tree. */
  snapshotTree: oid,
  limitations: z.array(Limitation),
  tokens: Tokens.optional(),
  cost: z.number().nonnegative().optional(),
});

export const StepEndEvent = z.object({
  ...base,
  type: z.literal('step_end'),
  stepId: z.string().min(1),
  snapshotTree: oid,
  /** The before-snapshot tree, repeated so a step can be diffed without its start event. */
  beforeTree: oid,
  patches: z.array(Patch),
  limitations: z.array(Limitation),
  tokens: Tokens.optional(),
  cost: z.number().nonnegative().optional(),
});

/** A user prompt (Claude Code UserPromptSubmit): the intent of the steps that follow. */
export const TurnStartEvent = z.object({
  ...base,
  type: z.literal('turn_start'),
  turnId: z.string().min(1),
  agent: z.string().nullable(),
  intent: z.string(),
});

export const TurnEndEvent = z.object({ ...base, type: z.literal('turn_end'), turnId: z.string().nullable() });

export const Firmness = z.enum(['exact', 'fuzzy']);
export type Firmness = z.infer<typeof Firmness>;

export const Anchor = z.object({
  patchId: oid,
  commit: oid,
  firmness: Firmness,
  /** The file at the anchor commit holding the patch's lines. */
  path: z.string(),
  /** 1-based line numbers, in that file at the anchor commit, of the patch's added lines. */
  lines: z.array(z.number().int().positive()),
  /**
   * When only some of the added lines landed (a line dropped or added before the commit): which
   * added line (0-based) each entry of `lines` holds. Absent: entry k holds added line k.
   */
  addedIndex: z.array(z.number().int().nonnegative()).optional(),
}).refine((a) => !a.addedIndex || a.addedIndex.length === a.lines.length, { message: 'addedIndex needs one entry per line', path: ['addedIndex'] });
export type Anchor = z.infer<typeof Anchor>;

export const AnchorEvent = z.object({
  ...base,
  type: z.literal('anchor'),
  source: z.enum(['post-commit', 'post-rewrite', 'anchor-command']),
  anchors: z.array(Anchor),
});

/** Later evidence that patches already recorded cannot be credited to their step. */
export const UnattributeEvent = z.object({
  ...base,
  type: z.literal('unattribute'),
  patchIds: z.array(oid),
  reason: z.string(),
});

export const TrailEvent = z.discriminatedUnion('type', [
  StepStartEvent,
  StepEndEvent,
  TurnStartEvent,
  TurnEndEvent,
  AnchorEvent,
  UnattributeEvent,
]);
export type TrailEvent = z.infer<typeof TrailEvent>;
export type StepStartEvent = z.infer<typeof StepStartEvent>;
export type StepEndEvent = z.infer<typeof StepEndEvent>;
export type AnchorEvent = z.infer<typeof AnchorEvent>;

/** Distributive Omit, so each event variant keeps its own fields. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** What a caller hands the store; the store fills in `v`, `seq` and `traceId`. */
export type NewEvent = DistributiveOmit<TrailEvent, 'v' | 'seq' | 'traceId'>;

