/**
 * Reverts: `git revert` (reverted, byCommit the revert), a revert of the revert (alive_on_path
 * again), a hand-made revert (the content from before the patch restored, no message), a squash
 * whose message carries "This reverts commit X", and a revert of a commit rewritten without hooks.
 * Anchors are recorded once by an explicit `anchor()` (no hook). The oracle of "is the inverse":
 * `git patch-id --stable` of the reverting commit's reversed diff equals the original commit's.
 */
import { describe, expect, it } from 'vitest';
import { scenario } from './helpers.js';
import { spawnSync } from 'node:child_process';
import { blameAliveLines, gitPatchIdStable, HUMAN, Scenario, survivalByStep } from '../fixtures/scenario.js';

// Scenarios made here are removed after each test (test/helpers.ts).
const make = scenario;

const block = (tag: string, n = 4) => Array.from({ length: n }, (_, i) => `export const ${tag}${i} = '${tag}-${i * 13}';`).join('\n') + '\n';
const APP = Array.from({ length: 20 }, (_, i) => `export function f${i}(x: number): number { return x * ${i + 1}; }`).join('\n') + '\n';
const F3F4 = 'export function f3(x: number): number { return x * 4; }\nexport function f4(x: number): number { return x * 5; }\n';

/** `git patch-id --stable` of the diff from `a` to `b` (so `revertOf(r) = pid(r, r^)` is the reverse of r). */
function pidOfDiff(s: Scenario, a: string, b: string): string {
  return spawnSync('git', ['patch-id', '--stable'], { cwd: s.dir, input: s.git('diff', '--no-color', a, b), encoding: 'utf8' }).stdout.split(' ')[0]!;
}

/** base (human): app.ts. add: new file add.ts; ins: 4 lines inserted after f9; mod: f3..f4 replaced by 3 lines. One commit each. */
async function threeCommits(s: Scenario) {
  s.write('app.ts', APP);
  const base = await s.commit('base', HUMAN);
  const c: Record<string, string> = {};
  const step = async (tag: string, edit: () => void) => {
    await s.agentStep({ trace: 't', step: tag }, edit);
    c[tag] = await s.commit(`agent: ${tag}`);
    expect((await s.anchor(c[tag])).anchors.length).toBe(1);
  };
  await step('add', () => s.write('add.ts', block('add')));
  await step('ins', () => s.replace('app.ts', 'x * 10; }\n', 'x * 10; }\n' + block('ins')));
  await step('mod', () => s.replace('app.ts', F3F4, block('mod', 3)));
  return { base, c };
}

describe('git revert', () => {
  it('each git revert yields reverted with byCommit the revert; a revert of the revert brings the patch back alive_on_path', async () => {
    const s = make({ hooks: 'none' });
    const { c } = await threeCommits(s);
    const before = await survivalByStep(s);
    for (const st of ['add', 'ins', 'mod']) expect(before.get(st)!.survival.state).toBe('alive_on_path');
    const rev: Record<string, string> = {};
    for (const st of ['ins', 'mod']) {
      s.gitAs(HUMAN, 'revert', '--no-edit', c[st]!);
      rev[st] = s.head();
      // The oracle: git's revert is the inverse of the commit.
      expect(pidOfDiff(s, rev[st]!, `${rev[st]}^`)).toBe(gitPatchIdStable(s, c[st]!));
      const now = await survivalByStep(s);
      expect(now.get(st)!.survival, st).toMatchObject({ state: 'reverted', byCommit: rev[st], aliveLines: 0, deletedLines: now.get(st)!.patch.added.length });
    }
    // Revert the revert of mod: back alive, the content there again, unchanged.
    s.gitAs(HUMAN, 'revert', '--no-edit', rev.mod!);
    const reMod = s.head();
    const after = await survivalByStep(s);
    expect(after.get('mod')!.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 3, deletedLines: 0, byCommit: reMod });
    expect(after.get('ins')!.survival).toMatchObject({ state: 'reverted', byCommit: rev.ins });
    expect(after.get('add')!.survival).toMatchObject({ state: 'alive_on_path', byCommit: c.add });
    // Blame gives those lines to the revert of the revert, not the anchor: what the contract's
    // `alive_on_path` after a revert of a revert means is "the lines are there again, unchanged".
    expect(s.read('app.ts')).toContain(block('mod', 3));
    expect(blameAliveLines(s, 'HEAD', after.get('mod')!)).toBe(0);
    // Revert the re-revert again: reverted once more, by that commit.
    s.gitAs(HUMAN, 'revert', '--no-edit', reMod);
    expect((await survivalByStep(s)).get('mod')!.survival).toMatchObject({ state: 'reverted', byCommit: s.head() });
  });

  it('a patch that created a file: git revert (file deleted) is reverted; the revert of the revert (file back) is alive_on_path', async () => {
    const s = make({ hooks: 'none' });
    const { c } = await threeCommits(s);
    s.gitAs(HUMAN, 'revert', '--no-edit', c.add!);
    const rev = s.head();
    expect(s.exists('add.ts')).toBe(false);
    expect(pidOfDiff(s, rev, `${rev}^`)).toBe(gitPatchIdStable(s, c.add!));
    expect((await survivalByStep(s)).get('add')!.survival).toMatchObject({ state: 'reverted', byCommit: rev, aliveLines: 0, deletedLines: 4 });
    s.gitAs(HUMAN, 'revert', '--no-edit', rev);
    const reAdd = s.head();
    expect(s.read('add.ts')).toBe(block('add'));
    expect((await survivalByStep(s)).get('add')!.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 4, deletedLines: 0, byCommit: reAdd });
  });

  it('a hand-made revert (content from before the patch restored, no revert message) is reverted; a rewrite of the lines is not', async () => {
    const s = make({ hooks: 'none' });
    const { c } = await threeCommits(s);
    // mod: the human puts f3..f4 back by hand.
    s.replace('app.ts', block('mod', 3), F3F4);
    const undo = await s.commit('simplify', HUMAN);
    expect(s.git('log', '-1', '--format=%B', undo)).not.toMatch(/revert/i);
    expect(pidOfDiff(s, undo, `${undo}^`)).toBe(gitPatchIdStable(s, c.mod!));
    // add: the file the patch created, deleted by hand.
    s.remove('add.ts');
    const rm = await s.commit('cleanup', HUMAN);
    let st = await survivalByStep(s);
    expect(st.get('mod')!.survival).toMatchObject({ state: 'reverted', byCommit: undo });
    expect(st.get('add')!.survival).toMatchObject({ state: 'reverted', byCommit: rm });
    // ins: its lines replaced by other lines (not the inverse of the patch): lost, deleted.
    s.replace('app.ts', block('ins'), 'console.log("debug mode");\n');
    const rewrite = await s.commit('rewrite', HUMAN);
    expect(pidOfDiff(s, rewrite, `${rewrite}^`)).not.toBe(gitPatchIdStable(s, c.ins!));
    st = await survivalByStep(s);
    expect(st.get('ins')!.survival).toMatchObject({ state: 'lost', lostKind: 'deleted', byCommit: rewrite });
    // Putting mod's lines back by hand (no message) revives it.
    s.replace('app.ts', F3F4, block('mod', 3));
    const back = await s.commit('again', HUMAN);
    expect((await survivalByStep(s)).get('mod')!.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 3, byCommit: back });
  });

  it('a pure insertion deleted by hand is reverted (the inverse of the patch), byCommit the deleting commit', async () => {
    const s = make({ hooks: 'none' });
    await threeCommits(s);
    s.replace('app.ts', block('ins'), '');
    const del = await s.commit('drop the block', HUMAN);
    expect((await survivalByStep(s)).get('ins')!.survival).toMatchObject({ state: 'reverted', byCommit: del, deletedLines: 4 });
  });
});

describe('a squash whose message says "This reverts commit X"', () => {
  /** mod on main; on a branch: `git revert mod`, then a human rewrites the restored lines; squashed onto main. */
  async function squashWithRevert(s: Scenario, message: (squashMsg: string) => string) {
    const { c } = await threeCommits(s);
    s.checkout('fix', true);
    s.gitAs(HUMAN, 'revert', '--no-edit', c.mod!);
    s.replace('app.ts', F3F4, 'export function g3(y: string): string { return y.trim(); }\n');
    await s.commit('g3 instead', HUMAN);
    s.checkout('main');
    s.git('merge', '--squash', 'fix');
    const squashMsg = s.read('.git/SQUASH_MSG');
    s.gitAs(HUMAN, 'commit', '-q', '-m', message(squashMsg));
    s.git('branch', '-q', '-D', 'fix');
    const squash = s.head();
    // The squash's diff is not the inverse of mod (the lines were rewritten on the branch).
    expect(pidOfDiff(s, squash, `${squash}^`)).not.toBe(gitPatchIdStable(s, c.mod!));
    return { c, squash };
  }

  it('git\'s squash message (it lists the revert): reverted, byCommit the squash', async () => {
    const s = make({ hooks: 'none' });
    const { c, squash } = await squashWithRevert(s, (m) => m);
    expect(s.git('log', '-1', '--format=%B')).toContain(`This reverts commit ${c.mod}`);
    expect((await survivalByStep(s)).get('mod')!.survival).toMatchObject({ state: 'reverted', byCommit: squash, aliveLines: 0 });
  });

  it('a forge squash listing the revert with an abbreviated id: reverted; without the line: lost, deleted', async () => {
    const s = make({ hooks: 'none' });
    const { c, squash } = await squashWithRevert(s, () => 'Fix g3 (#31)');
    expect((await survivalByStep(s)).get('mod')!.survival).toMatchObject({ state: 'lost', lostKind: 'deleted', byCommit: squash });
    // Same content, message rewritten the way a forge lists squashed commits.
    s.git('reset', '-q', '--soft', 'HEAD^');
    s.gitAs(HUMAN, 'commit', '-q', '-m', `Fix g3 (#31)\n\n* Revert "agent: mod"\n\nThis reverts commit ${c.mod!.slice(0, 10)}.\n\n* g3 instead\n`);
    expect((await survivalByStep(s)).get('mod')!.survival).toMatchObject({ state: 'reverted', byCommit: s.head() });
  });
});

describe('revert of a commit rewritten without hooks', () => {
  it('rebase -i reorders (no hook), then git revert of the new commit: reverted; its revert brings it back', async () => {
    const s = make({ hooks: 'none' });
    const { base, c } = await threeCommits(s);
    const res = s.rebaseInteractive(base, (todo) => todo.split('\n').filter((l) => /^pick /.test(l)).reverse().join('\n') + '\n');
    expect(res.code, res.stderr).toBe(0);
    const newMod = s.rev(':/agent: mod');
    expect(newMod).not.toBe(c.mod);
    expect(gitPatchIdStable(s, newMod)).toBe(gitPatchIdStable(s, c.mod!));
    const st0 = await survivalByStep(s);
    expect(st0.get('mod')!.anchor).toMatchObject({ commit: newMod, firmness: 'exact' });
    expect(st0.get('mod')!.survival.state).toBe('alive_on_path');
    s.gitAs(HUMAN, 'revert', '--no-edit', newMod);
    const r = s.head();
    expect(s.git('log', '-1', '--format=%B')).toContain(`This reverts commit ${newMod}`);
    expect((await survivalByStep(s)).get('mod')!.survival).toMatchObject({ state: 'reverted', byCommit: r });
    s.gitAs(HUMAN, 'revert', '--no-edit', r);
    expect((await survivalByStep(s)).get('mod')!.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 3, byCommit: s.head() });
  });
});
