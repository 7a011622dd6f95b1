import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { Scenario } from '../fixtures/scenario.js';
import { generateHistory, recordHistoryAsTrail } from '../fixtures/histories.js';
import { openRepo } from '../src/git/repo.js';
import { loadTrail } from '../src/store/trail.js';
import { computeSurvival, lastPassStats } from '../src/survival/engine.js';

const ms = (t: bigint) => Number(t) / 1e6;

/**
 * Survival bench: a generated history of 1,000 commits (mixed shape: edits, renames, reverts,
 * merges), every first-parent commit recorded as one step with its patches and anchor. Then, in the
 * same run: the full survival pass (no cache) vs `git blame --porcelain` of every file at HEAD; the
 * update after one new commit on top (from the cache) vs the full pass; peak memory.
 */
export async function benchSurvival(commits = Number(process.env.OT_BENCH_COMMITS ?? 1000)): Promise<string[]> {
  const out: string[] = [];
  const t0 = process.hrtime.bigint();
  const src = generateHistory({ shape: 'mixed', commits, seed: 42 });
  const patches = await recordHistoryAsTrail(src.dir);
  out.push(`survival: generated ${commits} commits, recorded ${patches} patches in ${(ms(process.hrtime.bigint() - t0) / 1000).toFixed(1)} s`);
  try {
    // git blame of every file at HEAD.
    const b0 = process.hrtime.bigint();
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: src.dir, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const f of files) execFileSync('git', ['blame', '--porcelain', 'HEAD', '--', f], { cwd: src.dir, maxBuffer: 1 << 28 });
    const blame = ms(process.hrtime.bigint() - b0);
    // Full pass, one Repo (one cache) for the command.
    const f0 = process.hrtime.bigint();
    let repo = await openRepo(src.dir);
    const report = await computeSurvival(repo, await loadTrail(repo), { cache: false });
    const full = ms(process.hrtime.bigint() - f0);
    const fullCommits = lastPassStats.commitsProcessed;
    out.push(`survival: full pass ${full.toFixed(0)} ms over ${fullCommits} commits for ${report.patches.size} patches; git blame of ${files.length} files ${blame.toFixed(0)} ms; ratio ${(full / blame).toFixed(2)} (target <= 1.0, stretch 0.5)`);
    // Warm the cache, add one commit, time the update.
    repo = await openRepo(src.dir);
    await computeSurvival(repo, await loadTrail(repo), {});
    const s = new Scenario({ dir: src.dir, hooks: 'none' });
    const f = files.find((x) => x.endsWith('.ts'))!;
    fs.appendFileSync(`${src.dir}/${f}`, 'export const benchTail = 1;\n');
    s.git('add', '-A');
    s.git('commit', '-q', '-m', 'one more');
    const u0 = process.hrtime.bigint();
    repo = await openRepo(src.dir);
    await computeSurvival(repo, await loadTrail(repo), {});
    const upd = ms(process.hrtime.bigint() - u0);
    out.push(`survival: update after one new commit ${upd.toFixed(0)} ms (${lastPassStats.commitsProcessed} commit replayed, resumed from ${lastPassStats.resumedFrom?.slice(0, 8) ?? 'nothing'}) = ${((upd / full) * 100).toFixed(1)}% of the full pass (target <= 5%)`);
    out.push(`survival: peak memory (max RSS) ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    fs.rmSync(src.dir, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] && /bench[\\/]survival\.ts$/.test(process.argv[1])) {
  for (const l of await benchSurvival()) console.log(l);
}
