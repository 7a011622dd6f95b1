import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OT_BIN, PROJECT_ROOT, Scenario } from '../fixtures/scenario.js';

/**
 * The real `ot` binary (dist/, built by `npm run build`) in a real pseudo-terminal: tmux on a
 * private server, keys sent with send-keys, the screen read back with capture-pane.
 */
const DIST_CLI = path.join(PROJECT_ROOT, 'dist', 'cli.js');
const SOCKET = `ot-tui-e2e-${process.pid}`;
let s: Scenario;
let tmp: string;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

function screen(session: string): string {
  return tmux('capture-pane', '-p', '-t', session);
}

/** Polls the pane until `expected` shows (bounded), returning the screen. */
async function waitFor(session: string, expected: string | RegExp, timeoutMs = 10_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    last = screen(session);
    if (typeof expected === 'string' ? last.includes(expected) : expected.test(last)) return last;
    await new Promise((r) => setTimeout(r, 40));
  }
  throw new Error(`timed out waiting for ${String(expected)}; the screen was:\n${last}`);
}

function start(session: string, command: string, cwd = s.dir): void {
  // CI is unset inside the pane whatever the test runner has; the pane outlives the command so its
  // last screen and exit status can be read.
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', '-c', cwd, `env -u CI TERM=xterm-256color ${command}; echo OT_EXIT=$?; sleep 60`);
}

function keys(session: string, ...k: string[]): void {
  tmux('send-keys', '-t', session, ...k);
}

beforeAll(async () => {
  if (!fs.existsSync(DIST_CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ot-tui-e2e-'));
  s = new Scenario({ hooks: 'direct' });
  s.write('README.md', '# app\n');
  await s.commit('Initial import');
  s.checkout('feature', true);
  await s.turn('trace-alpha', 'Add a greeting module');
  await s.agentStep({ trace: 'trace-alpha', step: 'write-greet', tool: 'Write' }, () => s.write('src/greet.ts', "export const greet = (n: string) => 'Hello, ' + n;\n"));
  await s.agentStep({ trace: 'trace-alpha', step: 'export', tool: 'Edit' }, () => s.write('src/index.ts', "export * from './greet.js';\n"));
  await s.endTurn('trace-alpha');
  await s.commit('Add greeting module');
  await s.turn('trace-beta', 'Add a config loader', undefined, 'codex');
  await s.agentStep({ trace: 'trace-beta', step: 'config', tool: 'apply_patch', agent: 'codex' }, () => s.write('src/config.ts', 'export const config = {};\n'));
  await s.endTurn('trace-beta');
  await s.commit('Add config loader');
});

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    /* no server left */
  }
  s?.cleanup();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('ot trail in a terminal', () => {
  it('opens the explorer: move, open, back, filter, quit, with the screen read back', async () => {
    start('explore', `node ${OT_BIN} trail`);
    let view = await waitFor('explore', /trace-beta\s+codex\s+1 step\s+1 patch\s/);
    expect(view).toMatch(/trace-alpha\s+claude-code\s+2 steps\s+2 patches/);
    expect(view).toContain('1/2');
    keys('explore', 'j');
    await waitFor('explore', '2/2');
    keys('explore', 'Enter');
    view = await waitFor('explore', 'traces › trace-alpha');
    expect(view).toContain('▸ prompt "Add a greeting module"');
    expect(view).toMatch(/#001 \S+ write Write/);
    keys('explore', 'Down', 'Down', 'Enter');
    view = await waitFor('explore', 'traces › trace-alpha › src/greet.ts');
    expect(view).toContain("+export const greet = (n: string) => 'Hello, ' + n;");
    keys('explore', 'Escape');
    await waitFor('explore', /traces › trace-alpha\s*$/m);
    keys('explore', 'Escape');
    await waitFor('explore', /^traces\s*$/m);
    keys('explore', '/', 'c', 'o', 'd', 'e', 'x');
    view = await waitFor('explore', '/ codex█');
    keys('explore', 'Enter');
    view = await waitFor('explore', 'filter "codex": 1 of 2');
    expect(view).not.toContain('trace-alpha');
    keys('explore', 'Escape');
    await waitFor('explore', 'trace-alpha');
    keys('explore', 'q');
    view = await waitFor('explore', 'OT_EXIT=0');
    // The alternate screen is left: the explorer's frame is gone from the terminal.
    expect(view).not.toContain('↑↓/jk move');
  });

  it('takes keys typed before its first frame: they wait for it', async () => {
    start('early', `node ${OT_BIN} trail`);
    // At once, while node is still starting: j, then enter (which a terminal not yet in raw mode
    // would turn into a line feed).
    keys('early', 'j', 'Enter');
    const view = await waitFor('early', 'traces › trace-alpha');
    expect(view).toContain('▸ prompt "Add a greeting module"');
    keys('early', 'q');
    await waitFor('early', 'OT_EXIT=0');
  });

  it('opens the pull-request card of the branch with p and switches its tabs', async () => {
    start('pr', `node ${OT_BIN} trail`);
    await waitFor('pr', 'p pull request');
    keys('pr', 'p');
    let view = await waitFor('pr', '[intent alignment]');
    expect(view).toContain('2 / 2');
    expect(view).toMatch(/01 \/ 02  Add greeting module\s+\w{7}\s+aligned/);
    expect(view).toContain('"Add a greeting module"');
    keys('pr', 'Tab');
    view = await waitFor('pr', '[trail]');
    expect(view).toMatch(/trace-alpha\s+#001/);
    keys('pr', 'Tab');
    view = await waitFor('pr', '[conversation]');
    expect(view).toMatch(/codex · trace-beta\s+"Add a config loader"/);
    keys('pr', 'Tab');
    view = await waitFor('pr', '[diff]');
    expect(view).toContain('+export const config = {};');
    keys('pr', 'Escape');
    await waitFor('pr', /^traces\s*$/m);
    keys('pr', 'q');
    await waitFor('pr', 'OT_EXIT=0');
  });

  it('follows the terminal when it is resized', async () => {
    start('resize', `node ${OT_BIN} trail`);
    await waitFor('resize', 'trace-alpha');
    tmux('resize-window', '-t', 'resize', '-x', '60', '-y', '12');
    const view = await waitFor('resize', /^─{60}$/m);
    expect(view.split('\n').every((l) => l.length <= 60)).toBe(true);
    keys('resize', 'q');
    await waitFor('resize', 'OT_EXIT=0');
  });

  it('opens on one trace with `track TRACE --tui`, and prints the table when piped', async () => {
    start('track', `node ${OT_BIN} trail track trace-alpha --tui`);
    const view = await waitFor('track', 'traces › trace-alpha');
    expect(view).toContain('▸ prompt "Add a greeting module"');
    keys('track', 'q');
    await waitFor('track', 'OT_EXIT=0');
    const r = spawnSync(process.execPath, [OT_BIN, 'trail', 'track', 'trace-alpha', '--tui'], { cwd: s.dir, encoding: 'utf8', env: { ...process.env, CI: '' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/STEP\s+FILE:LINES\s+ANCHOR\s+STATE/);
    expect(r.stdout).toContain('trace-alpha/');
    expect(r.stdout).not.toContain('\u001b');
  });

  it('prints text, never the interface, when piped or under CI', async () => {
    // stdout piped (stdin still the terminal).
    start('piped', `node ${OT_BIN} trail | cat`);
    let view = await waitFor('piped', 'OT_EXIT=0');
    expect(view).toMatch(/^2 traces, 3 steps, 3 patches/m);
    expect(view).not.toContain('↑↓/jk move');
    // Both ends terminals, but CI set.
    tmux('new-session', '-d', '-s', 'ci', '-x', '120', '-y', '40', '-c', s.dir, `env CI=1 node ${OT_BIN} trail; echo OT_EXIT=$?; sleep 60`);
    view = await waitFor('ci', 'OT_EXIT=0');
    expect(view).toMatch(/trace-beta\s+codex\s+1\s+1\s/);
    expect(view).not.toContain('↑↓/jk move');
    // Fully piped: plain text, no escape code at all.
    const r = spawnSync(process.execPath, [OT_BIN, 'trail'], { cwd: s.dir, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: undefined, CI: '' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^2 traces, 3 steps, 3 patches/);
    expect(r.stdout).toMatch(/trace-alpha\s+claude-code\s+2\s+2\s/);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stderr).toBe('');
  });
});

describe('Ink is loaded only when the interface opens', () => {
  // Ink and React are bundled into chunks of their own; esbuild marks each bundled module with a
  // `// node_modules/<package>/...` comment, which is how a chunk holding them is recognised.
  const holdsUi = (file: string) => /^\/\/ node_modules\/(ink|react|react-reconciler|yoga-layout)\//m.test(fs.readFileSync(file, 'utf8'));
  const chunks = () => fs.readdirSync(path.join(PROJECT_ROOT, 'dist', 'chunks')).filter((f) => f.endsWith('.js')).map((f) => path.join(PROJECT_ROOT, 'dist', 'chunks', f));

  it('is absent from the static import graph of dist/cli.js', () => {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = fs.readFileSync(file, 'utf8');
      // Static imports and re-exports only: `import(...)` is the lazy path.
      for (const m of text.matchAll(/^\s*(?:import|export)\s*(?:[^'"();]*?\sfrom\s*)?["']([^"']+)["'];?/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) walk(path.resolve(path.dirname(file), spec));
        else bare.add(spec);
      }
    };
    walk(DIST_CLI);
    expect(seen.size).toBeGreaterThan(1);
    expect([...bare].filter((b) => /^(ink|react|yoga-layout)(\/|$)/.test(b))).toEqual([]);
    expect([...seen].filter(holdsUi)).toEqual([]);
    // The interface is in the bundle all the same, in chunks reached only dynamically.
    expect(chunks().some(holdsUi)).toBe(true);
  });

  it('is never loaded by `ot --version`, `ot trail verify` or piped `ot trail`, and is by the interface', async () => {
    const log = path.join(tmp, 'resolved.log');
    fs.writeFileSync(path.join(tmp, 'hooks.mjs'), `import fs from 'node:fs';\nexport async function resolve(spec, ctx, next) {\n  const r = await next(spec, ctx);\n  fs.appendFileSync(${JSON.stringify(log)}, r.url + '\\n');\n  return r;\n}\n`);
    fs.writeFileSync(path.join(tmp, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
    const register = path.join(tmp, 'register.mjs');
    const uiLoaded = () =>
      (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '')
        .split('\n')
        .filter((u) => u.startsWith('file:'))
        .map((u) => fileURLToPath(u))
        .filter((f) => /\/(node_modules\/(ink|react|yoga-layout)\/|dist\/chunks\/)/.test(f) && (f.includes('node_modules') || holdsUi(f)));
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', register, OT_BIN, ...args], { cwd: s.dir, encoding: 'utf8', env: { ...process.env, CI: '' } });
    for (const args of [['--version'], ['trail', 'verify'], ['trail']]) {
      const r = run(...args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(fs.readFileSync(log, 'utf8')).toContain('dist/cli.js');
    expect(uiLoaded()).toEqual([]);
    // The same probe sees Ink when the interface does open: it can fail.
    start('probe', `node --import ${register} ${OT_BIN} trail`);
    await waitFor('probe', 'trace-alpha');
    keys('probe', 'q');
    await waitFor('probe', 'OT_EXIT=0');
    expect(uiLoaded().length).toBeGreaterThan(0);
  });
});
