import { execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OT_BIN, PROJECT_ROOT, Scenario } from '../fixtures/scenario.js';
import { median } from './stats.js';

/**
 * Time to the first frame of the interface: the real `ot trail` binary started in a tmux pane
 * (a real pseudo-terminal, CI unset) until the traces list with its data is on the screen, read
 * back with capture-pane. Baseline: `git log --oneline` on the same repository. Target <= 0.5 s.
 * Then the time until the interface answers a key: j, typed as soon as the frame shows, moves the
 * cursor (the first frame is written before Ink loads; Ink takes the keys once it has).
 */
const RUNS = 5;
const TARGET_MS = 500;

async function buildRepo(): Promise<Scenario> {
  const s = new Scenario({ hooks: 'direct' });
  s.write('README.md', '# bench\n');
  await s.commit('Initial import');
  // 6 traces of 8 write steps each, a commit after every two steps: 48 steps, 24 commits.
  for (let t = 0; t < 6; t++) {
    const trace = `bench-trace-${t}`;
    await s.turn(trace, `Work item ${t}: add module ${t}`, undefined, t % 2 ? 'codex' : 'claude-code');
    for (let k = 0; k < 8; k++) {
      await s.agentStep({ trace, step: `s${k}`, agent: t % 2 ? 'codex' : 'claude-code' }, () =>
        s.write(`src/m${t}/f${k}.ts`, Array.from({ length: 20 }, (_, i) => `export const v${k}_${i} = ${i};`).join('\n') + '\n'),
      );
      if (k % 2 === 1) await s.commit(`module ${t} part ${k >> 1}`);
    }
    await s.endTurn(trace);
  }
  return s;
}

export async function benchTui(): Promise<string[]> {
  const tmuxOk = spawnSync('tmux', ['-V']).status === 0;
  if (!tmuxOk) return ['tui first frame: skipped (tmux is not installed)'];
  const s = await buildRepo();
  const socket = `ot-bench-tui-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const frames: number[] = [];
    const answers: number[] = [];
    const poll = async (session: string, t0: number, text: string): Promise<number> => {
      while (performance.now() - t0 < 10_000) {
        if (tmux('capture-pane', '-p', '-t', session).includes(text)) return performance.now() - t0;
        await new Promise((r) => setTimeout(r, 5));
      }
      return -1;
    };
    for (let i = 0; i < RUNS; i++) {
      const session = `b${i}`;
      const t0 = performance.now();
      tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', '-c', s.dir, `env -u CI TERM=xterm-256color ${process.execPath} ${OT_BIN} trail; sleep 30`);
      const ms = await poll(session, t0, 'bench-trace-0');
      if (ms < 0) return ['tui first frame: FAILED (the traces list did not appear within 10 s)'];
      tmux('send-keys', '-t', session, 'j');
      const answered = await poll(session, t0, '2/6');
      tmux('send-keys', '-t', session, 'q');
      tmux('kill-session', '-t', session);
      if (answered < 0) return ['tui first frame: FAILED (j typed on the first frame did not move the cursor within 10 s)'];
      frames.push(ms);
      answers.push(answered);
    }
    const gitRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      execFileSync('git', ['log', '--oneline'], { cwd: s.dir, stdio: 'ignore' });
      gitRuns.push(performance.now() - t0);
    }
    // The shares of the first frame: the same command piped (no interface: node, the trail, the
    // survival engine, the text), and loading the built chunk that holds Ink and React.
    const piped: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      spawnSync(process.execPath, [OT_BIN, 'trail'], { cwd: s.dir, stdio: 'ignore', env: { ...process.env, CI: '' } });
      piped.push(performance.now() - t0);
    }
    const chunks = path.join(PROJECT_ROOT, 'dist', 'chunks');
    const inkChunk = fs.readdirSync(chunks).filter((f) => f.endsWith('.js')).map((f) => path.join(chunks, f)).find((f) => /^\/\/ node_modules\/ink\//m.test(fs.readFileSync(f, 'utf8')));
    const ink = inkChunk
      ? spawnSync(process.execPath, ['--input-type=module', '-e', `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(inkChunk).href)}); process.stdout.write(String(performance.now() - t));`], { encoding: 'utf8' })
      : null;
    const f = median(frames);
    const g = median(gitRuns);
    return [
      `tui first frame (ot trail in tmux, 6 traces / 48 steps / 24 commits): median ${f.toFixed(0)} ms of ${RUNS} [${frames.map((x) => x.toFixed(0)).join(', ')}] (target <= ${TARGET_MS} ms: ${f <= TARGET_MS ? 'met' : 'NOT met'})`,
      `  baseline git log --oneline: median ${g.toFixed(1)} ms; ratio ${(f / g).toFixed(1)}x`,
      `  first key answered (j typed on the first frame moves the cursor): median ${median(answers).toFixed(0)} ms [${answers.map((x) => x.toFixed(0)).join(', ')}]`,
      `  of which: the same command piped (no interface) median ${median(piped).toFixed(0)} ms; loading the bundled Ink/React chunk ${ink ? `${Number(ink.stdout).toFixed(0)} ms` : 'not found (build first)'}`,
    ];
  } finally {
    try {
      tmux('kill-server');
    } catch {
      /* already gone */
    }
    s.cleanup();
  }
}
