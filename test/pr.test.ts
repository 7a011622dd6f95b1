import { afterEach, describe, expect, it } from 'vitest';
import { reportWith } from './helpers.js';
import { buildPrRepo, INTENT_CLI, INTENT_COMMENTS, INTENT_PARSER, type PrRepo } from '../fixtures/scenarios/pr.js';
import type { Scenario } from '../fixtures/scenario.js';
import { loadTrail } from '../src/store/trail.js';
import { buildPrCard, resolvePrRange } from '../src/views/pr.js';
import { commitsInRange, mergeBase } from '../src/git/history.js';

const made: Scenario[] = [];
afterEach(() => {
  for (const s of made.splice(0)) s.cleanup();
});

describe('PR card view', () => {
  it('aggregates alignment, scope, trajectories, agents and wall time on a known branch', async () => {
    const pr: PrRepo = await buildPrRepo();
    made.push(pr.scenario);
    const s = pr.scenario;
    const repo = await s.repo();
    const trail = await loadTrail(repo);
    const range = await resolvePrRange(repo, { head: 'feature' });
    // No origin: the base is the merge-base with main.
    expect(range).toMatchObject({ base: pr.base, head: pr.commits.revertCli, baseSource: 'main', baseRef: 'main' });
    const report = reportWith(trail, range.head, { 'write-parser': 'repaired', export: 'alive_on_path', comments: 'alive_on_path', cli: 'reverted' });
    const card = await buildPrCard(repo, trail, range, report);

    expect(card.commits.map((c) => c.sha)).toEqual([pr.commits.parser, pr.commits.comments, pr.commits.humanTweak, pr.commits.cli, pr.commits.revertCli]);
    expect(card.title).toBe(INTENT_PARSER);
    expect(card.intents).toEqual([INTENT_PARSER, INTENT_COMMENTS, INTENT_CLI]);
    expect(card.alignment).toEqual({ aligned: 3, total: 5 });
    expect(card.scope).toMatchObject({ hunks: 7, tracedHunks: 4, untracedHunks: 3, aliveHunks: 3 });
    expect(card.scope.byState).toMatchObject({ alive_on_path: 2, repaired: 1, reverted: 1, lost: 0 });
    expect(card.coverage).toEqual({ tracedLines: 11, totalLines: 14 });
    expect(card.traces).toBe(2);
    expect(card.traceIds).toEqual(['t-claude', 't-codex']);
    expect(card.steps).toBe(7);
    expect(card.agents).toEqual([{ name: 'claude-code', steps: 5 }, { name: 'codex', steps: 2 }]);

    const rows = card.commits.map((c) => [c.index, c.subject, c.aligned, c.intent, c.survival.alive, c.survival.patches, c.steps, c.turns, c.hunks, c.tracedLines, c.totalLines]);
    expect(rows).toEqual([
      [1, 'Add config parser', true, INTENT_PARSER, 2, 2, 3, 1, 2, 6, 6],
      [2, 'Skip comment lines', true, INTENT_COMMENTS, 1, 1, 1, 1, 1, 1, 1],
      [3, 'Say which line failed to parse', false, null, 0, 0, 0, 0, 2, 0, 3],
      [4, 'Add --config flag', true, INTENT_CLI, 0, 1, 2, 1, 1, 4, 4],
      [5, `Revert "Add --config flag"`, false, null, 0, 0, 0, 0, 1, 0, 0],
    ]);
    expect(card.commits[0]!.survival.byState).toMatchObject({ alive_on_path: 1, repaired: 1 });
    expect(card.commits[3]!.survival.byState).toMatchObject({ reverted: 1 });

    // Wall time: the first step of t-claude starts it, the last step of t-codex ends it.
    const claude = trail.traces.get('t-claude')!.steps;
    const codex = trail.traces.get('t-codex')!.steps;
    expect(card.wallTimeMs).toBe(Date.parse(codex[codex.length - 1]!.endedAt!) - Date.parse(claude[0]!.startedAt));
    expect(card.wallTimeMs).toBeGreaterThan(0);

    // A base given as a revision; an empty range.
    const same = await buildPrCard(repo, trail, await resolvePrRange(repo, { base: 'feature', head: 'feature' }), report);
    expect(same.commits).toEqual([]);
    expect(same.alignment).toEqual({ aligned: 0, total: 0 });
    expect(same.title).toBe('No commits between base and head');
  });

  it('takes the base from origin/HEAD when there is one, and walks ranges like git', async () => {
    const pr = await buildPrRepo();
    made.push(pr.scenario);
    const s = pr.scenario;
    // A remote default branch one commit into the feature: its merge-base with feature is that commit.
    s.git('update-ref', 'refs/remotes/origin/trunk', pr.commits.parser);
    s.git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/trunk');
    const repo = await s.repo();
    const range = await resolvePrRange(repo, { head: 'HEAD' });
    expect(range).toMatchObject({ base: pr.commits.parser, baseSource: 'origin-head', baseRef: 'origin/HEAD' });
    // Against git itself: rev-list and merge-base.
    const gitList = s.git('rev-list', '--reverse', '--topo-order', `${pr.base}..feature`).trim().split('\n');
    expect((await commitsInRange(repo, pr.base, pr.commits.revertCli)).map((c) => c.oid)).toEqual(gitList);
    s.checkout('main');
    s.write('other.txt', 'x\n');
    await s.commit('main moves on');
    const repo2 = await s.repo();
    expect(await mergeBase(repo2, s.head(), pr.commits.revertCli)).toBe(s.git('merge-base', 'HEAD', 'feature').trim());
    expect((await commitsInRange(repo2, s.head(), pr.commits.revertCli)).map((c) => c.oid)).toEqual(gitList);
  });
});
