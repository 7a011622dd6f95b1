import { z } from 'zod';
import { STATE_ORDER } from './formats.js';

/** Contract section 4: what became of a patch's lines at a revision. */
export const SurvivalState = z.enum(STATE_ORDER);
export type SurvivalState = z.infer<typeof SurvivalState>;

export const LostKind = z.enum(['deleted', 'file_deleted', 'off_path', 'never_committed']);
export type LostKind = z.infer<typeof LostKind>;

export const Survival = z.object({
  state: SurvivalState,
  /** Added lines of the patch; the four counts below add up to it. */
  totalLines: z.number().int().nonnegative(),
  /** Unchanged, same file lineage: what `git blame` at the revision gives the anchor commit. */
  aliveLines: z.number().int().nonnegative(),
  movedLines: z.number().int().nonnegative(),
  editedLines: z.number().int().nonnegative(),
  deletedLines: z.number().int().nonnegative(),
  /** The commit that caused the state, where there is one. */
  byCommit: z.string().nullable(),
  lostKind: LostKind.nullable(),
  /** Why the state is `unknown` (or any other note on the evidence). */
  reason: z.string().nullable(),
});
export type Survival = z.infer<typeof Survival>;

/** One point of `--timeline`: the state after `commit`, where it changed. */
export const TimelinePoint = z.object({ commit: z.string(), state: SurvivalState, survival: Survival });
export type TimelinePoint = z.infer<typeof TimelinePoint>;
