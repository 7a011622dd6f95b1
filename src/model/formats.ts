/**
 * Names and versions of the file formats and JSON documents, and the survival states, kept free of
 * zod: the read paths (`track`, `blame`, the interface) use them without loading the schemas, which
 * are loaded where something is validated (writes, a chain read from git, `verify`, JSON output of
 * the blame views). The schemas in this folder build on these; a test checks they agree.
 */

/** The event format's version (`v` of every event). */
export const EVENT_VERSION = 1;

export const TRACK_SCHEMA = 'ot.trail.track/1';
export const BLAME_COMMIT_SCHEMA = 'ot.trail.blame-commit/1';
export const BLAME_FILE_SCHEMA = 'ot.trail.blame-file/1';
export const BLAME_PR_SCHEMA = 'ot.trail.blame-pr/1';

/** Contract section 4's states, best first: the order of tables, bars, legends, counts and pies. */
export const STATE_ORDER = ['alive_on_path', 'moved', 'alive_transformed', 'repaired', 'partially_preserved', 'reverted', 'lost', 'pending', 'unknown'] as const;

export type StateName = (typeof STATE_ORDER)[number];

/** A count per state, every state at 0, in the states' order. */
export function emptyCounts(): Record<StateName, number> {
  return Object.fromEntries(STATE_ORDER.map((s) => [s, 0])) as Record<StateName, number>;
}

/** States in which a patch's lines are all still there (unchanged, moved or edited): it is alive. */
export const ALIVE_STATES: ReadonlySet<StateName> = new Set(['alive_on_path', 'moved', 'alive_transformed', 'repaired']);

/** How many of the counted patches are alive. */
export const aliveCount = (byState: Record<StateName, number>): number => [...ALIVE_STATES].reduce((n, s) => n + byState[s], 0);
