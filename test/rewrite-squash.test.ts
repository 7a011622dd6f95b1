/**
 * Squash merges (forge-style with `git commit-tree`, and `git merge --squash` with git's own
 * squash message) with the branch deleted afterwards, and a cherry-pick onto another branch whose
 * conflict is resolved by hand. No hook: anchors are recorded once, at the original commits; only
 * content re-finding can find the squash / the picked commit. `git patch-id --stable` and
 * `git range-diff` are the oracle of which commit holds what, `git blame --porcelain` of the lines.
 */
import { describe, expect, it } from 'vitest';
import { scenario } from './helpers.js';
import { anchoredText, blameAliveLines, gitPatchIdStable, gitRangeDiff, HUMAN, Scenario, survivalByStep } from '../fixtures/scenario.js';

// Scenarios made here are removed after each test (test/helpers.ts).
const make = scenario;

const block = (tag: string, n = 4) => Array.from({ length: n }, (_, i) => `export const ${tag}${i} = '${tag}-${i * 13}';`).join('\n') + '\n';
const APP = Array.from({ length: 20 }, (_, i) => `export function f${i}(x: number): number { return x * ${i + 1}; }`).join('\n') + '\n';

async function agentCommit(s: Scenario, step: string, message: string, edit: () => void): Promise<string> {
  await s.agentStep({ trace: 't', step }, edit);
  const sha = await s.commit(message);
  expect((await s.anchor(sha)).anchors.length, step).toBe(1);
  return sha;
}

/**
 * main: base (app.ts). feature: one (new file), two (lines inserted in app.ts), gone (new file,
 * then deleted on the branch by a human), three (lines of app.ts replaced). main moves on with a
 * human commit at the top of app.ts meanwhile.
 */
async function featureBranch(s: Scenario) {
  s.write('app.ts', APP);
  const base = await s.commit('base', HUMAN);
  s.checkout('feature', true);
  const c = {
    one: await agentCommit(s, 'one', 'add one', () => s.write('one.ts', block('one'))),
    two: await agentCommit(s, 'two', 'add two', () => s.replace('app.ts', 'x * 9; }\n', 'x * 9; }\n' + block('two'))),
    gone: await agentCommit(s, 'gone', 'add gone', () => s.write('gone.ts', block('gone'))),
    three: await agentCommit(s, 'three', 'add three', () => s.replace('app.ts', 'export function f17(x: number): number { return x * 18; }\n', block('three', 3))),
  };
  s.remove('gone.ts');
  const removal = await s.commit('remove gone again', HUMAN);
  const tip = s.head();
  s.checkout('main');
  s.write('app.ts', '// header\n' + s.read('app.ts'));
  await s.commit('header', HUMAN);
  return { base, c, tip, removal };
}

function expectSquashed(s: Scenario, after: Awaited<ReturnType<typeof survivalByStep>>, before: Awaited<ReturnType<typeof survivalByStep>>, squash: string, removal: string) {
  for (const st of ['one', 'two', 'three']) {
    const a = after.get(st)!;
    expect(before.get(st)!.survival.state, st).toBe('alive_on_path');
    expect(a.survival, st).toMatchObject({ state: 'alive_on_path', aliveLines: a.patch.added.length, deletedLines: 0 });
    // Byte-identical lines inside a bigger commit: exact, at the lines git shows there.
    expect(a.anchor, st).toMatchObject({ commit: squash, firmness: 'exact' });
    expect(anchoredText(s, a), st).toEqual(a.patch.added);
    expect(blameAliveLines(s, 'HEAD', a), st).toBe(a.patch.added.length);
  }
  // The step whose file the branch itself deleted again (the inverse of the patch: a hand-made
  // revert there) never reached main: its commit is off main's path and nothing re-finds it.
  expect(before.get('gone')!.survival).toMatchObject({ state: 'reverted', byCommit: removal });
  expect(after.get('gone')!.survival).toMatchObject({ state: 'lost', lostKind: 'off_path', aliveLines: 0 });
  expect(s.git('log', '--format=%H', 'HEAD')).not.toContain(before.get('gone')!.anchor!.commit);
}

describe('squash merges without hooks, the branch deleted', () => {
  it('forge-style: one commit made with commit-tree on main, message listing the squashed subjects', async () => {
    const s = make({ hooks: 'none' });
    const { c, tip, removal } = await featureBranch(s);
    s.checkout('feature');
    const before = await survivalByStep(s);
    // What a forge does: merge the trees, write one single-parent commit on main, delete the branch.
    s.checkout('main');
    s.git('merge', '-q', '--no-ff', '--no-edit', 'feature');
    const tree = s.rev('HEAD^{tree}');
    s.git('reset', '-q', '--hard', 'HEAD^');
    const msg = 'Feature (#7)\n\n* add one\n* add two\n* add gone\n* add three\n* remove gone again\n';
    const squash = s.gitAs(HUMAN, 'commit-tree', tree, '-p', 'HEAD', '-m', msg).trim();
    s.git('reset', '-q', '--hard', squash);
    s.git('branch', '-q', '-D', 'feature');
    // The oracle: no single branch commit has the squash's patch id; each file's lines come from it.
    const squashId = gitPatchIdStable(s, squash);
    for (const x of [...Object.values(c), tip]) expect(gitPatchIdStable(s, x)).not.toBe(squashId);
    const after = await survivalByStep(s);
    expectSquashed(s, after, before, squash, removal);
  });

  it('git merge --squash, committed with git\'s squash message (every squashed commit listed)', async () => {
    const s = make({ hooks: 'none' });
    const { c, removal } = await featureBranch(s);
    s.checkout('feature');
    const before = await survivalByStep(s);
    s.checkout('main');
    s.git('merge', '--squash', 'feature');
    s.gitAs(HUMAN, 'commit', '-q', '--no-edit');
    const squash = s.head();
    const message = s.git('log', '-1', '--format=%B');
    for (const x of Object.values(c)) expect(message).toContain(`commit ${x}`);
    s.git('branch', '-q', '-D', 'feature');
    const after = await survivalByStep(s);
    expectSquashed(s, after, before, squash, removal);
  });

  it('a patch a human edited on the branch before the squash: still anchored to the squash, still repaired', async () => {
    const s = make({ hooks: 'none' });
    const { c } = await featureBranch(s);
    s.checkout('feature');
    s.replace('app.ts', "export const two1 = 'two-13';", "export const two1 = 'two-13'; // reviewed");
    await s.commit('review two', HUMAN);
    const before = await survivalByStep(s);
    expect(before.get('two')!.survival).toMatchObject({ state: 'repaired', aliveLines: 3, editedLines: 1 });
    s.checkout('main');
    s.git('merge', '--squash', 'feature');
    s.gitAs(HUMAN, 'commit', '-q', '-m', 'Feature (#8)');
    s.git('branch', '-q', '-D', 'feature');
    const after = await survivalByStep(s);
    const a = after.get('two')!;
    expect(a.anchor).toMatchObject({ commit: s.head(), firmness: 'fuzzy' });
    expect(a.anchor!.lines.length).toBe(4);
    expect(anchoredText(s, a).filter((x, k) => x === a.patch.added[k]).length).toBe(3);
    // Three lines unchanged, one as the human left it: the state it had on the branch.
    expect(a.survival).toMatchObject({ state: 'repaired', aliveLines: 3, editedLines: 1, deletedLines: 0 });
    expect(c.two).toBe(before.get('two')!.anchor!.commit);
  });
});

describe('a squash whose diff slides a patch across a hunk edge', () => {
  it('a function appended after a closing brace: re-found exact, at the lines that hold it', async () => {
    const s = make({ hooks: 'none' });
    s.write('a.ts', 'function a() {\n  return 1;\n}\n');
    await s.commit('base', HUMAN);
    s.checkout('feature', true);
    await agentCommit(s, 'b', 'add b', () => s.write('a.ts', s.read('a.ts') + '\nfunction b() {\n  return 2;\n}\n'));
    await agentCommit(s, 'a', 'a returns 10', () => s.replace('a.ts', 'return 1;', 'return 10;'));
    const before = await survivalByStep(s);
    s.checkout('main');
    s.git('merge', '--squash', 'feature');
    s.gitAs(HUMAN, 'commit', '-q', '-m', 'Feature (#3)');
    s.git('branch', '-q', '-D', 'feature');
    // git's diff of the squash aligns b's closing brace with a()'s: its added run is
    // "return 10; } <blank> function b() { return 2;", so no run of added lines is b's patch.
    expect(s.git('show', '--format=', 'HEAD')).toContain('+  return 10;\n+}\n+\n+function b() {\n+  return 2;\n }');
    const after = await survivalByStep(s);
    const b = after.get('b')!;
    expect(before.get('b')!.survival.state).toBe('alive_on_path');
    expect(b.anchor).toMatchObject({ commit: s.head(), firmness: 'exact', lines: [4, 5, 6, 7] });
    expect(anchoredText(s, b)).toEqual(b.patch.added);
    expect(b.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 4 });
    // Blame follows git's alignment: b's last brace is base's line, an equally minimal diff.
    expect(blameAliveLines(s, 'HEAD', b)).toBe(3);
    expect(after.get('a')!.anchor).toMatchObject({ commit: s.head(), firmness: 'exact', lines: [2] });
    expect(after.get('a')!.survival.state).toBe('alive_on_path');
  });
});

describe('cherry-pick onto another branch, conflicts resolved by hand, no hooks', () => {
  it('the picked patch is alive on the other branch, anchored to the picked commit; the original stays anchored on its branch', async () => {
    const s = make({ hooks: 'none' });
    s.write('app.ts', APP);
    const base = await s.commit('base', HUMAN);
    s.checkout('feature', true);
    // One agent commit, two steps in app.ts: a block after f4, lines replacing f12..f13.
    await s.agentStep({ trace: 't', step: 'helpers' }, () => s.replace('app.ts', 'x * 5; }\n', 'x * 5; }\n' + block('helper')));
    await s.agentStep({ trace: 't', step: 'rewrite' }, () =>
      s.replace('app.ts', 'export function f12(x: number): number { return x * 13; }\nexport function f13(x: number): number { return x * 14; }\n', block('rw', 3)),
    );
    const pick = await s.commit('helpers and rewrite');
    expect((await s.anchor(pick)).anchors.length).toBe(2);
    // release branch: a human changed the same lines (f4..f5 and f12..f13): the pick conflicts.
    s.git('checkout', '-q', '-b', 'release', base);
    s.replace('app.ts', 'x * 5; }\n', 'x * 5; } // release\n');
    s.replace('app.ts', 'x * 14; }\n', 'x * 14; } // release\n');
    await s.commit('release tweaks', HUMAN);
    const before = await survivalByStep(s, 'feature');
    for (const st of ['helpers', 'rewrite']) expect(before.get(st)!.survival.state).toBe('alive_on_path');
    const r = s.gitTry('cherry-pick', pick);
    expect(r.code).not.toBe(0);
    expect(s.read('app.ts')).toContain('<<<<<<<');
    // Resolved by hand: the release tweak of f4 kept above the helper block, the agent's rewrite of f12..f13 taken.
    const resolved = APP.replace('x * 5; }\n', 'x * 5; } // release\n' + block('helper')).replace(
      'export function f12(x: number): number { return x * 13; }\nexport function f13(x: number): number { return x * 14; }\n',
      block('rw', 3),
    );
    s.write('app.ts', resolved);
    s.git('add', 'app.ts');
    const cont = s.gitTry('-c', 'core.editor=true', 'cherry-pick', '--continue');
    expect(cont.code, cont.stderr).toBe(0);
    const picked = s.head();
    // The oracle: git's patch ids differ (the conflict changed the removed side), range-diff still pairs them.
    expect(gitPatchIdStable(s, picked)).not.toBe(gitPatchIdStable(s, pick));
    const pairs = gitRangeDiff(s, `${pick}^..${pick}`, `${picked}^..${picked}`);
    expect(pairs).toEqual([{ old: pick, new: picked, sign: '!' }]);
    const after = await survivalByStep(s);
    for (const st of ['helpers', 'rewrite']) {
      const a = after.get(st)!;
      expect(a.survival, st).toMatchObject({ state: 'alive_on_path', aliveLines: a.patch.added.length, deletedLines: 0 });
      expect(a.anchor, st).toMatchObject({ commit: picked, firmness: 'exact' });
      expect(anchoredText(s, a), st).toEqual(a.patch.added);
      expect(blameAliveLines(s, 'HEAD', a), st).toBe(a.patch.added.length);
    }
    // On the feature branch nothing changed: the original commit is still the anchor there.
    const onFeature = await survivalByStep(s, 'feature');
    for (const st of ['helpers', 'rewrite']) expect(onFeature.get(st)!.anchor!.commit).toBe(pick);
  });

  it('a conflict resolved by changing one of the patch\'s lines: fuzzy anchor to the picked commit, the line counted as edited', async () => {
    const s = make({ hooks: 'none' });
    s.write('app.ts', APP);
    const base = await s.commit('base', HUMAN);
    s.checkout('feature', true);
    await s.agentStep({ trace: 't', step: 'rewrite' }, () =>
      s.replace('app.ts', 'export function f12(x: number): number { return x * 13; }\nexport function f13(x: number): number { return x * 14; }\n', block('rw', 4)),
    );
    const pick = await s.commit('rewrite');
    await s.anchor(pick);
    s.git('checkout', '-q', '-b', 'release', base);
    s.replace('app.ts', 'x * 13; }\n', 'x * 13; } // release\n');
    await s.commit('release tweak', HUMAN);
    expect(s.gitTry('cherry-pick', pick).code).not.toBe(0);
    // The resolver keeps the agent's block but rewrites one of its lines.
    const mine = block('rw', 4).replace("export const rw2 = 'rw-26';", "export const rw2 = 'rw-26'; // release");
    s.write('app.ts', APP.replace('export function f12(x: number): number { return x * 13; }\nexport function f13(x: number): number { return x * 14; }\n', mine));
    s.git('add', 'app.ts');
    expect(s.gitTry('-c', 'core.editor=true', 'cherry-pick', '--continue').code).toBe(0);
    const after = await survivalByStep(s);
    const a = after.get('rewrite')!;
    expect(a.anchor).toMatchObject({ commit: s.head(), firmness: 'fuzzy' });
    expect(a.survival).toMatchObject({ state: 'repaired', aliveLines: 3, editedLines: 1, deletedLines: 0 });
  });
});
