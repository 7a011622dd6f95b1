import type { Anchor } from '../model/events.js';
import type { Survival, TimelinePoint } from '../model/survival.js';

/** What the survival engine says of one patch at a revision. */
export interface PatchSurvival {
  patchId: string;
  survival: Survival;
  /** The effective anchor: recorded by a hook, or re-found from content after a rewrite. */
  anchor: Anchor | null;
  /** With `timeline`: the state at each commit (oldest first) where it changed. */
  timeline?: TimelinePoint[];
}

/** The owner of one line of a file at the revision: which patch's added line it descends from. */
export interface LineOwner {
  patchId: string;
  /** Index into the patch's `added` lines. */
  lineIndex: number;
  /** The patch's (effective) anchor commit. */
  anchorCommit: string;
  /** The line was edited since it was added (it is no longer byte-identical). */
  edited: boolean;
}

export interface SurvivalReport {
  /** The commit the revision resolved to; null on an unborn branch. */
  at: string | null;
  /**
   * Each patch's survival in the trail's order (`orderedPatches` of the trail given): entry i is
   * patch i's, null for a patch of a trace not asked for.
   */
  inTrailOrder: readonly (PatchSurvival | null)[];
  /** The same by patch id (built on the first read: a view that walks the trail's order needs none). */
  patches: ReadonlyMap<string, PatchSurvival>;
  /** Every file at the revision holding tracked lines: one entry per line, null where no step wrote it. */
  lines: Map<string, (LineOwner | null)[]>;
}

export interface SurvivalOptions {
  /** Revision to judge at (default HEAD). */
  at?: string;
  timeline?: boolean;
  /** Restrict to these traces (default: every patch of the trail). */
  traceIds?: string[];
}
