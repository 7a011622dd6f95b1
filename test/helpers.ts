import { afterEach } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Scenario, OT_BIN, type ScenarioOptions } from '../fixtures/scenario.js';
import { readTraceEvents, traceRef, type StoredEvent } from '../src/store/log.js';
import { loadTrail, orderedPatches, type Trail } from '../src/store/trail.js';
import type { PatchSurvival, SurvivalReport } from '../src/survival/types.js';
import type { Survival, SurvivalState } from '../src/model/survival.js';

/** Scenarios and temp dirs made by a test, removed after it. */
const made: Scenario[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of made.splice(0)) s.cleanup();
  for (const d of dirs.splice(0)) {
    spawnSync('chmod', ['-R', 'u+rwx', d]);
    fs.rmSync(d, { recursive: true, force: true });
  }
});

export function scenario(options?: ScenarioOptions): Scenario {
  const s = new Scenario(options);
  made.push(s);
  return s;
}

export function tempDir(prefix = 'ot-test-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** git's own tree of a working tree, through a temporary index (the oracle for snapshots). */
export function gitTree(dir: string, env: NodeJS.ProcessEnv = {}): string {
  const idx = path.join(tempDir('ot-index-'), 'index');
  const e = { ...process.env, ...env, GIT_INDEX_FILE: idx };
  execFileSync('git', ['add', '-A'], { cwd: dir, env: e, stdio: ['ignore', 'ignore', 'ignore'] });
  return execFileSync('git', ['write-tree'], { cwd: dir, env: e, encoding: 'utf8' }).trim();
}

/** A raw object written with `git hash-object -w --literally` (the bytes as given, unchecked); its id. */
export function writeRawObject(s: Scenario, type: string, body: string | Buffer): string {
  return execFileSync('git', ['hash-object', '-w', '--literally', '-t', type, '--stdin'], { cwd: s.dir, input: body, encoding: 'utf8' }).trim();
}

/** `git ls-tree -r` of a tree: path -> "mode type oid". */
export function lsTree(dir: string, tree: string): Map<string, string> {
  const out = execFileSync('git', ['ls-tree', '-r', '-z', tree], { cwd: dir, encoding: 'latin1' });
  const m = new Map<string, string>();
  for (const rec of out.split('\0').filter(Boolean)) {
    const [meta, p] = rec.split('\t');
    m.set(p!, meta!);
  }
  return m;
}

export async function events(s: Scenario, trace: string): Promise<StoredEvent[]> {
  return readTraceEvents(await s.repo(), traceRef(trace));
}

export async function trail(s: Scenario): Promise<Trail> {
  return loadTrail(await s.repo());
}

/** Every file path under the git dir with its size and mtime: "nothing written" is this, unchanged. */
export function gitDirListing(gitdir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = fs.statSync(p);
        out.push(`${path.relative(gitdir, p)} ${st.size} ${st.mtimeMs}`);
      }
    }
  };
  walk(gitdir);
  return out.sort();
}

/** Runs the real `ot` in any directory (no scenario needed). */
export function otIn(cwd: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [OT_BIN, ...args], { cwd, env: { ...process.env, CI: '1', ...options.env }, input: options.input ?? '', encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Sets a file's times to `secondsAgo` in the past (so stat caches can trust it without waiting). */
export function age(file: string, secondsAgo = 3600): void {
  const t = Date.now() / 1000 - secondsAgo;
  fs.utimesSync(file, t, t);
}

/**
 * A survival report whose states are a test's input, by step id (the engine's verdicts are tested
 * elsewhere): a patch is wholly alive when alive_on_path, else wholly deleted.
 */
export function reportWith(trail: Trail, at: string, states: Record<string, SurvivalState>): SurvivalReport {
  const inTrailOrder = orderedPatches(trail).map((p): PatchSurvival => {
    const state = states[p.stepId] ?? 'unknown';
    const survival: Survival = { state, totalLines: p.added.length, aliveLines: state === 'alive_on_path' ? p.added.length : 0, movedLines: 0, editedLines: 0, deletedLines: state === 'alive_on_path' ? 0 : p.added.length, byCommit: null, lostKind: null, reason: null };
    return { patchId: p.patchId, survival, anchor: trail.anchors.get(p.patchId) ?? null };
  });
  return { at, inTrailOrder, patches: new Map(inTrailOrder.map((ps) => [ps.patchId, ps])), lines: new Map() };
}
