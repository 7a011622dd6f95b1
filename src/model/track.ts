import { z } from 'zod';
import { TRACK_SCHEMA } from './formats.js';
import { Firmness } from './events.js';
import { Survival, SurvivalState, TimelinePoint } from './survival.js';

/** `ot trail track --json` (contract section 5): schema "ot.trail.track/1". Fields are only ever added. */

export const TrackPatch = z.object({
  patchId: z.string(),
  traceId: z.string(),
  stepId: z.string(),
  /** 0-based index of the step within its trace. */
  stepIndex: z.number().int().nonnegative().nullable(),
  path: z.string(),
  /** 1-based first line and line count of the patch's added lines, in the step's after-snapshot. */
  newStart: z.number().int().nonnegative(),
  newLines: z.number().int().nonnegative(),
  anchor: z.object({ commit: z.string(), firmness: Firmness }).nullable(),
  survival: Survival,
  timeline: z.array(TimelinePoint).optional(),
});
export type TrackPatch = z.infer<typeof TrackPatch>;

export const TrackReport = z.object({
  schema: z.literal(TRACK_SCHEMA),
  at: z.string().nullable(),
  traces: z.array(z.string()),
  patches: z.array(TrackPatch),
  summary: z.object({
    patches: z.number().int().nonnegative(),
    byState: z.record(SurvivalState, z.number().int().nonnegative()),
    lines: z.object({ total: z.number().int(), alive: z.number().int(), moved: z.number().int(), edited: z.number().int(), deleted: z.number().int() }),
  }),
});
export type TrackReport = z.infer<typeof TrackReport>;
