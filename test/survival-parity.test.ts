import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { Scenario } from '../fixtures/scenario.js';
import { blameCounts, generateHistory, replayHistory, type HistoryShape } from '../fixtures/histories.js';
import { loadTrail } from '../src/store/trail.js';
import { computeSurvival } from '../src/survival/engine.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * Replay parity: each first-parent commit of a generated history replayed as one agent step; for
 * every replayed commit, the sum of aliveLines of its patches must equal the lines `git blame
 * --porcelain` at HEAD gives that commit.
 */
async function parity(shape: HistoryShape, commits: number, seed: number) {
  const src = generateHistory({ shape, commits, seed });
  dirs.push(src.dir);
  const s = new Scenario({ hooks: 'direct' });
  dirs.push(s.dir);
  const { replayed } = await replayHistory(src, s);
  const repo = await s.repo();
  const trail = await loadTrail(repo);
  const report = await computeSurvival(repo, trail, { cache: false });
  const ours = new Map<string, number>();
  for (const ps of report.patches.values()) {
    if (!ps.anchor) continue;
    ours.set(ps.anchor.commit, (ours.get(ps.anchor.commit) ?? 0) + ps.survival.aliveLines);
  }
  const blame = blameCounts(s.dir);
  let agree = 0;
  let total = 0;
  const mismatches: string[] = [];
  for (const c of replayed) {
    const a = ours.get(c) ?? 0;
    const b = blame.get(c) ?? 0;
    agree += Math.min(a, b);
    total += Math.max(a, b);
    if (a !== b) mismatches.push(`${c.slice(0, 10)} ours ${a} blame ${b}`);
  }
  const rate = total ? agree / total : 1;
  console.log(`parity ${shape} (${commits} commits, seed ${seed}): ${(rate * 100).toFixed(3)}% of ${total} lines${mismatches.length ? `; mismatches: ${mismatches.join('; ')}` : ''}`);
  return { rate, mismatches, total };
}

describe('replay parity with git blame', () => {
  for (const [shape, n, seed] of [
    ['long-files', 40, 1],
    ['many-files', 40, 2],
    ['renames', 40, 3],
    ['reverts', 40, 4],
    ['merges', 40, 5],
    ['mixed', 60, 6],
  ] as [HistoryShape, number, number][]) {
    it(`${shape}: alive lines per commit equal git blame's`, async () => {
      const r = await parity(shape, n, seed);
      expect(r.total).toBeGreaterThan(100);
      expect(r.rate).toBeGreaterThanOrEqual(0.995);
    });
  }
});
