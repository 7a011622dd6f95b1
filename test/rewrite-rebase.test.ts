/**
 * `git rebase -i` rewrites (fixup, drop, edit, split) and a rebase done in another clone, with NO
 * hook: anchors are recorded once, at the original commits, by an explicit `anchor()`; only content
 * re-finding can find the new commits. `git range-diff` and `git patch-id --stable` say which old
 * commit became which new one; every patch whose content survived must keep its state, anchored
 * to that new commit, and `git blame --porcelain` must give the new commit the patch's alive lines.
 * The last test runs the same rewrites with the real installed hooks (post-rewrite) and checks that
 * both paths reach the same anchors and states.
 */
import { describe, expect, it } from 'vitest';
import { scenario } from './helpers.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  anchoredText,
  blameAliveLines,
  gitPatchIdStable,
  gitRangeDiff,
  HUMAN,
  Scenario,
  survivalByStep,
  type RangePair,
} from '../fixtures/scenario.js';
import { loadTrail } from '../src/store/trail.js';
import { hookLogPath } from '../src/capture/hooks.js';

// Scenarios made here are removed after each test (test/helpers.ts).
const make = scenario;

type States = Awaited<ReturnType<typeof survivalByStep>>;

const block = (tag: string, n = 4) => Array.from({ length: n }, (_, i) => `export const ${tag}${i} = '${tag}-${i * 13}';`).join('\n') + '\n';
const APP = Array.from({ length: 20 }, (_, i) => `export function f${i}(x: number): number { return x * ${i + 1}; }`).join('\n') + '\n';

/**
 * base (human): app.ts, 20 lines. Then four agent commits, one step each, anchored at the commit:
 * one (new file one.ts), two (4 lines inserted in the middle of app.ts), three (new file three.ts),
 * four (2 lines of app.ts near the end replaced by 3).
 */
async function fourCommits(s: Scenario): Promise<{ base: string; c: Record<string, string> }> {
  s.write('app.ts', APP);
  const base = await s.commit('base', HUMAN);
  const c: Record<string, string> = {};
  const step = async (tag: string, edit: () => void) => {
    await s.agentStep({ trace: 't', step: tag }, edit);
    c[tag] = await s.commit(`add ${tag}`);
    if (s.hooks === 'none') {
      const a = await s.anchor(c[tag]);
      expect(a.anchors.length).toBe(1);
    }
  };
  await step('one', () => s.write('one.ts', block('one')));
  await step('two', () => s.replace('app.ts', 'x * 9; }\n', 'x * 9; }\n' + block('two')));
  await step('three', () => s.write('three.ts', block('three')));
  await step('four', () => s.replace('app.ts', 'export function f17(x: number): number { return x * 18; }\nexport function f18(x: number): number { return x * 19; }\n', block('four', 3)));
  return { base, c };
}

const todoLines = (todo: string) => todo.split('\n').filter((l) => /^pick /.test(l));
const subjectOf = (line: string) => line.replace(/^pick [0-9a-f]+ /, '');
/** The todo with the commit of this subject given another verb (drop, edit, ...). */
const withVerb = (todo: string, subject: string, verb: string) =>
  todoLines(todo)
    .map((l) => (subjectOf(l) === subject ? l.replace(/^pick/, verb) : l))
    .join('\n') + '\n';

/**
 * The oracle check: for every step whose old anchor commit git pairs with a new commit, the patch
 * keeps its state and counts, is anchored to that new commit at lines holding its text, is `exact`
 * whenever `git patch-id --stable` of old and new agree, and blame agrees with `aliveLines`.
 */
function expectCarried(s: Scenario, before: States, after: States, pairs: RangePair[], steps: string[]): void {
  for (const step of steps) {
    const b = before.get(step)!;
    const a = after.get(step)!;
    const old = b.anchor!.commit;
    const pair = pairs.find((p) => p.old === old);
    expect(pair, `range-diff pairs the commit of ${step}`).toBeDefined();
    expect(pair!.sign === '=' || pair!.sign === '!', `${step}: ${pair!.sign}`).toBe(true);
    expect(a.survival.state, step).toBe(b.survival.state);
    const counts = (x: typeof a) => [x.survival.totalLines, x.survival.aliveLines, x.survival.movedLines, x.survival.editedLines, x.survival.deletedLines];
    expect(counts(a), step).toEqual(counts(b));
    expect(a.anchor!.commit, `${step} anchored to its new commit`).toBe(pair!.new);
    expect(s.git('merge-base', '--is-ancestor', a.anchor!.commit, 'HEAD')).toBe('');
    if (gitPatchIdStable(s, old) === gitPatchIdStable(s, pair!.new!)) expect(a.anchor!.firmness, `${step}: same patch id`).toBe('exact');
    const text = anchoredText(s, a);
    if (a.anchor!.firmness === 'exact') expect(text, step).toEqual(a.patch.added);
    expect(blameAliveLines(s, 'HEAD', a), `${step}: git blame agrees with aliveLines`).toBe(a.survival.aliveLines);
  }
}

describe('git rebase -i without hooks: anchors re-found from content', () => {
  it('fixup: the fixed-up commit keeps its patch (exact, new commit); the commits after it pair by patch id', async () => {
    const s = make({ hooks: 'none' });
    const { base, c } = await fourCommits(s);
    // A human fixup of "add two" that touches app.ts away from two's lines.
    s.replace('app.ts', 'x * 1; }\n', 'x * 1; } // checked\n');
    const fix = await s.commit('fixup! add two', HUMAN);
    const oldTip = s.head();
    const before = await survivalByStep(s);
    for (const st of ['one', 'two', 'three', 'four']) expect(before.get(st)!.survival.state).toBe('alive_on_path');
    const res = s.rebaseInteractive(base, (todo) => {
      const l = todoLines(todo);
      const f = l.find((x) => subjectOf(x) === 'fixup! add two')!;
      const rest = l.filter((x) => x !== f);
      rest.splice(rest.findIndex((x) => subjectOf(x) === 'add two') + 1, 0, f.replace(/^pick/, 'fixup'));
      return rest.join('\n') + '\n';
    });
    expect(res.code, res.stderr).toBe(0);
    const pairs = gitRangeDiff(s, `${base}..${oldTip}`, `${base}..HEAD`);
    expect(pairs.find((p) => p.old === c.two)!.sign).toBe('!');
    expect(pairs.find((p) => p.old === fix)!.sign).toBe('<');
    expect(pairs.find((p) => p.old === c.three)!.sign).toBe('=');
    const after = await survivalByStep(s);
    expectCarried(s, before, after, pairs, ['one', 'two', 'three', 'four']);
    // two's lines are byte-identical in the folded commit: exact, though its patch id changed.
    expect(after.get('two')!.anchor!.firmness).toBe('exact');
    expect(s.read('app.ts')).toContain('// checked');
  });

  it('fixup that edits a line of the patch: the patch stays anchored (fuzzy) and keeps its edited line', async () => {
    const s = make({ hooks: 'none' });
    const { base, c } = await fourCommits(s);
    s.replace('app.ts', "export const two2 = 'two-26';", "export const two2 = 'two-26' as const;");
    await s.commit('fixup! add two', HUMAN);
    const oldTip = s.head();
    const before = await survivalByStep(s);
    expect(before.get('two')!.survival).toMatchObject({ state: 'repaired', aliveLines: 3, editedLines: 1 });
    const res = s.rebaseInteractive(base, (todo) => {
      const l = todoLines(todo);
      const f = l.pop()!;
      l.splice(2, 0, f.replace(/^pick/, 'fixup'));
      return l.join('\n') + '\n';
    });
    expect(res.code, res.stderr).toBe(0);
    const pairs = gitRangeDiff(s, `${base}..${oldTip}`, `${base}..HEAD`);
    const two = pairs.find((p) => p.old === c.two)!;
    expect(two.sign).toBe('!');
    const after = await survivalByStep(s);
    const a = after.get('two')!;
    expect(a.anchor).toMatchObject({ commit: two.new, firmness: 'fuzzy' });
    // The folded commit holds 3 of the patch's 4 lines byte for byte and the fourth as the human
    // changed it: the patch's lines are not all unchanged, so it is not alive_on_path.
    expect(anchoredText(s, a).filter((x, k) => x === a.patch.added[k]).length).toBe(3);
    expect(a.survival).toMatchObject({ state: 'repaired', aliveLines: 3, editedLines: 1, deletedLines: 0 });
    expectCarried(s, before, after, pairs, ['one', 'three', 'four']);
  });

  it('drop: the dropped commit\'s patch is lost off_path, the others stay alive on their new commits', async () => {
    const s = make({ hooks: 'none' });
    const { base, c } = await fourCommits(s);
    const oldTip = s.head();
    const before = await survivalByStep(s);
    const res = s.rebaseInteractive(base, (todo) => withVerb(todo, 'add three', 'drop'));
    expect(res.code, res.stderr).toBe(0);
    expect(s.exists('three.ts')).toBe(false);
    const pairs = gitRangeDiff(s, `${base}..${oldTip}`, `${base}..HEAD`);
    expect(pairs.find((p) => p.old === c.three)).toMatchObject({ sign: '<', new: null });
    const after = await survivalByStep(s);
    expect(after.get('three')!.survival).toMatchObject({ state: 'lost', lostKind: 'off_path', aliveLines: 0, deletedLines: 4 });
    expectCarried(s, before, after, pairs, ['one', 'two', 'four']);
    // four was replayed onto a new parent: a new commit, the same patch id, an exact anchor.
    expect(after.get('four')!.anchor!.commit).not.toBe(c.four);
    expect(after.get('four')!.anchor!.firmness).toBe('exact');
  });

  it('edit: stop, amend the commit with an extra change, continue: the patch follows the amended commit', async () => {
    const s = make({ hooks: 'none' });
    const { base, c } = await fourCommits(s);
    const oldTip = s.head();
    const before = await survivalByStep(s);
    const res = s.rebaseInteractive(base, (todo) => withVerb(todo, 'add two', 'edit'));
    expect(res.code, res.stderr).toBe(0);
    expect(s.rev('HEAD')).not.toBe(s.rev(oldTip));
    // Stopped at "add two": the human adds a line right after two's block and a file, then amends.
    s.replace('app.ts', "export const two3 = 'two-39';\n", "export const two3 = 'two-39';\n// two's block ends here\n");
    s.write('notes.md', 'two\n');
    s.gitAs(HUMAN, 'add', '-A');
    s.gitAs(HUMAN, 'commit', '-q', '--amend', '--no-edit');
    const cont = s.gitTry('rebase', '--continue');
    expect(cont.code, cont.stderr).toBe(0);
    const pairs = gitRangeDiff(s, `${base}..${oldTip}`, `${base}..HEAD`);
    const two = pairs.find((p) => p.old === c.two)!;
    expect(two.sign).toBe('!');
    expect(gitPatchIdStable(s, two.new!)).not.toBe(gitPatchIdStable(s, c.two));
    const after = await survivalByStep(s);
    expectCarried(s, before, after, pairs, ['one', 'two', 'three', 'four']);
    expect(after.get('two')!.anchor!.firmness).toBe('exact');
  });

  it('split: edit, reset HEAD^, two commits: each patch is anchored to the new commit holding its lines', async () => {
    const s = make({ hooks: 'none' });
    s.write('app.ts', APP);
    const base = await s.commit('base', HUMAN);
    // One commit, three steps: top of app.ts, bottom of app.ts, a new file.
    await s.agentStep({ trace: 't', step: 'top' }, () => s.write('app.ts', block('top') + s.read('app.ts')));
    await s.agentStep({ trace: 't', step: 'bottom' }, () => s.write('app.ts', s.read('app.ts') + block('bottom')));
    await s.agentStep({ trace: 't', step: 'file' }, () => s.write('file.ts', block('file')));
    const big = await s.commit('three things');
    expect((await s.anchor(big)).anchors.length).toBe(3);
    await s.agentStep({ trace: 't', step: 'after' }, () => s.write('after.ts', block('after')));
    const last = await s.commit('after');
    await s.anchor(last);
    const before = await survivalByStep(s);
    for (const st of ['top', 'bottom', 'file', 'after']) expect(before.get(st)!.survival.state).toBe('alive_on_path');

    const res = s.rebaseInteractive(base, (todo) => todoLines(todo).map((l, i) => (i === 0 ? l.replace(/^pick/, 'edit') : l)).join('\n') + '\n');
    expect(res.code, res.stderr).toBe(0);
    s.git('reset', '-q', 'HEAD^');
    // Part 1: only the top block of app.ts.
    const full = s.read('app.ts');
    s.write('app.ts', block('top') + APP);
    s.git('add', 'app.ts');
    s.git('commit', '-q', '-m', 'top of app.ts');
    const part1 = s.head();
    s.write('app.ts', full);
    s.git('add', '-A');
    s.git('commit', '-q', '-m', 'bottom of app.ts and file.ts');
    const part2 = s.head();
    const cont = s.gitTry('rebase', '--continue');
    expect(cont.code, cont.stderr).toBe(0);

    const pairs = gitRangeDiff(s, `${base}..${last}`, `${base}..HEAD`);
    // git pairs the old commit with at most one part; the other part is new to it.
    const bigPair = pairs.find((p) => p.old === big)!;
    expect([part1, part2, null]).toContain(bigPair.new);
    expect(pairs.some((p) => p.sign === '>' && (p.new === part1 || p.new === part2))).toBe(true);
    const after = await survivalByStep(s);
    const expectAt = { top: part1, bottom: part2, file: part2 } as const;
    for (const [st, commit] of Object.entries(expectAt)) {
      const a = after.get(st)!;
      expect(a.survival, st).toMatchObject({ state: 'alive_on_path', aliveLines: 4, deletedLines: 0 });
      expect(a.anchor, st).toMatchObject({ commit, firmness: 'exact' });
      expect(anchoredText(s, a), st).toEqual(a.patch.added);
      expect(blameAliveLines(s, 'HEAD', a), st).toBe(4);
    }
    expectCarried(s, before, after, pairs, ['after']);
  });
});

describe('a rebase done elsewhere (another clone), fetched back and reset to', () => {
  it('every patch stays alive, anchored to the rebased commit at its shifted lines', async () => {
    const s = make({ hooks: 'none' });
    s.write('app.ts', APP);
    const base = await s.commit('base', HUMAN);
    s.checkout('feature', true);
    // The same four agent commits as the rebase tests, on a feature branch.
    const c: Record<string, string> = {};
    for (const [tag, edit] of [
      ['one', () => s.write('one.ts', block('one'))],
      ['two', () => s.replace('app.ts', 'x * 9; }\n', 'x * 9; }\n' + block('two'))],
      ['four', () => s.replace('app.ts', 'export function f17(x: number): number { return x * 18; }\n', block('four', 3))],
    ] as const) {
      await s.agentStep({ trace: 't', step: tag }, edit);
      c[tag] = await s.commit(`add ${tag}`);
      await s.anchor(c[tag]);
    }
    const oldTip = s.head();
    // main moves on: a human inserts 3 lines at the top of app.ts (every later line shifts by 3).
    s.checkout('main');
    s.write('app.ts', '// header 1\n// header 2\n// header 3\n' + s.read('app.ts'));
    await s.commit('header', HUMAN);
    s.checkout('feature');
    const before = await survivalByStep(s);

    // Elsewhere: a clone rebases feature onto main, reordering it, two days later.
    const cloneDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ot-clone-'));
    fs.rmSync(cloneDir, { recursive: true });
    s.git('clone', '-q', '--no-local', s.dir, cloneDir);
    const cl = make({ hooks: 'none', dir: cloneDir, init: false, epoch: 1_767_225_600 + 2 * 86_400 });
    cl.git('checkout', '-q', 'feature');
    const res = cl.rebaseInteractive('origin/main', (todo) => todoLines(todo).reverse().join('\n') + '\n');
    expect(res.code, res.stderr).toBe(0);
    const newTip = cl.head();
    expect(cl.git('log', '--format=%s', 'origin/main..HEAD').trim().split('\n')).toEqual(['add one', 'add two', 'add four']);

    s.git('fetch', '-q', cloneDir, 'feature');
    s.git('reset', '-q', '--hard', 'FETCH_HEAD');
    expect(s.head()).toBe(newTip);
    const pairs = gitRangeDiff(s, `${base}..${oldTip}`, `main..HEAD`);
    for (const tag of ['one', 'two', 'four']) expect(pairs.find((p) => p.old === c[tag])!.sign, tag).toBe('=');
    const after = await survivalByStep(s);
    expectCarried(s, before, after, pairs, ['one', 'two', 'four']);
    // two's lines moved down by the 3 header lines: the re-found anchor names the new line numbers.
    expect(after.get('two')!.anchor!.lines).toEqual(before.get('two')!.anchor!.lines.map((l) => l + 3));
    // The original branch tip is still judged against its own history, anchored to the old commits.
    const atOld = await survivalByStep(s, oldTip);
    for (const tag of ['one', 'two', 'four']) expect(atOld.get(tag)!.anchor!.commit).toBe(c[tag]);
  });
});

describe('installed hooks (post-rewrite) and content re-finding agree', () => {
  /** The same history and rewrites in a repository; commit ids are deterministic (fixed clock). */
  async function run(hooks: 'installed' | 'none') {
    const s = make({ hooks });
    const { base, c } = await fourCommits(s);
    s.replace('app.ts', 'x * 1; }\n', 'x * 1; } // checked\n');
    await s.commit('fixup! add one', HUMAN);
    // rebase -i: reorder (four before three), fixup into one, edit two (amend with an extra line), drop nothing.
    const res = s.rebaseInteractive(base, (todo) => {
      const l = todoLines(todo);
      const by = (subj: string) => l.find((x) => subjectOf(x) === subj)!;
      return [by('add one'), by('fixup! add one').replace(/^pick/, 'fixup'), by('add two').replace(/^pick/, 'edit'), by('add four'), by('add three')].join('\n') + '\n';
    });
    expect(res.code, res.stderr).toBe(0);
    s.write('notes.md', 'two\n');
    s.gitAs(HUMAN, 'add', '-A');
    s.gitAs(HUMAN, 'commit', '-q', '--amend', '--no-edit');
    const cont = s.gitTry('rebase', '--continue');
    expect(cont.code, cont.stderr).toBe(0);
    // Then amend the tip (three) with an extra line in its file.
    s.write('three.ts', s.read('three.ts') + '// amended\n');
    s.git('commit', '-q', '-a', '--amend', '--no-edit');
    const repo = await s.repo();
    const trail = await loadTrail(repo);
    const hookLog = fs.existsSync(hookLogPath(repo)) ? fs.readFileSync(hookLogPath(repo), 'utf8') : '';
    return { s, c, trail, hookLog, after: await survivalByStep(s) };
  }

  it('rebase -i (reorder, fixup, edit+amend) then amend: the same anchors and states either way', async () => {
    const hooked = await run('installed');
    const bare = await run('none');
    // The hooks really ran, without error: the recorded anchors already name commits of the rewritten history.
    expect(hooked.hookLog).toBe('');
    expect(hooked.trail.anchors.size).toBe(4);
    expect(bare.trail.anchors.size).toBe(4);
    for (const [id, a] of hooked.trail.anchors) {
      expect(hooked.s.git('merge-base', '--is-ancestor', a.commit, 'HEAD'), id).toBe('');
      expect(Object.values(hooked.c)).not.toContain(a.commit);
    }
    // Without hooks the recorded anchors are still the original commits.
    for (const a of bare.trail.anchors.values()) expect(Object.values(bare.c)).toContain(a.commit);
    expect(bare.s.head()).toBe(hooked.s.head());
    for (const st of ['one', 'two', 'three', 'four']) {
      const h = hooked.after.get(st)!;
      const b = bare.after.get(st)!;
      expect(b.survival, st).toEqual(h.survival);
      expect(b.anchor, st).toEqual(h.anchor);
      expect(h.survival.state, st).toBe('alive_on_path');
      expect(blameAliveLines(hooked.s, 'HEAD', h), st).toBe(h.survival.aliveLines);
    }
  });
});
