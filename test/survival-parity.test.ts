import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
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
  const lines = mismatches.length ? lineDisagreements(s.dir, report, new Set(replayed), trail) : { explained: [], unexplained: [] };
  console.log(`parity ${shape} (${commits} commits, seed ${seed}): ${(rate * 100).toFixed(3)}% of ${total} lines${mismatches.length ? `; mismatches: ${mismatches.join('; ')}; lines: ${[...lines.explained, ...lines.unexplained].join('; ')}` : ''}`);
  return { rate, mismatches, total, ...lines };
}

/**
 * Line by line, where our owner of a line at HEAD and git blame's differ: the disagreement is
 * explained by an equally minimal diff alignment when both name a replayed commit and the line's
 * text is what our patch added, byte for byte: two commits added that same text (a `}`, a blank
 * line) and the two diffs kept a different one of the identical lines, at the same edit count.
 * Returns the disagreements, explained that way or not.
 */
function lineDisagreements(dir: string, report: Awaited<ReturnType<typeof computeSurvival>>, replayed: Set<string>, trail: Awaited<ReturnType<typeof loadTrail>>): { explained: string[]; unexplained: string[] } {
  const explained: string[] = [];
  const unexplained: string[] = [];
  const files = execFileSync('git', ['ls-tree', '-r', '--name-only', '-z', 'HEAD'], { cwd: dir, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    const porcelain = execFileSync('git', ['blame', '--line-porcelain', 'HEAD', '--', f], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
    const lines = [...porcelain.matchAll(/^([0-9a-f]{40}) \d+ (\d+)[^\n]*\n(?:[^\t][^\n]*\n)*\t([^\n]*)$/gm)].map((m) => ({ commit: m[1]!, line: Number(m[2]), text: m[3]! }));
    const ours = report.lines.get(f) ?? [];
    for (const b of lines) {
      const o = ours[b.line - 1] ?? null;
      const mine = o && !o.edited ? o.anchorCommit : null;
      const theirs = replayed.has(b.commit) ? b.commit : null;
      if (mine === theirs) continue;
      const text = o ? trail.patches.get(o.patchId)!.added[o.lineIndex] : undefined;
      const row = `${f}:${b.line} ours ${mine?.slice(0, 10) ?? 'none'} blame ${theirs?.slice(0, 10) ?? 'none'} ${JSON.stringify(b.text)}`;
      (mine && theirs && text === b.text ? explained : unexplained).push(row);
    }
  }
  return { explained, unexplained };
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
      // Every mismatch is one of two identical lines kept by equally minimal alignments.
      if (r.mismatches.length) expect(r.explained.length).toBeGreaterThan(0);
      expect(r.unexplained).toEqual([]);
    });
  }
});
