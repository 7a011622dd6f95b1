import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { buildLongBranch } from '../fixtures/scenarios/pr.js';
import { OT_BIN } from '../fixtures/scenario.js';
import { median } from './stats.js';

/**
 * The blame views against their budgets (issue 4): `blame pr render` of a 30-commit branch on a
 * 5,000-commit history at most 2 s, `blame commit` at most 0.5 s, each next to the git command that
 * shows the same commits (`git log -p base..head`, `git show`) as a ratio. Times are wall clock of
 * the real `ot` binary (Node start-up included). `cold`: the first run, the survival engine's cache
 * empty; `warm`: the median of the next runs.
 */
const HISTORY = 5_000;
const BRANCH = 30;
const RUNS = 3;

function time(cmd: string, args: string[], cwd: string): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

function measure(label: string, budgetMs: number, ot: string[], git: string[], cwd: string): string {
  const cold = time(process.execPath, [OT_BIN, ...ot], cwd);
  const warm = median(Array.from({ length: RUNS }, () => time(process.execPath, [OT_BIN, ...ot], cwd)));
  const g = median(Array.from({ length: RUNS }, () => time('git', git, cwd)));
  const ok = Math.max(cold, warm) <= budgetMs ? 'ok' : 'OVER BUDGET';
  return `${label}: cold ${fmt(cold)}, warm ${fmt(warm)} (budget ${fmt(budgetMs)}: ${ok}); git ${git[0]} ${fmt(g)}, ratio ${(warm / g).toFixed(1)}x warm, ${(cold / g).toFixed(1)}x cold`;
}

export async function benchViews(): Promise<string[]> {
  const t0 = performance.now();
  const b = await buildLongBranch(HISTORY, BRANCH);
  const built = performance.now() - t0;
  try {
    const s = b.scenario;
    const lines = [`views bench repository: ${HISTORY} commits of history, a ${BRANCH}-commit branch with one agent step each (built in ${fmt(built)})`];
    lines.push(
      measure(
        `blame pr render (${BRANCH} commits, markdown)`,
        2000,
        ['trail', 'blame', 'pr', 'render', '--base', b.base, '--head', b.head, '--format', 'markdown', '--color', 'never'],
        ['log', '-p', `${b.base}..${b.head}`],
        s.dir,
      ),
    );
    const mid = b.commits[Math.floor(b.commits.length / 2)]!;
    lines.push(measure('blame commit (one branch commit)', 500, ['trail', 'blame', 'commit', mid.slice(0, 8), '--color', 'never'], ['show', mid.slice(0, 8)], s.dir));
    return lines;
  } finally {
    b.scenario.cleanup();
  }
}
