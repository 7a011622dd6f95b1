import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { replayParity, parityLine } from '../fixtures/parity.js';

/**
 * Replay parity on a real repository: `OT_BENCH_PARITY_REPO=<git repository>` (bare or not) and
 * `OT_BENCH_PARITY_COMMITS` (default 200): its last N first-parent commits are replayed as agent
 * steps, then every replayed commit's alive lines are checked against `git blame --porcelain` at
 * HEAD (the same measure as the parity tests on generated histories). Skipped without a repository.
 * `OT_BENCH_PARITY_KEEP=<dir>` keeps the replayed, recorded repository there (for
 * `OT_BENCH_SURVIVAL_REPO`: the survival bench on a real history).
 */
export async function benchParity(): Promise<string[]> {
  const given = process.env.OT_BENCH_PARITY_REPO;
  if (!given) return ['parity: skipped (set OT_BENCH_PARITY_REPO to a git repository to replay its first-parent history)'];
  const n = Math.max(1, Number(process.env.OT_BENCH_PARITY_COMMITS ?? 200));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ot-bench-parity-'));
  try {
    execFileSync('git', ['clone', '-q', '--no-checkout', given, dir], { stdio: 'ignore' });
    const all = execFileSync('git', ['rev-list', '--first-parent', '--reverse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean);
    const firstParent = all.slice(-n);
    const t0 = Date.now();
    const r = await replayParity({ dir, firstParent, reverts: [] }, process.env.OT_BENCH_PARITY_KEEP);
    const name = execFileSync('git', ['log', '-1', '--format=%h %cs', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    return [`${parityLine(`${path.basename(given.replace(/\/(\.git|repo)\/?$/, ''))} at ${name}, last ${firstParent.length} of ${all.length} first-parent commits`, r)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
