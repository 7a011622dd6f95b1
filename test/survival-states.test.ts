import { describe, expect, it } from 'vitest';
import { scenario } from './helpers.js';
import { HUMAN, Scenario } from '../fixtures/scenario.js';
import { loadTrail, orderedPatches } from '../src/store/trail.js';
import { computeSurvival } from '../src/survival/engine.js';
import type { Survival } from '../src/model/survival.js';

// Scenarios made here are removed after each test (test/helpers.ts).
const make = scenario;

const body = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `  const ${tag}${i} = compute(${tag}, ${i * 7});`).join('\n') + '\n';

async function survival(s: Scenario, options: { at?: string; timeline?: boolean } = {}) {
  const repo = await s.repo();
  const trail = await loadTrail(repo);
  const report = await computeSurvival(repo, trail, { cache: false, ...options });
  const byStep = new Map<string, Survival>();
  for (const [id, ps] of report.patches) byStep.set(trail.patches.get(id)!.stepId, ps.survival);
  return { report, byStep, trail };
}

/** A base file, then an agent step adding 4 lines in the middle, committed. */
async function base(s: Scenario) {
  s.write('a.ts', `function a() {\n${body(6, 'base')}}\n`);
  await s.commit('base', HUMAN);
  await s.agentStep({ trace: 't1', step: 'add' }, () => s.replace('a.ts', '  const base3', `${body(4, 'agent')}  const base3`));
  return s.commit('agent adds');
}

describe('survival states', () => {
  it('git revert: reverted by the revert commit; a revert of the revert: alive_on_path again', async () => {
    const s = make();
    const anchor = await base(s);
    let r = await survival(s);
    expect(r.byStep.get('add')).toMatchObject({ state: 'alive_on_path', aliveLines: 4, totalLines: 4, byCommit: anchor });
    s.git('revert', '--no-edit', anchor);
    const revert = s.head();
    r = await survival(s);
    expect(r.byStep.get('add')).toMatchObject({ state: 'reverted', aliveLines: 0, deletedLines: 4, byCommit: revert });
    s.git('revert', '--no-edit', revert);
    const again = s.head();
    r = await survival(s);
    expect(r.byStep.get('add')).toMatchObject({ state: 'alive_on_path', aliveLines: 4, byCommit: again });
    // And at the revert itself, the past is still answerable.
    r = await survival(s, { at: revert });
    expect(r.byStep.get('add')!.state).toBe('reverted');
  });

  it('a hand-made revert (restoring the before-content) is found by content', async () => {
    const s = make();
    s.write('a.ts', `function a() {\n${body(6, 'base')}}\n`);
    await s.commit('base', HUMAN);
    const before = s.read('a.ts');
    await s.agentStep({ trace: 't1', step: 'rewrite' }, () => s.replace('a.ts', '  const base2 = compute(base, 14);\n  const base3 = compute(base, 21);', '  const agent2 = fetch(base, 14);\n  const agent3 = fetch(base, 21);'));
    await s.commit('agent rewrites');
    s.write('a.ts', before);
    const undo = await s.commit('undo that by hand', HUMAN);
    const r = await survival(s);
    expect(r.byStep.get('rewrite')).toMatchObject({ state: 'reverted', byCommit: undo });
  });

  it('edits: by the same author alive_transformed, by a human repaired; deletions partial then lost', async () => {
    const s = make();
    await base(s);
    s.replace('a.ts', 'const agent1 = compute(agent, 7);', 'const agent1 = compute(agent, 8);');
    const edit = await s.commit('tweak by same author');
    let r = await survival(s);
    expect(r.byStep.get('add')).toMatchObject({ state: 'alive_transformed', aliveLines: 3, editedLines: 1, byCommit: edit });
    s.replace('a.ts', 'const agent2 = compute(agent, 14);', 'const agent2 = compute(agent, 15);');
    const human = await s.commit('tweak by a human', HUMAN);
    r = await survival(s);
    expect(r.byStep.get('add')).toMatchObject({ state: 'repaired', aliveLines: 2, editedLines: 2, byCommit: human });
    s.replace('a.ts', '  const agent0 = compute(agent, 0);\n', '');
    const del = await s.commit('drop a line', HUMAN);
    r = await survival(s);
    expect(r.byStep.get('add')).toMatchObject({ state: 'partially_preserved', aliveLines: 1, editedLines: 2, deletedLines: 1, byCommit: del });
    s.remove('a.ts');
    const gone = await s.commit('delete file', HUMAN);
    r = await survival(s);
    expect(r.byStep.get('add')).toMatchObject({ state: 'lost', lostKind: 'file_deleted', aliveLines: 0, deletedLines: 4, byCommit: gone });
  });

  it('a block moved to another file is moved; a whole-file rename stays alive_on_path', async () => {
    const s = make();
    await base(s);
    s.git('mv', 'a.ts', 'b.ts');
    await s.commit('rename', HUMAN);
    let r = await survival(s);
    expect(r.byStep.get('add')).toMatchObject({ state: 'alive_on_path', aliveLines: 4 });
    const block = body(4, 'agent');
    s.write('b.ts', s.read('b.ts').replace(block, ''));
    s.write('c.ts', `// moved here\n${block}`);
    const mv = await s.commit('move block', HUMAN);
    r = await survival(s);
    expect(r.byStep.get('add')).toMatchObject({ state: 'moved', aliveLines: 0, movedLines: 4, byCommit: mv });
    expect(r.report.lines.get('c.ts')!.filter((o) => o).length).toBe(4);
  });

  it('a new file follows the deleted file git blame finds for it alone, even one another path was renamed from', async () => {
    // git blame looks for each new path's source on its own: here one deleted file is the source
    // of its exact rename and of two new files like it (a commit-wide pairing gives it to the
    // rename alone, and the two would be new).
    const s = make();
    const shared = (tag: string) => `#!/usr/bin/env node\nconsole.log('${tag} install');\nconsole.log('${tag} done');\n`;
    await s.agentStep({ trace: 't1', step: 'write' }, () => {
      s.write('old/ts/pm.ts', `#!/usr/bin/env node\n\n${shared('pm').split('\n').slice(1).join('\n')}`);
      s.write('old/pm', 'echo other\necho other too\nexit 0\n');
    });
    const first = await s.commit('fixtures');
    await s.agentStep({ trace: 't1', step: 'move' }, () => {
      const moved = s.read('old/ts/pm.ts');
      s.git('rm', '-q', 'old/ts/pm.ts', 'old/pm');
      s.write('new/ts/pm.ts', moved);
      s.write('new/pm', shared('pm'));
      s.write('new/pmlink', shared('pm'));
    });
    await s.commit('move fixtures');
    const r = await survival(s);
    for (const file of ['new/ts/pm.ts', 'new/pm', 'new/pmlink']) {
      const blamed = s
        .git('blame', '--porcelain', 'HEAD', '--', file)
        .split('\n')
        .filter((l) => /^[0-9a-f]{40} \d+ \d+/.test(l))
        .map((l) => l.slice(0, 40));
      expect(blamed.every((c) => c === first), file).toBe(true);
      const owners = r.report.lines.get(file) ?? [];
      expect(owners.map((o) => o?.anchorCommit ?? null), file).toEqual(blamed);
    }
    // A patch's line copied to two more files counts once: its counts never pass its own lines.
    const written = [...r.report.patches.values()].find((ps) => r.trail.patches.get(ps.patchId)!.path === 'old/ts/pm.ts')!;
    expect(written.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 4, totalLines: 4 });
  });

  it('pending, never_committed, off_path, pure deletions, and the timeline', async () => {
    const s = make();
    const anchor = await base(s);
    await s.agentStep({ trace: 't1', step: 'wip' }, () => s.write('wip.ts', 'export const wip = 1;\n'));
    await s.agentStep({ trace: 't1', step: 'tmp' }, () => s.write('tmp.ts', 'export const tmp = 2;\n'));
    s.remove('tmp.ts');
    await s.agentStep({ trace: 't1', step: 'del' }, () => s.replace('a.ts', '  const base5 = compute(base, 35);\n', ''));
    let r = await survival(s);
    expect(r.byStep.get('wip')).toMatchObject({ state: 'pending', totalLines: 1, aliveLines: 1, deletedLines: 0 });
    expect(r.byStep.get('tmp')).toMatchObject({ state: 'lost', lostKind: 'never_committed', aliveLines: 0, deletedLines: 1 });
    const delCommit = await s.commit('commit the deletion and wip');
    r = await survival(s);
    expect(r.byStep.get('del')).toMatchObject({ state: 'alive_on_path', totalLines: 0, byCommit: delCommit });
    s.replace('a.ts', '}\n', '  const base5 = compute(base, 35);\n}\n');
    const back = await s.commit('bring the line back', HUMAN);
    r = await survival(s, { timeline: true });
    expect(r.byStep.get('del')).toMatchObject({ state: 'reverted', byCommit: back });
    const id = [...r.trail.patches.values()].find((p) => p.stepId === 'wip')!.patchId;
    expect(r.report.patches.get(id)!.timeline!.map((t) => t.state)).toEqual(['alive_on_path']);
    // A branch without the anchor commit: off_path there.
    s.git('checkout', '-q', '-b', 'old', `${anchor}~1`);
    r = await survival(s);
    expect(r.byStep.get('add')).toMatchObject({ state: 'lost', lostKind: 'off_path' });
    s.checkout('main');
    // Timeline of a patch reverted then restored.
    s.git('revert', '--no-edit', anchor);
    const rv = s.head();
    r = await survival(s, { timeline: true });
    const addId = [...r.trail.patches.values()].find((p) => p.stepId === 'add')!.patchId;
    expect(r.report.patches.get(addId)!.timeline!.map((t) => [t.commit, t.state])).toEqual([
      [anchor, 'alive_on_path'],
      [rv, 'reverted'],
    ]);
  });

  it('reports in the trail\'s order, null for a trace not asked for, and the same by patch id', async () => {
    const s = make();
    await base(s);
    await s.agentStep({ trace: 't2', step: 'other' }, () => s.write('b.ts', 'export const b = 1;\nexport const c = 2;\n'));
    await s.commit('t2 adds b');
    const repo = await s.repo();
    const trail = await loadTrail(repo);
    const order = orderedPatches(trail);
    expect(order.map((p) => p.traceId)).toEqual(['t1', 't2']);
    const all = await computeSurvival(repo, trail, { cache: false });
    expect(all.inTrailOrder.map((ps) => ps?.patchId)).toEqual(order.map((p) => p.patchId));
    expect([...all.patches.keys()]).toEqual(order.map((p) => p.patchId));
    expect(all.patches.get(order[1]!.patchId)).toBe(all.inTrailOrder[1]);
    const one = await computeSurvival(repo, trail, { cache: false, traceIds: ['t2'] });
    expect(one.inTrailOrder[0]).toBeNull();
    expect(one.inTrailOrder[1]).toEqual(all.inTrailOrder[1]);
    expect([...one.patches.keys()]).toEqual([order[1]!.patchId]);
  });
});
