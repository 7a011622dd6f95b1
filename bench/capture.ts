import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openRepo } from '../src/git/repo.js';
import { takeSnapshot } from '../src/capture/snapshot.js';
import { OT_BIN } from '../fixtures/scenario.js';
import { median } from './stats.js';

/**
 * Capture speed against the git CLI doing the same work, on a generated tree of 10,000 files
 * (issue 2): no-change snapshot vs `git status --porcelain -uall`, 10 changed files likewise,
 * first snapshot (no stat cache) vs a temporary-index `git add -A` + `git write-tree`, the same
 * for an untracked tree, and `ot --version` start-up. Snapshots are timed in-process; git runs
 * as a process, as a user runs it. Medians; ratio = ot / git.
 */
const FILES = 10_000;
const REPS = 7;

const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' };
const git = (dir: string, args: string[], extra: NodeJS.ProcessEnv = {}) => execFileSync('git', args, { cwd: dir, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });

async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function generate(dir: string): string[] {
  const files: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const rel = `src/m${i % 20}/d${Math.floor(i / 20) % 25}/file${i}.ts`;
    fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), `// file ${i}\nexport const v${i} = ${i};\nexport function f${i}(x: number) {\n  return x * ${i};\n}\n`);
    files.push(rel);
  }
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n*.log\n');
  return files;
}

function newRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ot-bench-'));
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['config', 'gc.auto', '0']); // no background gc moving objects during the measurements
  return dir;
}

const statCache = (dir: string) => path.join(dir, '.git', 'ot', 'stat');
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

export async function benchCapture(): Promise<string[]> {
  const lines: string[] = [];
  const row = (name: string, ours: number[], theirs: number[], target?: number) => {
    const a = median(ours);
    const b = median(theirs);
    const ratio = a / b;
    lines.push(`${name.padEnd(44)} ot ${fmt(a).padStart(10)}  git ${fmt(b).padStart(10)}  ratio ${ratio.toFixed(2)}x${target ? `  (target <= ${target}x: ${ratio <= target ? 'met' : 'MISSED'})` : ''}`);
  };
  lines.push(`capture: ${FILES} files, medians of ${REPS} runs (ot in-process; git as the CLI)`);

  // A committed tree, as in a real repository.
  const dir = newRepo();
  try {
    const files = generate(dir);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-qm', 'generated']);
    await new Promise((r) => setTimeout(r, 1100)); // past the racy window of index and files

    // First snapshot: no stat cache (tracked files are known from the index, as git knows them).
    const firstOt: number[] = [];
    const firstGit: number[] = [];
    const firstGitEmpty: number[] = [];
    const tmpIndex = path.join(dir, '.git', 'bench-index');
    let ourTree = '';
    let gitTree = '';
    for (let i = 0; i < REPS; i++) {
      fs.rmSync(statCache(dir), { recursive: true, force: true });
      firstOt.push(await time(async () => { ourTree = (await takeSnapshot(await openRepo(dir))).tree; }));
      fs.copyFileSync(path.join(dir, '.git', 'index'), tmpIndex);
      firstGit.push(await time(() => { git(dir, ['add', '-A'], { GIT_INDEX_FILE: tmpIndex }); gitTree = git(dir, ['write-tree'], { GIT_INDEX_FILE: tmpIndex }).toString().trim(); }));
      fs.rmSync(tmpIndex, { force: true });
      firstGitEmpty.push(await time(() => { git(dir, ['add', '-A'], { GIT_INDEX_FILE: tmpIndex }); git(dir, ['write-tree'], { GIT_INDEX_FILE: tmpIndex }); }));
      fs.rmSync(tmpIndex, { force: true });
    }
    row('first snapshot vs add -A + write-tree', firstOt, firstGit, 3);
    row('  (git with an empty temporary index)', firstOt, firstGitEmpty);
    if (ourTree !== gitTree) lines.push(`  warning: the snapshot tree ${ourTree} differs from git's ${gitTree}`);

    // No change: the stat cache answers for every file.
    const repo0 = await openRepo(dir);
    await takeSnapshot(repo0);
    const noOt: number[] = [];
    const noGit: number[] = [];
    let hashed = 0;
    for (let i = 0; i < REPS; i++) {
      noOt.push(await time(async () => { hashed += (await takeSnapshot(await openRepo(dir))).hashed; }));
      noGit.push(await time(() => git(dir, ['status', '--porcelain', '-uall'])));
    }
    row('no-change snapshot vs status --porcelain -uall', noOt, noGit, 3);
    if (hashed !== 0) lines.push(`  warning: unchanged snapshots hashed ${hashed} files`);

    // Ten changed files each run.
    const tenOt: number[] = [];
    const tenGit: number[] = [];
    let tenHashed = 0;
    for (let i = 0; i < REPS; i++) {
      for (let k = 0; k < 10; k++) fs.appendFileSync(path.join(dir, files[(i * 997 + k * 101) % FILES]!), `// run ${i}\n`);
      tenOt.push(await time(async () => { tenHashed = (await takeSnapshot(await openRepo(dir))).hashed; }));
      for (let k = 0; k < 10; k++) fs.appendFileSync(path.join(dir, files[(i * 991 + k * 103 + 7) % FILES]!), `// git run ${i}\n`);
      tenGit.push(await time(() => git(dir, ['status', '--porcelain', '-uall'])));
    }
    row('10 changed files vs status --porcelain -uall', tenOt, tenGit, 3);
    lines.push(`  (last 10-change snapshot hashed ${tenHashed} files)`);
    // The last ot snapshot saw the tree before git's round of changes: compare with git on that state.
    fs.copyFileSync(path.join(dir, '.git', 'index'), tmpIndex);
    git(dir, ['add', '-A'], { GIT_INDEX_FILE: tmpIndex });
    const gitNow = git(dir, ['write-tree'], { GIT_INDEX_FILE: tmpIndex }).toString().trim();
    fs.rmSync(tmpIndex, { force: true });
    const oursNow = (await takeSnapshot(await openRepo(dir))).tree;
    if (oursNow !== gitNow) lines.push(`  warning: the snapshot tree ${oursNow} differs from git's ${gitNow}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  // An untracked tree: nothing known, every file read and hashed by both.
  const udir = newRepo();
  try {
    generate(udir);
    const uOt: number[] = [];
    const uGit: number[] = [];
    const tmpIndex = path.join(udir, '.git', 'bench-index');
    for (let i = 0; i < 3; i++) {
      fs.rmSync(statCache(udir), { recursive: true, force: true });
      uOt.push(await time(async () => takeSnapshot(await openRepo(udir))));
      uGit.push(await time(() => { git(udir, ['add', '-A'], { GIT_INDEX_FILE: tmpIndex }); git(udir, ['write-tree'], { GIT_INDEX_FILE: tmpIndex }); }));
      fs.rmSync(tmpIndex, { force: true });
    }
    row('untracked first snapshot vs add -A + write-tree', uOt, uGit);
    lines.push('  (3 runs; objects exist after the first run for both)');
  } finally {
    fs.rmSync(udir, { recursive: true, force: true });
  }

  // Start-up.
  const starts: number[] = [];
  for (let i = 0; i < 15; i++) {
    starts.push(await time(() => spawnSync(process.execPath, [OT_BIN, '--version'], { stdio: 'ignore' })));
  }
  const bare: number[] = [];
  for (let i = 0; i < 15; i++) {
    bare.push(await time(() => spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' })));
  }
  const s = median(starts);
  lines.push(`${'ot --version start-up (15 runs)'.padEnd(44)} median ${fmt(s)}  (target <= 150 ms: ${s <= 150 ? 'met' : 'MISSED'}; bare node -e 0: ${fmt(median(bare))})`);
  return lines;
}
