import type { PrExplorerModel } from '../views/explorer.js';
import type { AppData } from './screen.js';

/**
 * The PR card for the interface: the card src/views/pr.ts builds (the same as `ot trail blame pr
 * render`), joined with the explorer's model for its trail, conversation and diff tabs.
 */
export async function loadPrModel(repoDir: string, base?: string, head?: string): Promise<{ pr: PrExplorerModel; data: AppData & { kind: 'pr' } }> {
  const { openRepo } = await import('../git/repo.js');
  const { loadExplorer, buildPrExplorer } = await import('../views/explorer.js');
  const { resolvePrRange, buildPrCard } = await import('../views/pr.js');
  const repo = await openRepo(repoDir);
  const range = await resolvePrRange(repo, { base, head });
  const { trail, report, model } = await loadExplorer(repoDir, { timeline: true, at: range.head });
  const card = await buildPrCard(repo, trail, range, report);
  const pr = buildPrExplorer(card, model);
  return { pr, data: { kind: 'pr', model, pr } };
}
