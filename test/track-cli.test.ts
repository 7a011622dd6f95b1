import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HUMAN, OT_BIN, Scenario } from '../fixtures/scenario.js';
import { TrackReport } from '../src/model/track.js';

const scenarios: Scenario[] = [];
afterEach(() => {
  for (const s of scenarios.splice(0)) s.cleanup();
});

/** A human base commit of a.ts, then step S1 of trace T1 (through the CLI) writing `text` to it, committed. */
function agentCommit(text: string): Scenario {
  const s = new Scenario({ hooks: 'installed' });
  scenarios.push(s);
  s.write('a.ts', 'export const a = 1;\n');
  s.git('add', '-A');
  s.gitAs(HUMAN, 'commit', '-q', '-m', 'base');
  s.ot('trail', 'step', 'start', '--trace', 'T1', '--step', 'S1', '--kind', 'write');
  s.write('a.ts', text);
  s.ot('trail', 'step', 'end', '--trace', 'T1', '--step', 'S1');
  s.git('add', '-A');
  s.git('commit', '-q', '-m', 'agent');
  return s;
}

describe('ot trail track', () => {
  it('prints the table and summary, the JSON of the contract, and exits 2 on unknown trace or revision', async () => {
    const s = agentCommit('export const a = 1;\nexport const b = 2;\nexport const c = 3;\n');
    const anchor = s.head();
    s.git('revert', '--no-edit', 'HEAD');
    const json = s.ot('trail', 'track', '--json');
    expect(json.code, json.stderr).toBe(0);
    const doc = TrackReport.parse(JSON.parse(json.stdout));
    // Nothing outside the schema (parsing strips unknown keys: the document must be what it kept).
    expect(JSON.parse(json.stdout)).toEqual(doc);
    expect(doc.schema).toBe('ot.trail.track/1');
    expect(doc.patches).toHaveLength(1);
    expect(doc.patches[0]).toMatchObject({ traceId: 'T1', stepId: 'S1', path: 'a.ts', anchor: { commit: anchor, firmness: 'exact' } });
    expect(doc.patches[0]!.survival).toMatchObject({ state: 'reverted', totalLines: 2, deletedLines: 2, byCommit: s.head() });
    expect(doc.summary.byState.reverted).toBe(1);
    const atAnchor = JSON.parse(s.ot('trail', 'track', 'T1', '--at', anchor, '--json', '--timeline').stdout);
    expect(atAnchor).toEqual(TrackReport.parse(atAnchor));
    expect(atAnchor.patches[0].survival.state).toBe('alive_on_path');
    expect(atAnchor.patches[0].timeline).toHaveLength(1);
    const text = s.ot('trail', 'track', '--color', 'never');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/T1\/S1\s+a\.ts:2-3\s+\w{8}\s+reverted/);
    expect(text.stdout).toMatch(/^reverted\s+█+/m);
    expect(text.stdout).not.toMatch(/\u001b\[/);
    const bad = s.ot('trail', 'track', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown trace 'nope'/);
    const badRev = s.ot('trail', 'track', '--at', 'no-such-branch');
    expect(badRev.code).toBe(2);
    expect(badRev.stderr).toMatch(/unknown revision/);
  });
});

describe('read commands without the schemas', () => {
  it('track, blame and piped `ot trail` never load zod (read from the caches); a write does', async () => {
    const s = agentCommit('export const a = 1;\nexport const b = 2;\n');
    // Warm the event cache once (the first read of a chain validates it).
    expect(s.ot('trail', 'track').code).toBe(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ot-resolve-'));
    try {
      const log = path.join(dir, 'resolved.log');
      fs.writeFileSync(path.join(dir, 'hooks.mjs'), `import fs from 'node:fs';\nexport async function resolve(spec, ctx, next) {\n  const r = await next(spec, ctx);\n  fs.appendFileSync(${JSON.stringify(log)}, r.url + '\\n');\n  return r;\n}\n`);
      fs.writeFileSync(path.join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
      const zodLoadedBy = (...args: string[]) => {
        fs.rmSync(log, { force: true });
        const r = spawnSync(process.execPath, ['--import', path.join(dir, 'register.mjs'), OT_BIN, ...args], { cwd: s.dir, encoding: 'utf8', env: { ...process.env, CI: '1' } });
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        const files = fs.readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u));
        expect(files.some((f) => f.endsWith(path.join('dist', 'cli.js')))).toBe(true);
        return files.some((f) => /node_modules[\\/]zod[\\/]/.test(f) || (f.includes(`${path.sep}chunks${path.sep}`) && fs.readFileSync(f, 'utf8').includes('// node_modules/zod/')));
      };
      for (const args of [['trail', 'track', '--json'], ['trail', 'track'], ['trail', 'blame', 'commit', 'HEAD'], ['trail', 'blame', 'file', 'a.ts'], ['trail']]) {
        expect(zodLoadedBy(...args), args.join(' ')).toBe(false);
      }
      // The probe does see zod where something is validated: it can fail.
      expect(zodLoadedBy('trail', 'step', 'start', '--trace', 'T1', '--step', 'S2')).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
