import { describe, expect, it } from 'vitest';
import { scenario, writeRawObject } from './helpers.js';
import { gitPatchIdStable, HUMAN, Scenario } from '../fixtures/scenario.js';
import { loadTrail } from '../src/store/trail.js';
import { computeSurvival, lastPassStats } from '../src/survival/engine.js';
import { appendEvent } from '../src/store/log.js';
import { walkHistory, type History, type KnownHistory } from '../src/survival/history.js';
import { loadHistory, saveHistory } from '../src/survival/cache.js';
import { seal, unseal, unsealValueAndInts } from '../src/store/sealed.js';
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';

// Scenarios made here are removed after each test (test/helpers.ts).
const make = scenario;

const lines = (tag: string, n = 4) => Array.from({ length: n }, (_, i) => `export const ${tag}${i} = '${tag}-${i * 13}';`).join('\n') + '\n';

async function states(s: Scenario, cache = false) {
  const repo = await s.repo();
  const trail = await loadTrail(repo);
  const r = await computeSurvival(repo, trail, { cache });
  return new Map([...r.patches].map(([id, ps]) => [trail.patches.get(id)!.stepId, ps]));
}

/** Everything a pass answers: each patch's survival and anchor, and every file's line owners. */
async function everything(s: Scenario, cache: boolean) {
  const repo = await s.repo();
  const r = await computeSurvival(repo, await loadTrail(repo), { cache });
  return { patches: [...r.patches].map(([id, ps]) => [id, ps.survival, ps.anchor]), lines: [...r.lines].sort((a, b) => a[0].localeCompare(b[0])) };
}

/** The head of a checkpoint file (its commit, and the base a delta extends). */
function checkpointHead(file: string): { commit: string; base?: { commit: string } } {
  return unsealValueAndInts('OTSV', fs.readFileSync(file))!.value as { commit: string; base?: { commit: string } };
}

/** Three agent commits, each one step, anchored by the (in-process) post-commit hook. */
async function three(s: Scenario) {
  s.write('base.ts', 'export {};\n');
  await s.commit('base', HUMAN);
  const shas: string[] = [];
  for (const tag of ['one', 'two', 'three']) {
    await s.agentStep({ trace: 't', step: tag }, () => s.write(`${tag}.ts`, lines(tag)));
    shas.push(await s.commit(`add ${tag}`));
  }
  return shas;
}

describe('rewrites without hooks: anchors re-found from content', () => {
  it('rebase -i (reorder, squash) keeps each surviving patch alive, anchored to the new commit git pairs it with', async () => {
    const s = make();
    const [one, , three3] = await three(s);
    const before = await states(s);
    const res = s.rebaseInteractive(`${one}~1`, (todo) => {
      const l = todo.split('\n').filter((x) => /^pick /.test(x));
      return [l[2], l[0], l[1]!.replace(/^pick/, 'squash')].join('\n') + '\n';
    });
    expect(res.code).toBe(0);
    const after = await states(s);
    // git range-diff pairs the old commits with the new ones.
    const rd = s.git('range-diff', `${one}~1..${three3}`, `${one}~1..HEAD`);
    expect(rd).toMatch(/=|!/);
    for (const step of ['one', 'two', 'three']) {
      expect(after.get(step)!.survival.state).toBe(before.get(step)!.survival.state);
      expect(after.get(step)!.survival.aliveLines).toBe(4);
      expect(s.git('merge-base', '--is-ancestor', after.get(step)!.anchor!.commit, 'HEAD')).toBe('');
    }
    // The reordered commit is a pure pick: same patch id as git computes, anchored exactly.
    const newThree = after.get('three')!.anchor!.commit;
    expect(gitPatchIdStable(s, three3)).toMatch(/^[0-9a-f]{40}$/);
    expect(gitPatchIdStable(s, newThree)).toBe(gitPatchIdStable(s, three3));
    expect(after.get('three')!.anchor!.firmness).toBe('exact');
  });

  it('a line dropped in the rewrite: the rest is re-found and partially preserved, by the rewritten commit', async () => {
    const s = make();
    const [one] = await three(s);
    const res = s.rebaseInteractive(`${one}~1`, (todo) => {
      const l = todo.split('\n').filter((x) => /^pick /.test(x));
      return [l[0], l[1]!.replace(/^pick/, 'squash'), l[2]].join('\n') + '\n';
    });
    expect(res.code).toBe(0);
    // Amend the squashed commit (HEAD~1) with a line of `two` gone, through an edit stop.
    const squashed = s.git('rev-parse', 'HEAD~1').trim();
    const res2 = s.rebaseInteractive(`${squashed}~1`, (todo) => todo.replace(/^pick (\w+) (add one)/m, 'edit $1 $2'));
    expect(res2.code).toBe(0);
    s.write('two.ts', s.read('two.ts').replace("export const two2 = 'two-26';\n", ''));
    s.git('commit', '-q', '-a', '--amend', '--no-edit');
    s.git('rebase', '--continue');
    const st = await states(s);
    const rewritten = s.git('rev-parse', 'HEAD~1').trim();
    expect(st.get('one')!.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 4 });
    expect(st.get('two')!.survival).toMatchObject({ state: 'partially_preserved', aliveLines: 3, deletedLines: 1, byCommit: rewritten });
    expect(st.get('two')!.anchor).toMatchObject({ commit: rewritten, firmness: 'fuzzy', addedIndex: [0, 1, 3] });
    expect(st.get('three')!.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 4 });
  });

  it('amend, cherry-pick onto another branch and merge --squash: alive on the branch they reached', async () => {
    const s = make();
    s.write('base.ts', 'export {};\n');
    const base = await s.commit('base', HUMAN);
    s.checkout('feature', true);
    await s.agentStep({ trace: 't', step: 'f1' }, () => s.write('f1.ts', lines('f1')));
    await s.commit('f1');
    await s.agentStep({ trace: 't', step: 'f2' }, () => s.write('f2.ts', lines('f2')));
    await s.commit('f2');
    s.write('f2.ts', s.read('f2.ts') + '// amended\n');
    s.git('commit', '-q', '-a', '--amend', '-m', 'f2 amended');
    expect((await states(s)).get('f2')!.survival.state).toBe('alive_on_path');
    s.checkout('main');
    s.git('checkout', '-q', '-b', 'picked', base);
    s.git('cherry-pick', 'feature~1');
    expect((await states(s)).get('f1')!.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 4 });
    expect((await states(s)).get('f2')!.survival).toMatchObject({ state: 'lost', lostKind: 'off_path' });
    s.checkout('main');
    s.git('merge', '--squash', 'feature');
    s.git('commit', '-q', '-m', 'Squashed feature (#12)');
    const st = await states(s);
    expect(st.get('f1')!.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 4 });
    expect(st.get('f2')!.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 4 });
    expect(st.get('f1')!.anchor!.commit).toBe(s.head());
  });
});

describe('cache', () => {
  it('one new commit costs that commit; anchors and events change the answer without HEAD moving', async () => {
    const s = make();
    await three(s);
    const full = await states(s, true);
    const fullCount = lastPassStats.commitsProcessed;
    expect(fullCount).toBeGreaterThanOrEqual(3);
    const again = await states(s, true);
    expect(lastPassStats.cacheHit).toBe(true);
    expect([...again].map(([k, v]) => [k, v.survival])).toEqual([...full].map(([k, v]) => [k, v.survival]));
    // One commit on top touching one patch: only that commit is replayed, only that patch changes.
    s.write('two.ts', s.read('two.ts').replace("export const two0 = 'two-0';\n", ''));
    await s.commit('drop a line of two', HUMAN);
    const next = await states(s, true);
    expect(lastPassStats.commitsProcessed).toBe(1);
    expect(next.get('two')!.survival.state).toBe('partially_preserved');
    expect(next.get('one')!.survival).toEqual(full.get('one')!.survival);
    expect(next.get('three')!.survival).toEqual(full.get('three')!.survival);
    const uncached = await states(s, false);
    expect([...next].map(([k, v]) => [k, v.survival])).toEqual([...uncached].map(([k, v]) => [k, v.survival]));
    // Move an anchor (a new anchor event) without moving HEAD: the answer changes.
    const repo = await s.repo();
    const trail = await loadTrail(repo);
    const one = [...trail.patches.values()].find((p) => p.stepId === 'one')!;
    const a = trail.anchors.get(one.patchId)!;
    // (A cached anchor's fields are not its own properties: spread its plain form.)
    await appendEvent(repo, 't', { type: 'anchor', at: new Date().toISOString(), source: 'anchor-command', anchors: [{ ...(JSON.parse(JSON.stringify(a)) as typeof a), lines: [1, 2] }] });
    const moved = await states(s, true);
    expect(lastPassStats.cacheHit).toBe(false);
    expect(moved.get('one')!.survival.aliveLines).toBe(2);
  });

  it('a checkpoint\'s patch list is read only when the trail changed; without it that checkpoint is not used', async () => {
    const s = make();
    await three(s);
    await states(s, true);
    const dir = path.join(s.dir, '.git', 'ot', 'survival');
    const dropLists = () => {
      const lists = fs.readdirSync(dir).filter((n) => n.endsWith('.ids'));
      for (const n of lists) fs.rmSync(path.join(dir, n));
      return lists.length;
    };
    const same = async () => expect(await everything(s, true)).toEqual(await everything(s, false));
    // The same trail: the list is not needed.
    expect(dropLists()).toBe(1);
    s.write('base.ts', 'export {};\nexport const more = 1;\n');
    await s.commit('more', HUMAN);
    const resumed = await states(s, true);
    expect(lastPassStats.resumedFrom).not.toBeNull();
    expect(lastPassStats.commitsProcessed).toBe(1);
    expect([...resumed].map(([k, v]) => [k, v.survival])).toEqual([...(await states(s, false))].map(([k, v]) => [k, v.survival]));
    // A new step: another trail, whose patches the list maps.
    await s.agentStep({ trace: 't', step: 'four' }, () => s.write('four.ts', lines('four')));
    s.write('base.ts', 'export {};\nexport const more = 2;\n');
    await s.commit('more again', HUMAN);
    const mapped = await states(s, true);
    expect(lastPassStats.resumedFrom).not.toBeNull();
    expect(lastPassStats.commitsProcessed).toBe(1);
    expect(mapped.get('four')!.survival.state).toBe('alive_on_path');
    await same();
    // Each new step makes a new list; the four newest besides the pass's are kept, a new one written
    // over the oldest that goes: each file's name is still the hash of the list in it.
    for (const tag of ['f1', 'f2', 'f3', 'f4', 'f5']) {
      await s.agentStep({ trace: 't', step: tag }, () => s.write(`${tag}.ts`, lines(tag)));
      await s.commit(tag);
      await states(s, true);
      expect(lastPassStats.resumedFrom).not.toBeNull();
      await same();
    }
    const lists = fs.readdirSync(dir).filter((n) => n.endsWith('.ids'));
    expect(lists.length).toBe(5);
    for (const n of lists) expect(createHash('sha1').update(unseal('OTPL', fs.readFileSync(path.join(dir, n)))!.toString('utf8')).digest('hex')).toBe(n.slice(0, 40));
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    // Another new step, and no list: the checkpoints cannot be mapped, and the pass starts over.
    await s.agentStep({ trace: 't', step: 'five' }, () => s.write('five.ts', lines('five')));
    expect(dropLists()).toBeGreaterThan(0);
    await states(s, true);
    expect(lastPassStats.resumedFrom).toBeNull();
    await same();
  });

  it('a step of an older trace shifts the later patches: the checkpoint after it keeps their rows, mapped, and the next update answers as an uncached pass', async () => {
    const s = make();
    s.write('base.ts', 'export {};\n');
    await s.commit('base', HUMAN);
    // Trace a starts first, so its patches come before trace b's.
    await s.agentStep({ trace: 'a', step: 'a1' }, () => s.write('a.ts', lines('a', 6)));
    await s.commit('a1');
    for (const tag of ['b1', 'b2', 'b3']) {
      await s.agentStep({ trace: 'b', step: tag }, () => s.write(`${tag}.ts`, lines(tag, 6)));
      await s.commit(tag);
    }
    await everything(s, true);
    // A new step of trace a: its patch sits before all of b's, whose indexes all move by one.
    await s.agentStep({ trace: 'a', step: 'a2' }, () => s.write('a2.ts', lines('a2', 6)));
    await s.commit('a2');
    const shifted = await everything(s, true);
    expect(lastPassStats.resumedFrom).not.toBeNull();
    expect(shifted).toEqual(await everything(s, false));
    // The next update resumes from the checkpoint written after the shift and opens two of b's files,
    // whose owners come from its rows: one line edited, three dropped.
    s.replace('b1.ts', "'b1-13'", "'b1-13!'");
    s.write('b2.ts', s.read('b2.ts').split('\n').slice(3).join('\n'));
    await s.commit('edit b', HUMAN);
    const cached = await everything(s, true);
    expect(lastPassStats.commitsProcessed).toBe(1);
    expect(lastPassStats.resumedFrom).not.toBeNull();
    expect(cached).toEqual(await everything(s, false));
    const b1 = cached.patches.find(([, sv]) => (sv as { editedLines: number }).editedLines === 1);
    expect(b1).toBeDefined();
  });

  it('a run of updates, each resuming from the last checkpoint, answers as an uncached pass, line owners included', async () => {
    const s = make();
    s.write('base.ts', 'export {};\n');
    await s.commit('base', HUMAN);
    for (const tag of ['one', 'two', 'three', 'four']) {
      await s.agentStep({ trace: 't', step: tag }, () => s.write(`${tag}.ts`, lines(tag, 6)));
      await s.commit(`add ${tag}`);
    }
    const answer = (cache: boolean) => everything(s, cache);
    await answer(true);
    const steps: [string, () => void][] = [
      ['edit a line of one', () => s.replace('one.ts', "'one-13'", "'one-13!'")],
      ['drop two lines of two', () => s.write('two.ts', s.read('two.ts').split('\n').slice(2).join('\n'))],
      ['move three lines of three to four', () => {
        const l = s.read('three.ts').split('\n');
        s.write('three.ts', [...l.slice(0, 1), ...l.slice(4)].join('\n'));
        s.write('four.ts', s.read('four.ts') + l.slice(1, 4).join('\n') + '\n');
      }],
      ['rename one', () => {
        s.write('renamed.ts', s.read('one.ts'));
        s.remove('one.ts');
      }],
      ['an unrelated file', () => s.write('notes.md', 'notes\n')],
      ['delete two', () => s.remove('two.ts')],
      ['edit four again', () => s.replace('four.ts', "'four-0'", "'four-zero'")],
    ];
    for (const [message, change] of steps) {
      change();
      await s.commit(message, HUMAN);
      const cached = await answer(true);
      expect(lastPassStats.commitsProcessed, message).toBe(1);
      expect(lastPassStats.resumedFrom, message).not.toBeNull();
      expect(cached, message).toEqual(await answer(false));
    }
    // A revert of the move, then of its revert, on the same run of checkpoints.
    for (const target of ['HEAD~4', 'HEAD']) {
      s.git('revert', '--no-edit', target);
      const cached = await answer(true);
      expect(lastPassStats.commitsProcessed).toBe(1);
      expect(cached).toEqual(await answer(false));
    }
    // Past twelve checkpoints, each new one is written over the oldest: the twelve newest commits
    // keep theirs, and the full checkpoint the newest (a delta) extends; each file holds the
    // checkpoint of the commit it is named by, no other is left.
    for (let i = 0; i < 4; i++) {
      s.write('notes.md', `notes ${i}\n`);
      await s.commit(`notes ${i}`, HUMAN);
      const cached = await answer(true);
      expect(lastPassStats.resumedFrom).toBe(s.rev('HEAD~1'));
      expect(cached).toEqual(await answer(false));
    }
    const dir = path.join(s.dir, '.git', 'ot', 'survival');
    const files = fs.readdirSync(dir);
    const ckpts = files.filter((n) => n.endsWith('.ckpt')).map((n) => n.slice(0, 40));
    const newest = checkpointHead(path.join(dir, `${s.head()}.ckpt`));
    expect(newest.base).toBeDefined();
    const recent = s.git('rev-list', '-n', '12', 'HEAD').trim().split('\n');
    const base = newest.base!.commit;
    expect(ckpts.sort()).toEqual([...new Set([base, ...recent.slice(0, recent.includes(base) ? 12 : 11)])].sort());
    for (const c of ckpts) expect(fs.readFileSync(path.join(dir, `${c}.ckpt`)).includes(Buffer.from(c, 'latin1'))).toBe(true);
    expect(files.filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('a branch from an older checkpoint merged in: the pass resumes from a checkpoint both sides descend from', async () => {
    const s = make();
    await three(s);
    const answer = (cache: boolean) => everything(s, cache);
    await answer(true);
    const y = s.head();
    const main = s.git('rev-parse', '--abbrev-ref', 'HEAD').trim();
    // A: one commit on top, checkpointed; B: a branch from Y, merged after A.
    s.replace('one.ts', "'one-13'", "'one-13!'");
    const a = await s.commit('edit one', HUMAN);
    await answer(true);
    expect(lastPassStats.resumedFrom).toBe(y);
    s.git('checkout', '-q', '-b', 'side', y);
    s.write('two.ts', s.read('two.ts').replace("export const two0 = 'two-0';\n", ''));
    await s.commit('drop a line of two', HUMAN);
    s.checkout(main);
    s.git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    const cached = await answer(true);
    // Not from A: the branch joins A's history below A.
    expect(lastPassStats.resumedFrom).toBe(y);
    expect(lastPassStats.commitsProcessed).toBe(3);
    expect(s.git('merge-base', '--is-ancestor', y, a)).toBe('');
    expect(cached).toEqual(await answer(false));
  });

  it('after a rewrite the cached pass resumes below the merge-base and answers as an uncached pass', async () => {
    const s = make();
    // Ten human commits, then three agent commits: checkpoints land at the tip and 8 commits below it.
    s.write('base.ts', 'export {};\n');
    for (let i = 0; i < 10; i++) {
      s.write('log.md', `entry ${i}\n`.repeat(i + 1));
      await s.commit(`human ${i}`, HUMAN);
    }
    const shas: string[] = [];
    for (const tag of ['one', 'two', 'three']) {
      await s.agentStep({ trace: 't', step: tag }, () => s.write(`${tag}.ts`, lines(tag)));
      shas.push(await s.commit(`add ${tag}`));
    }
    await states(s, true);
    const fullCount = lastPassStats.commitsProcessed;
    const mergeBase = s.git('rev-parse', `${shas[0]}~1`).trim();
    // Reorder and squash the three agent commits, with no hook to tell us.
    const res = s.rebaseInteractive(mergeBase, (todo) => {
      const l = todo.split('\n').filter((x) => /^pick /.test(x));
      return [l[2], l[0], l[1]!.replace(/^pick/, 'squash')].join('\n') + '\n';
    });
    expect(res.code).toBe(0);
    // And a human drops a line of `two` on top.
    s.write('two.ts', s.read('two.ts').replace("export const two0 = 'two-0';\n", ''));
    await s.commit('drop a line of two', HUMAN);
    const cached = await states(s, true);
    // Resumed from a checkpoint in the history of the merge-base, replaying less than everything.
    expect(lastPassStats.resumedFrom).not.toBeNull();
    expect(s.git('merge-base', '--is-ancestor', lastPassStats.resumedFrom!, mergeBase)).toBe('');
    expect(lastPassStats.commitsProcessed).toBeLessThan(fullCount);
    expect(lastPassStats.commitsProcessed).toBeGreaterThanOrEqual(2);
    const uncached = await states(s, false);
    expect([...cached].map(([k, v]) => [k, v.survival, v.anchor])).toEqual([...uncached].map(([k, v]) => [k, v.survival, v.anchor]));
    expect(cached.get('one')!.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 4 });
    expect(cached.get('two')!.survival).toMatchObject({ state: 'partially_preserved', aliveLines: 3 });
    // The timeline follows the rewritten history: every point is a commit of HEAD's history, and
    // the last point is the state now.
    const repo = await s.repo();
    const trail = await loadTrail(repo);
    const r = await computeSurvival(repo, trail, { timeline: true });
    for (const [id, ps] of r.patches) {
      const tl = ps.timeline!;
      expect(tl.length).toBeGreaterThan(0);
      for (const point of tl) expect(s.git('merge-base', '--is-ancestor', point.commit, 'HEAD')).toBe('');
      expect(tl[tl.length - 1]!.state).toBe(ps.survival.state);
      expect(tl[0]!.commit).toBe(ps.anchor!.commit);
      expect(trail.patches.get(id)).toBeDefined();
    }
  });

  it('a reverted patch waits for its lines: a commit adding fewer lines to its file reads no patch\'s lines; one bringing them back does', async () => {
    const s = make();
    const base = lines('base', 8);
    s.write('a.ts', base);
    await s.commit('base', HUMAN);
    await s.agentStep({ trace: 't', step: 'one' }, () => s.write('a.ts', base + lines('one', 3)));
    const one = await s.commit('add one');
    s.git('revert', '--no-edit', one);
    expect((await states(s, true)).get('one')!.survival.state).toBe('reverted');
    // Every patch's lines in the trail's cache made unreadable: only a read of them would notice.
    const cache = path.join(s.dir, '.git', 'ot', 'events');
    for (const f of fs.readdirSync(cache).filter((x) => x.endsWith('.bin') && fs.readFileSync(path.join(cache, x)).readUInt32LE(12) > 0)) {
      const bytes = fs.readFileSync(path.join(cache, f));
      bytes[bytes.length - 1] ^= 1;
      fs.writeFileSync(path.join(cache, f), bytes);
    }
    // One new line in the file: the patch's three cannot come back in it, and are not read.
    s.write('a.ts', 'export const b = 1;\n' + s.read('a.ts'));
    await s.commit('one more line', HUMAN);
    const after = await states(s, true);
    expect(lastPassStats.commitsProcessed).toBe(1);
    expect(after.get('one')!.survival.state).toBe('reverted');
    // The revert reverted: three fresh lines, so the patch's are read (and found damaged).
    s.git('revert', '--no-edit', 'HEAD~1');
    await expect(states(s, true)).rejects.toThrow(/damaged/);
    // Without the trail's cache (read again from its refs): alive again.
    fs.rmSync(cache, { recursive: true, force: true });
    const back = await states(s, true);
    expect(back.get('one')!.survival.state).toBe('alive_on_path');
    expect([...back].map(([k, v]) => [k, v.survival])).toEqual([...(await states(s, false))].map(([k, v]) => [k, v.survival]));
  });

  it('a checkpoint below the tip keeps the records as they were there, not as the pass left them', async () => {
    const s = make();
    await s.agentStep({ trace: 't', step: 'one' }, () => s.write('one.ts', lines('one')));
    const one = await s.commit('add one');
    for (let i = 0; i < 3; i++) {
      s.write('log.md', `entry ${i}\n`);
      await s.commit(`human ${i}`, HUMAN);
    }
    // Reverted, then the revert reverted: alive again, by the second revert.
    s.git('revert', '--no-edit', one);
    s.git('revert', '--no-edit', 'HEAD');
    const revived = s.head();
    for (let i = 3; i < 9; i++) {
      s.write('log.md', `entry ${i}\n`);
      await s.commit(`human ${i}`, HUMAN);
    }
    expect((await states(s, true)).get('one')!.survival).toMatchObject({ state: 'alive_on_path', byCommit: revived });
    // The checkpoint 8 commits below the tip is older than both reverts. History goes back to it
    // and on without them: one is alive by its anchor commit.
    const below = s.rev('HEAD~8');
    expect(fs.existsSync(path.join(s.dir, '.git', 'ot', 'survival', `${below}.ckpt`))).toBe(true);
    s.git('reset', '-q', '--hard', below);
    s.write('log.md', 'another entry\n');
    await s.commit('another', HUMAN);
    const cached = await states(s, true);
    expect(lastPassStats.resumedFrom).toBe(below);
    expect(cached.get('one')!.survival).toMatchObject({ state: 'alive_on_path', byCommit: one });
    expect([...cached].map(([k, v]) => [k, v.survival])).toEqual([...(await states(s, false))].map(([k, v]) => [k, v.survival]));
  });

  it('an update writes a delta of the full checkpoint it resumed from; without that base as it was, the delta is not used', async () => {
    const s = make();
    s.write('base.ts', 'export {};\n');
    await s.commit('base', HUMAN);
    // Three files an update edits, and a large one it does not: a delta is a small share of the whole.
    for (const [tag, n] of [['one', 40], ['two', 40], ['three', 40], ['large', 1000]] as const) {
      await s.agentStep({ trace: 't', step: tag }, () => s.write(`${tag}.ts`, lines(tag, n)));
      await s.commit(`add ${tag}`);
    }
    const answer = (cache: boolean) => everything(s, cache);
    await answer(true);
    const dir = path.join(s.dir, '.git', 'ot', 'survival');
    const file = (c: string) => path.join(dir, `${c}.ckpt`);
    const full = s.head();
    expect(checkpointHead(file(full)).base).toBeUndefined();
    // Each update resumes from the last checkpoint and writes the tip's as a delta of the same
    // full one (not of the delta it resumed from), a fraction of its size.
    const edits: [string, () => void][] = [
      ['edit one', () => s.replace('one.ts', "'one-13'", "'one-13!'")],
      ['drop lines of two', () => s.write('two.ts', s.read('two.ts').split('\n').slice(5).join('\n'))],
      ['move lines of three to one', () => {
        const l = s.read('three.ts').split('\n');
        s.write('three.ts', [...l.slice(0, 2), ...l.slice(8)].join('\n'));
        s.write('one.ts', s.read('one.ts') + l.slice(2, 8).join('\n') + '\n');
      }],
    ];
    let before = full;
    for (const [message, edit] of edits) {
      edit();
      await s.commit(message, HUMAN);
      const cached = await answer(true);
      expect(lastPassStats.resumedFrom, message).toBe(before);
      expect(lastPassStats.commitsProcessed, message).toBe(1);
      expect(cached, message).toEqual(await answer(false));
      expect(checkpointHead(file(s.head())).base?.commit, message).toBe(full);
      expect(fs.statSync(file(s.head())).size, message).toBeLessThan(fs.statSync(file(full)).size / 2);
      before = s.head();
    }
    // The base damaged (its seal no longer checks out) or gone: the deltas are not used. The pass
    // starts over (or resumes from a full checkpoint further down) with the same answer, and writes
    // a full checkpoint at the tip, which the next update extends.
    const damages: [string, (f: string) => void][] = [
      ['damaged', (f) => fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 100))],
      ['gone', (f) => fs.rmSync(f)],
    ];
    for (const [what, damage] of damages) {
      const delta = s.head();
      const base = checkpointHead(file(delta)).base!.commit;
      damage(file(base));
      s.write('notes.md', `notes ${what}\n`);
      await s.commit(`notes ${what}`, HUMAN);
      const cached = await answer(true);
      const from = lastPassStats.resumedFrom;
      expect(from === null || (from !== base && from !== delta && checkpointHead(file(from)).base === undefined), what).toBe(true);
      expect(cached, what).toEqual(await answer(false));
      const tip = s.head();
      expect(checkpointHead(file(tip)).base, what).toBeUndefined();
      s.write('notes.md', `more notes ${what}\n`);
      await s.commit(`more notes ${what}`, HUMAN);
      const next = await answer(true);
      expect(lastPassStats.resumedFrom, what).toBe(tip);
      expect(next, what).toEqual(await answer(false));
      expect(checkpointHead(file(s.head())).base?.commit, what).toBe(tip);
    }
    // A commit that changes most of the tracked lines: the delta would be a large share of its
    // base, and a full checkpoint is written instead.
    const tip = s.head();
    for (const tag of ['one', 'two', 'three', 'large']) s.write(`${tag}.ts`, s.read(`${tag}.ts`).replaceAll("'", '"'));
    await s.commit('requote', HUMAN);
    const requoted = await answer(true);
    expect(lastPassStats.resumedFrom).toBe(tip);
    expect(requoted).toEqual(await answer(false));
    expect(checkpointHead(file(s.head())).base).toBeUndefined();
  });

  it('a damaged or foreign checkpoint is not used: the pass starts over and gives the same answer', async () => {
    const s = make();
    await three(s);
    const full = await states(s, true);
    const dir = path.join(s.dir, '.git', 'ot', 'survival');
    const ckpts = fs.readdirSync(dir).filter((n) => n.endsWith('.ckpt'));
    expect(ckpts.length).toBeGreaterThan(0);
    s.write('four.ts', 'export const four = 4;\n');
    await s.commit('four', HUMAN);
    const kept = ckpts.map((n) => [n, fs.readFileSync(path.join(dir, n))] as const);
    // One flipped byte in the middle of each, or a truncation: the sum no longer matches. Or a sum
    // that matches a head of another layout (as another version of ot writes): it does not decode.
    const damages: ((b: Buffer) => Buffer)[] = [
      (b) => {
        const c = Buffer.from(b);
        c[c.length >> 1] ^= 0x55;
        return c;
      },
      (b) => b.subarray(0, b.length >> 1),
      (b) => {
        const body = Buffer.from(unseal('OTSV', b)!);
        body.writeInt32LE(body.readInt32LE(4) + 1, 4);
        return seal('OTSV', body);
      },
    ];
    for (const damage of damages) {
      for (const n of fs.readdirSync(dir).filter((x) => x.endsWith('.ckpt'))) fs.rmSync(path.join(dir, n));
      for (const [n, b] of kept) fs.writeFileSync(path.join(dir, n), damage(b));
      const again = await states(s, true);
      expect(lastPassStats.resumedFrom).toBeNull();
      expect([...again].map(([k, v]) => [k, v.survival.state, v.survival.aliveLines])).toEqual([...full].map(([k, v]) => [k, v.survival.state, v.survival.aliveLines]));
    }
  });
});

describe('history walk', () => {
  const asKnown = (h: History, cutoff: number | null): KnownHistory => ({ at: h.at, cutoff, commits: new Map(h.commits), order: [...h.order], missing: [...h.missing], cut: [...h.cut] });
  const shape = (h: History) => ({ at: h.at, order: h.order, commits: [...h.commits.keys()].sort(), missing: [...h.missing].sort(), cut: [...h.cut].sort() });
  const asHistory = (k: KnownHistory): History => ({ at: k.at, commits: k.commits, order: k.order, missing: new Set(k.missing), cut: new Set(k.cut), read: 0 });

  it('an update extends the kept walk by its new commits, exactly as a full walk; an older commit merged in makes it walk all', async () => {
    const s = make();
    for (let i = 0; i < 6; i++) {
      s.write('a.ts', `export const a = ${i};\n`);
      await s.commit(`c${i}`, HUMAN);
    }
    const early = s.rev('HEAD~5');
    const main = s.git('rev-parse', '--abbrev-ref', 'HEAD').trim();
    const cutoffs = [null, Number(s.git('show', '-s', '--format=%ct', 'HEAD~3').trim())];
    const known = new Map<number | null, KnownHistory>();
    for (const cutoff of cutoffs) known.set(cutoff, asKnown(await walkHistory(await s.repo(), s.head(), cutoff), cutoff));
    /** Every cutoff: the walk from the kept one equals the full walk; whether it only extended the kept one. */
    const step = async (): Promise<(string | undefined)[]> => {
      const out: (string | undefined)[] = [];
      for (const cutoff of cutoffs) {
        const repo = await s.repo();
        const k = known.get(cutoff)!;
        // (The walk takes the kept commits over.)
        const kept = new Set(k.commits.keys());
        const h = await walkHistory(repo, s.head(), cutoff, k);
        expect(shape(h)).toEqual(shape(await walkHistory(repo, s.head(), cutoff)));
        out.push(h.extension?.at === k.at ? 'extends' : undefined);
        if (h.extension) {
          expect(h.read).toBe(h.commits.size - kept.size);
          expect([...h.extension.fresh].sort()).toEqual([...h.commits.keys()].filter((o) => !kept.has(o)).sort());
        }
        known.set(cutoff, asKnown(h, cutoff));
      }
      return out;
    };
    // One new commit, then two.
    s.write('b.ts', 'export const b = 1;\n');
    await s.commit('b', HUMAN);
    expect(await step()).toEqual(['extends', 'extends']);
    for (const i of [2, 3]) {
      s.write('b.ts', `export const b = ${i};\n`);
      await s.commit(`b${i}`, HUMAN);
    }
    expect(await step()).toEqual(['extends', 'extends']);
    // A branch from the first commit merged in: with no cutoff it joins the kept walk below its
    // tip (a full walk); with the cutoff that commit is outside the window, and the walk extends.
    s.git('checkout', '-q', '-b', 'side', early);
    s.write('side.ts', 'export const side = 1;\n');
    await s.commit('side', HUMAN);
    s.checkout(main);
    s.git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    expect(await step()).toEqual([undefined, 'extends']);
    // An unrelated history merged in: new roots, joined at the kept tip.
    s.git('checkout', '-q', '--orphan', 'other');
    s.git('rm', '-rfq', '.');
    s.write('other.ts', 'export const other = 1;\n');
    await s.commit('other root', HUMAN);
    s.checkout(main);
    s.git('merge', '-q', '--allow-unrelated-histories', '-m', 'merge other', 'other');
    expect(await step()).toEqual(['extends', 'extends']);
    // HEAD back on an older commit: walked again from the kept commits, no new read.
    s.git('reset', '-q', '--hard', 'HEAD~2');
    expect(await step()).toEqual([undefined, undefined]);
  });

  it('the kept walk is the walk, every commit as it was read: a merge, parents cut or missing, messages in any script, times past 2^32 and before 1970', async () => {
    const s = make();
    s.write('a.ts', 'export const a = 0;\n');
    await s.commit('old root', HUMAN);
    const old = s.head();
    s.write('a.ts', 'export const a = 1;\n');
    await s.commit('naïve café: Latin-1 only', HUMAN);
    s.git('checkout', '-q', '-b', 'side');
    s.write('side.ts', 'export const side = 1;\n');
    await s.commit('側の変更 😀 (not Latin-1)', { name: 'Side', email: 'Side@Example.com' });
    s.checkout('main');
    s.write('b.ts', 'export const b = 1;\n');
    await s.commit('main', HUMAN);
    s.git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    // Raw commits: a time past 2^32 seconds, one before 1970, a parent the repository does not have.
    const tree = s.rev('HEAD^{tree}');
    const future = writeRawObject(s, 'commit', `tree ${tree}\nparent ${s.head()}\nauthor F <f@f> 5000000000 +0000\ncommitter F <f@f> 5000000001 +0000\n\nfuture\n`);
    const past = writeRawObject(s, 'commit', `tree ${tree}\nparent ${future}\nparent ${'ab'.repeat(20)}\nauthor P <p@p> -86400 -0130\ncommitter P <p@p> 4294967295 +0000\n\npast\n`);
    for (const cutoff of [null, Number(s.git('show', '-s', '--format=%ct', old).trim()) + 1]) {
      const repo = await s.repo();
      const h = await walkHistory(repo, past, cutoff);
      expect(h.missing).toEqual(new Set(['ab'.repeat(20)]));
      expect(h.cut.size).toBe(cutoff === null ? 0 : 1);
      saveHistory(repo, h, cutoff, null);
      const kept = loadHistory(await s.repo())!;
      expect(kept.cutoff).toBe(cutoff);
      expect(shape(asHistory(kept))).toEqual(shape(h));
      expect([...kept.commits.values()]).toEqual(h.order.map((o) => h.commits.get(o)));
      const times = [...kept.commits.values()].flatMap((c) => [c.authorTime, c.commitTime]);
      expect(times).toEqual(expect.arrayContaining([5000000000, 5000000001, -86400, 4294967295]));
      expect([...kept.commits.values()].map((c) => c.message)).toEqual(expect.arrayContaining(['側の変更 😀 (not Latin-1)\n', 'naïve café: Latin-1 only\n']));
    }
  });

  it('an update keeps only its new commits (the tail) until 16 have come, then the whole walk again; each update reads only its own commit', async () => {
    const s = make();
    for (let i = 0; i < 3; i++) {
      s.write('a.ts', `export const a = ${i};\n`);
      await s.commit(`c${i}`, HUMAN);
    }
    const dir = path.join(s.dir, '.git', 'ot', 'survival');
    const tailFile = path.join(dir, 'history-tail.bin');
    const first = await walkHistory(await s.repo(), s.head(), null);
    saveHistory(await s.repo(), first, null, null);
    let oldTail: Buffer | null = null;
    for (let i = 1; i <= 17; i++) {
      s.write('b.ts', `export const b = ${i};\n`);
      await s.commit(`b${i}`, HUMAN);
      const repo = await s.repo();
      const known = loadHistory(repo)!;
      expect(known.at).toBe(s.rev('HEAD~1'));
      const h = await walkHistory(repo, s.head(), null, known);
      expect(h.read).toBe(1);
      expect(shape(h)).toEqual(shape(await walkHistory(repo, s.head(), null)));
      saveHistory(repo, h, null, known);
      // Kept as it was walked: the tail while its commits are few, then the whole walk (no tail).
      expect(shape(asHistory(loadHistory(repo)!))).toEqual(shape(h));
      expect(fs.existsSync(tailFile)).toBe(i <= 16);
      expect(loadHistory(repo)!.tail?.commits.length).toBe(i <= 16 ? i : undefined);
      if (i === 5) oldTail = fs.readFileSync(tailFile);
    }
    // The tail is written over the last one in place: one caught half written (the new bytes over
    // the start of a longer old one), or with a longer one's end left after it, is not used.
    for (let i = 18; i <= 19; i++) {
      s.write('b.ts', `export const b = ${i};\n`);
      await s.commit(`b${i}`, HUMAN);
      const repo = await s.repo();
      const known = loadHistory(repo)!;
      saveHistory(repo, await walkHistory(repo, s.head(), null, known), null, known);
    }
    const two = fs.readFileSync(tailFile);
    expect(loadHistory(await s.repo())!.tail?.commits.length).toBe(2);
    const longer = Buffer.concat([oldTail!, Buffer.alloc(two.length)]);
    for (const torn of [Buffer.concat([two.subarray(0, two.length >> 1), longer.subarray(two.length >> 1)]), Buffer.concat([two, Buffer.from('left over')])]) {
      fs.writeFileSync(tailFile, torn);
      const known = loadHistory(await s.repo())!;
      expect(known.tail).toBeUndefined();
      expect(known.at).toBe(s.rev('HEAD~2'));
    }
    // Written again over a longer file, the file is the new tail alone (its sum covers every byte).
    fs.writeFileSync(tailFile, Buffer.concat([two, two]));
    {
      const repo = await s.repo();
      const known = loadHistory(repo)!;
      saveHistory(repo, await walkHistory(repo, s.head(), null, known), null, known);
      expect(fs.statSync(tailFile).size).toBeLessThan(2 * two.length);
      expect(loadHistory(repo)!.at).toBe(s.head());
      expect(loadHistory(repo)!.tail?.commits.length).toBe(2);
    }
    // A tail of another kept walk is not used: the history file's walk is, as it is.
    fs.writeFileSync(tailFile, oldTail!);
    const repo = await s.repo();
    const known = loadHistory(repo)!;
    expect(known.at).toBe(s.rev('HEAD~2'));
    expect(known.tail).toBeUndefined();
    expect(shape(await walkHistory(repo, s.head(), null, known))).toEqual(shape(await walkHistory(repo, s.head(), null)));
  });
});
