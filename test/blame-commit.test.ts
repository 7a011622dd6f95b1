import { afterEach, describe, expect, it } from 'vitest';
import { reportWith } from './helpers.js';
import { buildMixedCommit, buildPrRepo, INTENT_PARSER, type PrRepo } from '../fixtures/scenarios/pr.js';
import { HUMAN, Scenario } from '../fixtures/scenario.js';
import { loadTrail } from '../src/store/trail.js';
import { buildBlameCommit } from '../src/views/blame-commit.js';

const made: Scenario[] = [];
afterEach(() => {
  for (const s of made.splice(0)) s.cleanup();
});

describe('blame commit view', () => {
  let pr: PrRepo;
  it('splits each commit into its hunks with the step that wrote them, and counts coverage', async () => {
    pr = await buildPrRepo();
    made.push(pr.scenario);
    const repo = await pr.scenario.repo();
    const trail = await loadTrail(repo);
    const report = reportWith(trail, pr.scenario.head(), { 'write-parser': 'repaired', export: 'alive_on_path' });

    const v = await buildBlameCommit(repo, trail, pr.commits.parser, report);
    expect(v.commit).toBe(pr.commits.parser);
    expect(v.subject).toBe('Add config parser');
    expect(v.coverage).toEqual({ tracedLines: 6, totalLines: 6 });
    expect(v.hunks.map((h) => [h.path, h.change, h.new, h.attribution, h.traceId, h.stepId, h.stepIndex, h.agent, h.intent, h.survival?.state])).toEqual([
      ['src/index.ts', 'modified', { start: 2, count: 1 }, 'traced', 't-claude', 'export', 2, 'claude-code', INTENT_PARSER, 'alive_on_path'],
      ['src/parse.ts', 'added', { start: 1, count: 5 }, 'traced', 't-claude', 'write-parser', 1, 'claude-code', INTENT_PARSER, 'repaired'],
    ]);
    expect(v.traces).toEqual([{ traceId: 't-claude', agent: 'claude-code', steps: 2 }]);

    const human = await buildBlameCommit(repo, trail, pr.commits.humanTweak, report);
    expect(human.coverage).toEqual({ tracedLines: 0, totalLines: 3 });
    expect(human.hunks.map((h) => [h.path, h.old, h.new, h.attribution, h.reason])).toEqual([
      ['README.md', { start: 1, count: 0 }, { start: 2, count: 2 }, 'unattributed', 'no recorded step wrote these lines'],
      ['src/parse.ts', { start: 4, count: 1 }, { start: 4, count: 1 }, 'unattributed', 'no recorded step wrote these lines'],
    ]);

    const revert = await buildBlameCommit(repo, trail, pr.commits.revertCli, report);
    expect(revert.coverage).toEqual({ tracedLines: 0, totalLines: 0 });
    expect(revert.hunks.map((h) => [h.path, h.change, h.old, h.removedLines, h.attribution])).toEqual([['src/cli.ts', 'deleted', { start: 1, count: 4 }, 4, 'unattributed']]);
  });

  it('splits one git hunk written by two steps and a human into three entries', async () => {
    const m = await buildMixedCommit();
    made.push(m.scenario);
    const repo = await m.scenario.repo();
    const trail = await loadTrail(repo);
    const v = await buildBlameCommit(repo, trail, m.commit, reportWith(trail, m.commit, { a: 'alive_on_path', b: 'alive_on_path' }));
    expect(v.coverage).toEqual({ tracedLines: 4, totalLines: 5 });
    expect(v.hunks.map((h) => [h.hunk, h.new, h.attribution, h.stepId])).toEqual([
      [0, { start: 3, count: 2 }, 'traced', 'a'],
      [0, { start: 5, count: 1 }, 'unattributed', null],
      [0, { start: 6, count: 2 }, 'traced', 'b'],
    ]);
  });

  it('finds the steps of a commit no hook anchored, from its content', async () => {
    const s = new Scenario({ hooks: 'none' });
    made.push(s);
    s.write('a.txt', 'base\n');
    await s.commit('base', HUMAN);
    await s.turn('t', 'Write two lines');
    await s.agentStep({ trace: 't', step: 'w' }, () => s.write('a.txt', 'base\nx = 1\ny = 2\n'));
    const c = await s.commit('two lines');
    const repo = await s.repo();
    const trail = await loadTrail(repo);
    expect(trail.anchors.size).toBe(0);
    const v = await buildBlameCommit(repo, trail, c, null);
    expect(v.coverage).toEqual({ tracedLines: 2, totalLines: 2 });
    expect(v.hunks.map((h) => [h.stepId, h.firmness, h.intent, h.survival])).toEqual([['w', 'exact', 'Write two lines', null]]);
  });
});
