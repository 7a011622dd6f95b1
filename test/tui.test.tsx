import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { Scenario } from '../fixtures/scenario.js';
import { App, splitKeys, type AppData } from '../src/tui/app.js';
import { loadTarget } from '../src/tui/open.js';
import { filterRows, prRows, traceRows, tracesRows } from '../src/tui/rows.js';
import { firstFrameText } from '../src/tui/screen.js';
import { emptyCounts } from '../src/model/formats.js';
import { buildPrExplorer, explorerSummaryText, loadExplorer, loadTimelines, survivalBar, type ExplorerModel, type PrCardData } from '../src/views/explorer.js';

/**
 * The interface on a real scenario repository: two agents, three traces' worth of steps, commits,
 * a revert and uncommitted work, read back through the real trail store and survival.
 */
const KEY = { up: '\u001B[A', down: '\u001B[B', enter: '\r', esc: '\u001B', tab: '\t', backspace: '\u007F' };
const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
const strip = (s: string | undefined) => (s ?? '').replace(/\u001B\[[0-9;]*m/g, '');

let s: Scenario;
let empty: Scenario;
let model: ExplorerModel;
const commits: Record<string, string> = {};

beforeAll(async () => {
  s = new Scenario({ hooks: 'direct' });
  s.write('README.md', '# app\n');
  commits.base = await s.commit('Initial import');
  await s.turn('trace-alpha', 'Add a greeting module');
  await s.agentStep({ trace: 'trace-alpha', step: 'write-greet', tool: 'Write' }, () => s.write('src/greet.ts', "export const greet = (n: string) => 'Hello, ' + n;\n"));
  await s.agentStep({ trace: 'trace-alpha', step: 'read-readme', tool: 'Read', kind: 'read' }, () => {});
  await s.agentStep({ trace: 'trace-alpha', step: 'export', tool: 'Edit' }, () => s.write('src/index.ts', "export * from './greet.js';\n"));
  await s.endTurn('trace-alpha');
  commits.greet = await s.commit('Add greeting module');
  await s.turn('trace-beta', 'Add a config loader', undefined, 'codex');
  await s.agentStep({ trace: 'trace-beta', step: 'config', tool: 'apply_patch', agent: 'codex' }, () => s.write('src/config.ts', 'export const config = { verbose: false };\n'));
  commits.config = await s.commit('Add config loader');
  await s.agentStep({ trace: 'trace-beta', step: 'scratch', tool: 'apply_patch', agent: 'codex' }, () => s.write('notes.md', 'ideas\n'));
  await s.endTurn('trace-beta');
  model = (await loadExplorer(s.dir, { timeline: true })).model;
  empty = new Scenario({ hooks: 'direct' });
  empty.write('a.txt', 'a\n');
  await empty.commit('only a human commit');
});
afterAll(() => {
  s?.cleanup();
  empty?.cleanup();
});
afterEach(() => cleanup());

function open(data: AppData | Promise<AppData>, size?: { columns: number; rows: number }) {
  const r = render(<App data={data} onQuit={() => quits.push(1)} />);
  if (size) resize(r.stdout, size);
  return r;
}
const quits: number[] = [];

function resize(stdout: NodeJS.EventEmitter, size: { columns: number; rows: number }) {
  Object.defineProperty(stdout, 'columns', { configurable: true, get: () => size.columns });
  Object.defineProperty(stdout, 'rows', { configurable: true, get: () => size.rows });
  stdout.emit('resize');
}

/**
 * Waits for a frame that passes `ok` (at most 15 s): for work the app does off the keyboard, such as a
 * real timeline pass, which may take longer than the 40 ms `keys` waits for a frame under a busy CI.
 */
async function frameWhere(r: ReturnType<typeof render>, ok: (frame: string) => boolean): Promise<string> {
  const until = Date.now() + 15_000;
  let f = strip(r.lastFrame());
  while (!ok(f) && Date.now() < until) {
    await tick(40);
    f = strip(r.lastFrame());
  }
  return f;
}

/** Writes each key, then waits until the frames settle (no new frame for 40 ms, at most 2 s). */
async function keys(r: ReturnType<typeof render>, ...seq: string[]) {
  for (const k of seq) {
    r.stdin.write(k);
    const until = Date.now() + 2000;
    let n = -1;
    while (n !== r.frames.length && Date.now() < until) {
      n = r.frames.length;
      await tick(40);
    }
  }
}

describe('explorer model', () => {
  it('counts steps, patches and states per trace from the real trail', () => {
    expect(model.traces.map((t) => [t.traceId, t.agent, t.steps, t.patches])).toEqual([
      ['trace-beta', 'codex', 2, 2],
      ['trace-alpha', 'claude-code', 3, 2],
    ]);
    const beta = model.traces[0]!;
    // notes.md was never committed: pending whatever the engine; config.ts landed in a commit.
    expect(beta.byState.pending).toBe(1);
    expect(beta.byState.alive_on_path).toBe(1);
    expect(model.traces[1]!.byState.alive_on_path).toBe(2);
    const config = [...model.patches.values()].find((p) => p.row.path === 'src/config.ts')!;
    expect(config.anchor?.commit).toBe(commits.config);
    expect(config.added).toEqual(['export const config = { verbose: false };']);
    expect(model.totals).toMatchObject({ traces: 2, steps: 5, patches: 4 });
    expect(model.details.get('trace-alpha')!.turns.map((t) => [t.intent, t.steps.length])).toEqual([['Add a greeting module', 3]]);
  });

  it('draws survival bars with every present state visible and the width exact', () => {
    const c = { ...emptyCounts(), alive_on_path: 98, reverted: 1, pending: 1 };
    const bar = survivalBar(c, 20);
    expect(bar.map((b) => b.state)).toEqual(['alive_on_path', 'reverted', 'pending']);
    expect(bar.reduce((n, b) => n + b.cells, 0)).toBe(20);
    expect(bar[1]!.cells).toBeGreaterThanOrEqual(1);
    expect(survivalBar(emptyCounts(), 20)).toEqual([]);
    expect(survivalBar({ ...emptyCounts(), lost: 1, moved: 1, unknown: 1 }, 2)).toHaveLength(2);
  });

  it('filters rows keeping each matching row under its group header', () => {
    const rows = traceRows(model, 'trace-alpha');
    const kept = filterRows(rows, 'index.ts').map((r) => r.key);
    expect(kept.some((k) => k.startsWith('step:export'))).toBe(true);
    expect(kept.filter((k) => k.startsWith('patch:'))).toHaveLength(1);
    expect(kept.some((k) => k.startsWith('step:write-greet'))).toBe(false);
    expect(filterRows(tracesRows(model, 100), 'CODEX').map((r) => r.key)).toEqual(['trace-beta']);
  });

  it('prints a plain summary, and says how to record a trace when there is none', async () => {
    const text = explorerSummaryText(model);
    expect(text).toMatch(/^2 traces, 5 steps, 4 patches/);
    expect(text).toMatch(/trace-beta\s+codex\s+2\s+2\s+.*1 pending/);
    const none = await loadExplorer(empty.dir);
    expect(explorerSummaryText(none.model)).toContain('No traces are recorded');
    expect(explorerSummaryText(none.model)).toContain('ot trail hooks install');
  });
});

describe('interface', () => {
  it('lists the traces, moves with j/k and arrows, opens a trace, a patch, and goes back with esc', async () => {
    const r = open({ kind: 'explorer', model }, { columns: 120, rows: 30 });
    await tick();
    let f = strip(r.lastFrame());
    expect(f).toContain('2 traces · 5 steps · 4 patches');
    expect(f).toMatch(/trace-beta\s+codex\s+2 steps\s+2 patches/);
    expect(f).toContain('1/2');
    await keys(r, 'j');
    expect(strip(r.lastFrame())).toContain('2/2');
    await keys(r, KEY.up, KEY.down, KEY.enter);
    f = strip(r.lastFrame());
    expect(f).toContain('traces › trace-alpha');
    expect(f).toContain('▸ prompt "Add a greeting module"');
    expect(f).toMatch(/#002 \S+ read\s+Read/);
    expect(f).toContain('src/greet.ts  +1 -0');
    // Down to the first patch (prompt, step 1, patch), open it.
    await keys(r, 'j', 'j', KEY.enter);
    f = strip(r.lastFrame());
    expect(f).toContain('traces › trace-alpha › src/greet.ts');
    expect(f).toContain("+export const greet = (n: string) => 'Hello, ' + n;");
    expect(f).toContain('survival  alive_on_path');
    expect(f).toMatch(new RegExp(`${commits.greet!.slice(0, 7)}  alive_on_path  1/1 alive`));
    expect(f).toContain(`anchor    ${commits.greet!.slice(0, 7)}`);
    await keys(r, KEY.esc);
    expect(strip(r.lastFrame())).toContain('traces › trace-alpha');
    expect(strip(r.lastFrame())).not.toContain('› src/greet.ts');
    await keys(r, KEY.esc);
    expect(strip(r.lastFrame())).toMatch(/^traces\s*$/m);
    await keys(r, 'q');
    expect(quits.length).toBeGreaterThan(0);
  });

  it('explains a step that changed nothing instead of opening it', async () => {
    const r = open({ kind: 'explorer', model, open: [{ kind: 'trace', traceId: 'trace-alpha' }] }, { columns: 120, rows: 30 });
    await tick();
    // prompt, step 1, its patch, step 2 (the read)
    await keys(r, 'j', 'j', 'j', KEY.enter);
    expect(strip(r.lastFrame())).toContain('step 2 (read, Read) changed no files');
  });

  it('filters with /, typing, enter; esc clears the filter', async () => {
    const r = open({ kind: 'explorer', model }, { columns: 120, rows: 30 });
    await tick();
    await keys(r, '/', 'a', 'l', 'p', 'x', KEY.backspace);
    let f = strip(r.lastFrame());
    expect(f).toContain('/ alp█');
    expect(f).toContain('1 of 2');
    expect(f).not.toContain('trace-beta');
    await keys(r, KEY.enter);
    f = strip(r.lastFrame());
    expect(f).toContain('filter "alp": 1 of 2');
    // j/k move again after enter leaves the typing mode, and q is a key again, not text.
    await keys(r, KEY.enter);
    expect(strip(r.lastFrame())).toContain('traces › trace-alpha');
    await keys(r, KEY.esc, KEY.esc);
    f = strip(r.lastFrame());
    expect(f).toContain('trace-beta');
    expect(f).toContain('trace-alpha');
    await keys(r, '/', 'z', 'z', 'z', KEY.enter);
    expect(strip(r.lastFrame())).toContain('nothing matches "zzz"');
  });

  it('says how to record a trace when none is recorded', async () => {
    const data = await loadTarget({ kind: 'traces' }, empty.dir);
    const r = open(data, { columns: 120, rows: 20 });
    await tick();
    const f = strip(r.lastFrame());
    expect(f).toContain('No traces are recorded in this repository yet');
    expect(f).toContain('ot trail hooks install --agent claude-code');
  });

  it('explains errors on screen: not a repository, an unknown trace, a failing load', async () => {
    const notRepo = await loadTarget({ kind: 'traces' }, '/');
    let r = open(notRepo, { columns: 100, rows: 20 });
    await tick();
    expect(strip(r.lastFrame())).toContain('cannot read the trail');
    expect(strip(r.lastFrame())).toContain('not a git repository');
    expect(strip(r.lastFrame())).toContain('-C DIR');
    r.unmount();
    const unknown = await loadTarget({ kind: 'trace', traceId: 'no-such-trace' }, s.dir);
    r = open(unknown, { columns: 100, rows: 20 });
    await tick();
    expect(strip(r.lastFrame())).toContain("unknown trace 'no-such-trace'");
    r.unmount();
    r = open(Promise.reject(new Error('the disk is on fire')), { columns: 100, rows: 20 });
    await tick(60);
    expect(strip(r.lastFrame())).toContain('the disk is on fire');
  });

  it('follows the terminal size: width of every line and the rows shown', async () => {
    const r = open({ kind: 'explorer', model, open: [{ kind: 'trace', traceId: 'trace-alpha' }] }, { columns: 120, rows: 30 });
    await tick();
    let lines = strip(r.lastFrame()).split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBe(120);
    expect(lines.some((l) => l.includes('src/index.ts'))).toBe(true);
    resize(r.stdout, { columns: 50, rows: 10 });
    await tick();
    lines = strip(r.lastFrame()).split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(50);
    expect(lines.length).toBeLessThanOrEqual(9);
    // 10 rows: crumbs, 2 header lines, 2 rules, footer leave 3 rows of body: the last patch is below.
    expect(lines.some((l) => l.includes('src/index.ts'))).toBe(false);
    await keys(r, 'G');
    expect(strip(r.lastFrame())).toContain('src/index.ts');
    resize(r.stdout, { columns: 120, rows: 30 });
    await tick();
    expect(strip(r.lastFrame()).split('\n').some((l) => l.includes('#001'))).toBe(true);
  });

  it('shows the PR card with its four tabs; tab switches, enter opens a patch', async () => {
    const card: PrCardData = {
      title: 'Greeting and config',
      base: commits.base,
      head: commits.config,
      alignment: { aligned: 2, total: 2 },
      scope: { hunks: 3, aliveHunks: 3 },
      wallTimeMs: 125_000,
      steps: 5,
      traces: 2,
      agents: [{ name: 'claude-code', steps: 3 }, { name: 'codex', steps: 2 }],
      commits: [
        { sha: commits.greet!, subject: 'Add greeting module', aligned: true, intent: 'Add a greeting module', survival: { byState: { alive_on_path: 2 } }, steps: 3, turns: 1 },
        { sha: commits.config!, subject: 'Add config loader', aligned: true, intent: 'Add a config loader', survival: { byState: { alive_on_path: 1 } }, steps: 1, turns: 1 },
      ],
    };
    const pr = buildPrExplorer(card, model);
    expect(pr.commits.map((c) => c.patches.map((p) => p.row.path))).toEqual([['src/greet.ts', 'src/index.ts'], ['src/config.ts']]);
    expect(pr.conversation.map((t) => t.intent)).toEqual(['Add a greeting module', 'Add a config loader']);
    expect(prRows(pr, 'diff').some((r) => r.segments.some((x) => x.text === '+export * from \'./greet.js\';'))).toBe(true);

    const r = open({ kind: 'pr', model, pr }, { columns: 120, rows: 30 });
    await tick();
    let f = strip(r.lastFrame());
    expect(f).toContain('Greeting and config');
    expect(f).toContain('2 / 2');
    expect(f).toContain('3 hunks, 3 alive');
    expect(f).toContain('2m05s');
    expect(f).toContain('claude-code (3), codex (2)');
    expect(f).toContain('[intent alignment]');
    expect(f).toMatch(/01 \/ 02  Add greeting module\s+\w{7}\s+aligned · 2\/2 alive_on_path/);
    expect(f).toContain('"Add a greeting module"');
    expect(f).toContain('trajectory · 3 steps · 1 turn');
    await keys(r, KEY.tab);
    f = strip(r.lastFrame());
    expect(f).toContain('[trail]');
    expect(f).toMatch(/trace-alpha\s+#001/);
    await keys(r, KEY.tab);
    f = strip(r.lastFrame());
    expect(f).toContain('[conversation]');
    expect(f).toMatch(/codex · trace-beta\s+"Add a config loader"/);
    await keys(r, KEY.tab);
    f = strip(r.lastFrame());
    expect(f).toContain('[diff]');
    expect(f).toContain('+export const config = { verbose: false };');
    await keys(r, '/', 'c', 'o', 'n', 'f', 'i', 'g', KEY.enter);
    f = strip(r.lastFrame());
    expect(f).not.toContain('src/greet.ts');
    expect(f).toContain('src/config.ts');
    // The filtered rows: the commit header, then the patch line: open it.
    await keys(r, 'j', KEY.enter);
    expect(strip(r.lastFrame())).toContain('pull request › src/config.ts');
    await keys(r, KEY.esc);
    expect(strip(r.lastFrame())).toContain('[diff]');
    // Shift+tab goes back a tab; tab wraps around.
    await keys(r, '\u001B[Z');
    expect(strip(r.lastFrame())).toContain('[conversation]');
    await keys(r, KEY.tab, KEY.tab);
    expect(strip(r.lastFrame())).toContain('[intent alignment]');
  });
});

describe('survival timelines after the first frame', () => {
  it('lists from the cached pass, then adds the same timelines a timeline pass gives', async () => {
    const first = await loadExplorer(s.dir, { timeline: false });
    const greet = [...first.model.patches.values()].find((p) => p.row.path === 'src/greet.ts')!;
    expect(greet.timeline).toBeNull();
    expect(first.model.traces).toEqual(model.traces);
    const full = await loadTimelines(first);
    for (const [id, p] of model.patches) expect(full.patches.get(id)!.timeline, p.row.path).toEqual(p.timeline);
    expect(full.patches.get(greet.row.patchId)!.timeline!.map((t) => [t.commit, t.state])).toEqual([[commits.greet, 'alive_on_path']]);
    // Already there: the same model back, no second pass.
    expect(await loadTimelines({ ...first, model: full })).toBe(full);
  });

  it('says the timeline is being computed on a patch, then shows it', async () => {
    const data = await loadTarget({ kind: 'traces' }, s.dir);
    expect(data.kind).toBe('explorer');
    if (data.kind !== 'explorer') return;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const r = open({ ...data, timelines: async () => (await held, data.timelines!()) }, { columns: 120, rows: 30 });
    await tick();
    // trace-alpha (second), then its first patch: prompt, step 1, patch.
    await keys(r, 'j', KEY.enter, 'j', 'j', KEY.enter);
    let f = strip(r.lastFrame());
    expect(f).toContain('traces › trace-alpha › src/greet.ts');
    expect(f).toContain('survival  alive_on_path');
    expect(f).toContain('computing the state at each commit…');
    release();
    f = await frameWhere(r, (frame) => !frame.includes('computing the state'));
    expect(f).not.toContain('computing the state');
    expect(f).toMatch(new RegExp(`${commits.greet!.slice(0, 7)}  alive_on_path  1/1 alive`));
  });

  it('says why when the timelines cannot be computed', async () => {
    const r = open({ kind: 'explorer', model: (await loadExplorer(s.dir, { timeline: false })).model, timelines: () => Promise.reject(new Error('no history here')) }, { columns: 120, rows: 30 });
    await tick();
    await keys(r, 'j', KEY.enter, 'j', 'j', KEY.enter);
    expect(strip(r.lastFrame())).toContain('cannot compute the timeline: no history here');
  });
});

describe('the first frame written before Ink loads', () => {
  const lines = (text: string | undefined) => strip(text).split('\n').map((l) => l.trimEnd());
  const same = async (data: AppData, size: { columns: number; rows: number }) => {
    const r = open(data, size);
    await tick();
    const text = firstFrameText(data, size);
    expect(text).not.toBeNull();
    expect(lines(text!)).toEqual(lines(r.lastFrame()));
    r.unmount();
    return text!;
  };

  it('is the screen the interface draws, line for line, on every kind of first screen', async () => {
    const traces = await loadTarget({ kind: 'traces' }, s.dir);
    const text = await same(traces, { columns: 120, rows: 30 });
    expect(strip(text)).toMatch(/trace-beta\s+codex\s+2 steps/);
    // The selected row is drawn in reverse video, as Ink draws it.
    expect(text).toContain('\u001B[7;1mtrace-beta');
    await same(traces, { columns: 50, rows: 10 });
    await same(await loadTarget({ kind: 'trace', traceId: 'trace-alpha' }, s.dir), { columns: 100, rows: 24 });
    await same(await loadTarget({ kind: 'traces' }, empty.dir), { columns: 120, rows: 20 });
    await same(await loadTarget({ kind: 'pr', base: commits.base }, s.dir), { columns: 120, rows: 30 });
  });

  it('is left to Ink for an error', async () => {
    expect(firstFrameText(await loadTarget({ kind: 'traces' }, '/'), { columns: 100, rows: 20 })).toBeNull();
  });
});

describe('the pull-request card from src/views/pr.ts', () => {
  it('opens over the real card of base..HEAD', async () => {
    const data = await loadTarget({ kind: 'pr', base: commits.base }, s.dir);
    expect(data.kind).toBe('pr');
    if (data.kind !== 'pr') return;
    expect(data.pr.card.alignment).toEqual({ aligned: 2, total: 2 });
    expect(data.pr.commits.map((c) => c.subject)).toEqual(['Add greeting module', 'Add config loader']);
    const r = open(data, { columns: 120, rows: 30 });
    await tick();
    expect(strip(r.lastFrame())).toMatch(/02 \/ 02  Add config loader\s+\w{7}\s+aligned/);
    await keys(r, KEY.tab, KEY.tab);
    expect(strip(r.lastFrame())).toMatch(/claude-code · trace-alpha\s+"Add a greeting module"/);
  });

  it('says why when there is no card to show', async () => {
    const data = await loadTarget({ kind: 'pr', base: 'no-such-rev' }, s.dir);
    const r = open(data, { columns: 100, rows: 20 });
    await tick();
    expect(strip(r.lastFrame())).toContain('cannot build the pull-request card');
    expect(strip(r.lastFrame())).toContain("unknown revision 'no-such-rev'");
  });
});

describe('keys arriving together', () => {
  it('applies each key of one chunk in turn: "/alp" then enter, then "jq"', async () => {
    const r = open({ kind: 'explorer', model }, { columns: 120, rows: 30 });
    await tick();
    await keys(r, '/alp');
    expect(strip(r.lastFrame())).toContain('/ alp█');
    await keys(r, KEY.enter);
    expect(strip(r.lastFrame())).toContain('filter "alp": 1 of 2');
    await keys(r, `${KEY.esc}`);
    const before = quits.length;
    await keys(r, 'jq');
    expect(strip(r.lastFrame())).toContain('2/2');
    expect(quits.length).toBe(before + 1);
  });

  it('reads enter, tab and backspace among typed characters as those keys', async () => {
    expect(splitKeys('j\r', {})).toEqual([['j', {}], ['', { return: true }]]);
    expect(splitKeys('ab\u007F\t', {})).toEqual([['a', {}], ['b', {}], ['', { backspace: true }], ['', { tab: true }]]);
    expect(splitKeys('\n', {})).toEqual([['', { return: true }]]);
    expect(splitKeys('\u0015', {})).toEqual([['u', { ctrl: true }]]);
    expect(splitKeys('G', { shift: true })).toEqual([['G', { shift: true }]]);
    expect(splitKeys('', { upArrow: true })).toEqual([['', { upArrow: true }]]);
    const r = open({ kind: 'explorer', model }, { columns: 120, rows: 30 });
    await tick();
    // One chunk: filter "alpx", backspace, enter keeps it, enter opens the trace.
    await keys(r, '/alpx\u007F\r\r');
    expect(strip(r.lastFrame())).toContain('traces › trace-alpha');
    await keys(r, KEY.esc, KEY.esc);
    await keys(r, 'j\r');
    expect(strip(r.lastFrame())).toContain('traces › trace-alpha');
  });

  it('keeps keys typed while the trail loads for the screen that shows it', async () => {
    let resolve!: (d: AppData) => void;
    const r = open(new Promise<AppData>((res) => (resolve = res)), { columns: 120, rows: 30 });
    await tick();
    expect(strip(r.lastFrame())).toContain('reading the trail');
    await keys(r, 'j', KEY.enter);
    resolve({ kind: 'explorer', model });
    await keys(r, '');
    expect(strip(r.lastFrame())).toContain('traces › trace-alpha');
  });
});
