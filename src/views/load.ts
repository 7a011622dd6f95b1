import type { Repo } from '../git/repo.js';
import { resolveRevision } from '../git/refs.js';
import { loadTrail, type Trail } from '../store/trail.js';
import type { SurvivalReport } from '../survival/types.js';
import type { BlameCommitView, BlameFileView, PrCardView } from '../model/views.js';
import { buildBlameCommit } from './blame-commit.js';
import { buildBlameFile, parseFileSpec } from './blame-file.js';
import { buildPrCard, resolvePrRange, type PrRange } from './pr.js';

/**
 * The blame views with their inputs read from the repository: the trail, and the survival engine's
 * report (src/survival/engine.ts). The builders themselves take a report, so they stay plain data.
 */
async function judge(repo: Repo, trail: Trail, at: string): Promise<SurvivalReport> {
  const { computeSurvival } = await import('../survival/engine.js');
  return computeSurvival(repo, trail, { at });
}

/** `blame commit REV`: REV resolved as git would (exit 2 for an unknown one), survival at HEAD. */
export async function loadBlameCommit(repo: Repo, rev: string): Promise<{ view: BlameCommitView; trail: Trail; report: SurvivalReport }> {
  const commit = await resolveRevision(repo, rev);
  const trail = await loadTrail(repo);
  const report = await judge(repo, trail, 'HEAD');
  return { view: await buildBlameCommit(repo, trail, commit, report), trail, report };
}

/** `blame file PATH[:LINE[-LINE]] --at REV`: lines and survival both at REV. */
export async function loadBlameFile(repo: Repo, spec: string, cwd: string, at = 'HEAD'): Promise<{ view: BlameFileView; trail: Trail; report: SurvivalReport }> {
  const file = parseFileSpec(spec, cwd, repo.dir);
  const commit = await resolveRevision(repo, at);
  const trail = await loadTrail(repo);
  const report = await judge(repo, trail, commit);
  return { view: await buildBlameFile(repo, trail, commit, file, report), trail, report };
}

/** `blame pr render`: the range (base defaulting to a merge-base), survival judged at head. */
export async function loadPrCard(repo: Repo, options: { base?: string; head?: string }): Promise<{ card: PrCardView; range: PrRange; trail: Trail; report: SurvivalReport }> {
  const range = await resolvePrRange(repo, options);
  const trail = await loadTrail(repo);
  const report = await judge(repo, trail, range.head);
  return { card: await buildPrCard(repo, trail, range, report), range, trail, report };
}
