import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { Scenario } from '../fixtures/scenario.js';
import { loadTrail } from '../src/store/trail.js';

const scenarios: Scenario[] = [];
const make = (o?: ConstructorParameters<typeof Scenario>[0]) => {
  const s = new Scenario(o);
  scenarios.push(s);
  return s;
};
afterEach(() => {
  for (const s of scenarios.splice(0)) s.cleanup();
});

describe('snapshots', () => {
  it('equal the tree git writes for the same files, untracked and ignored handled as git does', async () => {
    const s = make();
    s.write('.gitignore', 'build/\n*.log\n!keep.log\n');
    s.write('src/a.ts', 'export const a = 1;\n');
    s.write('run.sh', '#!/bin/sh\necho hi\n');
    execFileSync('chmod', ['+x', s.path('run.sh')]);
    execFileSync('ln', ['-s', 'src/a.ts', s.path('link.ts')]);
    s.write('build/out.js', 'ignored\n');
    s.write('debug.log', 'ignored\n');
    s.write('keep.log', 'kept\n');
    s.write('dir with space/ü.txt', 'unicode\n');
    const r = await s.agentStep({ trace: 't', step: '1' }, () => s.write('new.txt', 'untracked\n'));
    expect(r.patches.map((p) => p.path)).toEqual(['new.txt']);
    // git's own tree of the same working tree, through a temporary index.
    const env = { ...process.env, GIT_INDEX_FILE: s.path('.git/tmp-index') };
    execFileSync('git', ['add', '-A'], { cwd: s.dir, env });
    const gitTree = execFileSync('git', ['write-tree'], { cwd: s.dir, env, encoding: 'utf8' }).trim();
    const trail = await loadTrail(await s.repo());
    const step = trail.traces.get('t')!.steps[0]!;
    const ourTree = s.git('rev-parse', `${step.afterCommit}^{tree}`).trim();
    expect(ourTree).toBe(gitTree);
  });
});
