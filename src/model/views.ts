import { z } from 'zod';
import { Firmness, FileChange } from './events.js';
import { Survival, SurvivalState } from './survival.js';

/**
 * The JSON documents of the blame views (contract section 5). These schemas are the single source of
 * truth: the views build values of these types and the CLI validates them before printing. Fields
 * are only ever added; the `/1` in a schema name changes only if a field's meaning changes.
 */


const sha = z.string().regex(/^[0-9a-f]{40}$/, 'a 40-hex commit id');

/** Patches (or hunks) per survival state: every state present, zero where none. */
export const StateCounts = z.object(Object.fromEntries(SurvivalState.options.map((s) => [s, z.number().int().nonnegative()])) as Record<SurvivalState, z.ZodNumber>);
export type StateCounts = z.infer<typeof StateCounts>;

/** 1-based line range `start..start+count-1` (count 0: an empty side, `start` the line before it). */
const Range = z.object({ start: z.number().int().nonnegative(), count: z.number().int().nonnegative() });

/**
 * One hunk of a commit's diff against its first parent, or the part of it one step wrote: a git hunk
 * whose added lines come from several steps (or partly from none) is split into one entry per run
 * of lines with the same author step.
 */
export const BlameHunk = z.object({
  /** 0-based index of the git hunk in the commit's diff (entries split from one hunk share it). */
  hunk: z.number().int().nonnegative(),
  path: z.string(),
  oldPath: z.string().nullable(),
  change: FileChange,
  binary: z.boolean(),
  /** The old side of the git hunk (removed lines); on the first entry of a split hunk only. */
  old: Range,
  /** The added lines of this entry in the file at the commit. */
  new: Range,
  addedLines: z.number().int().nonnegative(),
  removedLines: z.number().int().nonnegative(),
  /** `traced`: a step of a trace wrote these lines; `unattributed`: none did, or it cannot be told. */
  attribution: z.enum(['traced', 'unattributed']),
  traceId: z.string().nullable(),
  stepId: z.string().nullable(),
  stepIndex: z.number().int().nonnegative().nullable(),
  agent: z.string().nullable(),
  tool: z.string().nullable(),
  turnId: z.string().nullable(),
  intent: z.string().nullable(),
  patchId: z.string().nullable(),
  /** How the patch is tied to this commit: its anchor's firmness. */
  firmness: Firmness.nullable(),
  /** The patch's survival at the revision judged (HEAD by default). */
  survival: Survival.nullable(),
  /** Why the lines are unattributed, when they are. */
  reason: z.string().nullable(),
});
export type BlameHunk = z.infer<typeof BlameHunk>;

export const BlameCommitView = z.object({
  commit: sha,
  shortCommit: z.string(),
  subject: z.string(),
  author: z.object({ name: z.string(), email: z.string() }),
  /** Author date, ISO 8601. */
  date: z.string(),
  parent: sha.nullable(),
  /** The commit survival was judged at (HEAD), null on an unborn branch. */
  survivalAt: sha.nullable(),
  coverage: z.object({ tracedLines: z.number().int().nonnegative(), totalLines: z.number().int().nonnegative() }),
  hunks: z.array(BlameHunk),
  /** Each trace with a step in the commit, and its agent. */
  traces: z.array(z.object({ traceId: z.string(), agent: z.string().nullable(), steps: z.number().int().nonnegative() })),
});
export type BlameCommitView = z.infer<typeof BlameCommitView>;

export const BlameLine = z.object({
  /** 1-based line number in the file at the revision. */
  line: z.number().int().positive(),
  text: z.string(),
  traceId: z.string().nullable(),
  stepId: z.string().nullable(),
  patchId: z.string().nullable(),
  /** The patch's (effective) anchor commit. */
  anchorCommit: sha.nullable(),
  /** The line was edited since the step wrote it. */
  edited: z.boolean(),
});
export type BlameLine = z.infer<typeof BlameLine>;

export const BlameStep = z.object({
  traceId: z.string(),
  stepId: z.string(),
  index: z.number().int().nonnegative(),
  agent: z.string().nullable(),
  tool: z.string().nullable(),
  intent: z.string().nullable(),
  startedAt: z.string(),
});
export type BlameStep = z.infer<typeof BlameStep>;

export const BlameFileView = z.object({
  path: z.string(),
  /** The commit the revision resolved to. */
  at: sha,
  binary: z.boolean(),
  /** The lines asked for (1-based, inclusive), null for the whole file. */
  range: z.object({ start: z.number().int().positive(), end: z.number().int().positive() }).nullable(),
  totalLines: z.number().int().nonnegative(),
  tracedLines: z.number().int().nonnegative(),
  lines: z.array(BlameLine),
  /** The steps the lines name, in trace then step order. */
  steps: z.array(BlameStep),
});
export type BlameFileView = z.infer<typeof BlameFileView>;

export const PrCommit = z.object({
  /** 1-based position in the branch, oldest first. */
  index: z.number().int().positive(),
  sha,
  shortSha: z.string(),
  subject: z.string(),
  /** Some patch of the commit traces to a step with an intent. */
  aligned: z.boolean(),
  /** The intent of the commit's first traced step (by start time); null when not aligned. */
  intent: z.string().nullable(),
  /** Every distinct intent behind the commit's patches, in step order. */
  intents: z.array(z.string()),
  survival: z.object({
    /** The commit's patches per state at head. */
    byState: StateCounts,
    /** Patches alive at head (alive_on_path, moved, alive_transformed, repaired). */
    alive: z.number().int().nonnegative(),
    patches: z.number().int().nonnegative(),
  }),
  /** The trajectory that led to the commit: steps since the trace's previous landed step, and their turns. */
  steps: z.number().int().nonnegative(),
  turns: z.number().int().nonnegative(),
  traceIds: z.array(z.string()),
  hunks: z.number().int().nonnegative(),
  tracedLines: z.number().int().nonnegative(),
  totalLines: z.number().int().nonnegative(),
  merge: z.boolean(),
});
export type PrCommit = z.infer<typeof PrCommit>;

export const PrCardView = z.object({
  base: sha,
  head: sha,
  /** The revisions as given (or chosen: the merge-base's source is named in `baseSource`). */
  baseRef: z.string(),
  headRef: z.string(),
  baseSource: z.enum(['argument', 'origin-head', 'main', 'master', 'origin/main', 'origin/master']),
  title: z.string(),
  /** The distinct intents behind the branch, in the order they were first given. */
  intents: z.array(z.string()),
  alignment: z.object({ aligned: z.number().int().nonnegative(), total: z.number().int().nonnegative() }),
  /**
   * Hunks of the branch's commits (each commit against its first parent, split by author step as
   * `blame commit` shows them); `aliveHunks` the traced ones whose patch is alive at head.
   */
  scope: z.object({
    hunks: z.number().int().nonnegative(),
    aliveHunks: z.number().int().nonnegative(),
    tracedHunks: z.number().int().nonnegative(),
    untracedHunks: z.number().int().nonnegative(),
    byState: StateCounts,
  }),
  coverage: z.object({ tracedLines: z.number().int().nonnegative(), totalLines: z.number().int().nonnegative() }),
  /** First step start to last step end of the traces involved; 0 without traces. */
  wallTimeMs: z.number().int().nonnegative(),
  /** Steps of the traces involved. */
  steps: z.number().int().nonnegative(),
  traces: z.number().int().nonnegative(),
  traceIds: z.array(z.string()),
  agents: z.array(z.object({ name: z.string(), steps: z.number().int().nonnegative() })),
  commits: z.array(PrCommit),
});
export type PrCardView = z.infer<typeof PrCardView>;
