import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { age, events, git, gitTree, lsTree, scenario, tempDir, trail } from './helpers.js';
import { loadTrail } from '../src/store/trail.js';
import { renameSources } from '../src/diff/file-changes.js';
import { takeSnapshot } from '../src/capture/snapshot.js';
import { stepEnd, stepStart } from '../src/capture/step.js';
import { OT_BIN } from '../fixtures/scenario.js';
import type { StepEndEvent, StepStartEvent } from '../src/model/events.js';

describe('snapshots', () => {
  it('equal the tree git writes for the same files, untracked and ignored handled as git does', async () => {
    const s = scenario();
    s.write('.gitignore', 'build/\n*.log\n!keep.log\n');
    s.write('src/a.ts', 'export const a = 1;\n');
    s.write('run.sh', '#!/bin/sh\necho hi\n');
    execFileSync('chmod', ['+x', s.path('run.sh')]);
    execFileSync('ln', ['-s', 'src/a.ts', s.path('link.ts')]);
    s.write('build/out.js', 'ignored\n');
    s.write('debug.log', 'ignored\n');
    s.write('keep.log', 'kept\n');
    s.write('dir with space/ü.txt', 'unicode\n');
    const r = await s.agentStep({ trace: 't', step: '1' }, () => s.write('new.txt', 'untracked\n'));
    expect(r.patches.map((p) => p.path)).toEqual(['new.txt']);
    const step = (await trail(s)).traces.get('t')!.steps[0]!;
    const ourTree = s.git('rev-parse', `${step.afterCommit}^{tree}`).trim();
    expect(ourTree).toBe(gitTree(s.dir));
    const entries = lsTree(s.dir, ourTree);
    expect(entries.get('run.sh')).toMatch(/^100755 blob /);
    expect(entries.get('link.ts')).toMatch(/^120000 blob /);
    expect(entries.has('build/out.js')).toBe(false);
    expect(entries.has('debug.log')).toBe(false);
    expect(entries.has('keep.log')).toBe(true);
  });

  it('respect .git/info/exclude, core.excludesFile from the global config, and the XDG default ignore file', async () => {
    const home = tempDir('ot-home-');
    const xdg = path.join(home, 'xdg');
    fs.mkdirSync(path.join(xdg, 'git'), { recursive: true });
    fs.writeFileSync(path.join(xdg, 'git', 'ignore'), '*.xdgignored\n');
    const env = { HOME: home, XDG_CONFIG_HOME: xdg };
    const s = scenario({ env });
    fs.writeFileSync(path.join(home, 'my-excludes'), '*.globalignored\n');
    fs.writeFileSync(path.join(home, '.gitconfig'), `[core]\n\texcludesFile = ${path.join(home, 'my-excludes')}\n`);
    fs.appendFileSync(s.path('.git/info/exclude'), '\n*.localignored\n');
    s.write('a.globalignored', 'g\n');
    s.write('b.localignored', 'l\n');
    s.write('c.txt', 'kept\n');
    s.write('d.xdgignored', 'x\n');
    const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
    Object.assign(process.env, env);
    try {
      // core.excludesFile set: it replaces the XDG default, exactly as in git.
      let snap = await takeSnapshot(await s.repo());
      expect([...lsTree(s.dir, snap.tree).keys()].sort()).toEqual(['c.txt', 'd.xdgignored']);
      expect(snap.tree).toBe(gitTree(s.dir, env));
      // Without core.excludesFile, git reads $XDG_CONFIG_HOME/git/ignore.
      fs.rmSync(path.join(home, '.gitconfig'));
      snap = await takeSnapshot(await s.repo());
      expect([...lsTree(s.dir, snap.tree).keys()].sort()).toEqual(['a.globalignored', 'c.txt']);
      expect(snap.tree).toBe(gitTree(s.dir, env));
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('prune ignored directories without walking them (an unreadable ignored dir is no limitation; an unreadable kept one is)', async () => {
    const s = scenario();
    s.write('.gitignore', 'secret/\n');
    s.write('a.txt', 'a\n');
    s.write('secret/deep/x.txt', 'x\n');
    s.write('open/y.txt', 'y\n');
    await s.commit('base');
    fs.chmodSync(s.path('secret'), 0o000);
    // root reads any directory: drop the capabilities that let it, so unreadable means unreadable.
    const root = process.getuid?.() === 0;
    const run = (...args: string[]) => {
      const cmd = root ? 'setpriv' : process.execPath;
      const pre = root ? ['--bounding-set=-dac_override,-dac_read_search', process.execPath] : [];
      const r = spawnSync(cmd, [...pre, OT_BIN, ...args], { cwd: s.dir, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    };
    try {
      run('trail', 'step', 'start', '--trace', 'p', '--step', '1');
      run('trail', 'step', 'end', '--trace', 'p', '--step', '1');
      let evs = await events(s, 'p');
      expect(evs.flatMap((e) => ('limitations' in e.event ? e.event.limitations : []))).toEqual([]);
      // The control: the same unreadable directory, not ignored, is named as a limitation.
      fs.writeFileSync(s.path('.gitignore'), '');
      run('trail', 'step', 'start', '--trace', 'p', '--step', '2');
      evs = await events(s, 'p');
      const start = evs.at(-1)!.event as StepStartEvent;
      expect(start.limitations).toEqual([expect.objectContaining({ path: 'secret', reason: expect.stringContaining('unreadable directory') })]);
    } finally {
      fs.chmodSync(s.path('secret'), 0o755);
    }
  });

  it('walk a tracked file inside an ignored directory, as git keeps tracking it', async () => {
    const s = scenario();
    s.write('vendor/lib.js', 'tracked\n');
    await s.commit('vendor');
    s.write('.gitignore', 'vendor/\n');
    s.write('vendor/other.js', 'ignored\n');
    const snap = await takeSnapshot(await s.repo());
    expect([...lsTree(s.dir, snap.tree).keys()].sort()).toEqual(['.gitignore', 'vendor/lib.js']);
  });

  it('record a nested repository and a submodule that is not checked out as gitlinks', async () => {
    const s = scenario();
    const inner = s.path('nested');
    fs.mkdirSync(inner);
    git(inner, 'init', '-q');
    fs.writeFileSync(path.join(inner, 'n.txt'), 'n\n');
    git(inner, 'add', '.');
    execFileSync('git', ['-c', 'user.name=n', '-c', 'user.email=n@x', 'commit', '-qm', 'n'], { cwd: inner });
    const innerHead = git(inner, 'rev-parse', 'HEAD').trim();
    s.write('top.txt', 'top\n');
    let snap = await takeSnapshot(await s.repo());
    expect(lsTree(s.dir, snap.tree).get('nested')).toBe(`160000 commit ${innerHead}`);
    expect(snap.tree).toBe(gitTree(s.dir));
    // Registered as a submodule, then its checkout removed: git still records the commit.
    s.git('update-index', '--add', '--cacheinfo', `160000,${innerHead},nested`);
    s.git('add', 'top.txt');
    s.git('commit', '-qm', 'with submodule');
    fs.rmSync(inner, { recursive: true });
    fs.mkdirSync(inner);
    snap = await takeSnapshot(await s.repo());
    expect(lsTree(s.dir, snap.tree).get('nested')).toBe(`160000 commit ${innerHead}`);
    expect(s.git('status', '--porcelain')).toBe('');
  });

  it('leave out files over the size limit, tracked or not, and name them as limitations', async () => {
    const s = scenario();
    s.write('big-tracked.bin', Buffer.alloc(3000, 1));
    await s.commit('big');
    s.write('big-new.txt', 'x'.repeat(2500));
    s.write('small.txt', 'small\n');
    const repo = await s.repo();
    await stepStart(repo, { traceId: 'big', stepId: '1', maxFileSize: 2000 });
    s.write('big-tracked.bin', Buffer.alloc(3001, 2));
    s.write('small.txt', 'small\nmore\n');
    const r = await stepEnd(await s.repo(), { traceId: 'big', stepId: '1', maxFileSize: 2000 });
    expect(r.patches.map((p) => p.path)).toEqual(['small.txt']);
    const evs = await events(s, 'big');
    const start = evs[0]!.event as StepStartEvent;
    expect(start.limitations.map((l) => l.path).sort()).toEqual(['big-new.txt', 'big-tracked.bin']);
    expect(start.limitations[0]!.reason).toMatch(/larger than the 2000-byte limit/);
    const tree = lsTree(s.dir, start.snapshotTree);
    expect(tree.has('big-new.txt')).toBe(false);
    expect(tree.has('big-tracked.bin')).toBe(false);
    // Through the CLI too.
    expect(s.ot('trail', 'step', 'start', '--trace', 'big', '--step', '2', '--max-file-size', '100').code).toBe(0);
    const last = (await events(s, 'big')).at(-1)!.event as StepStartEvent;
    expect(last.limitations.map((l) => l.path).sort()).toEqual(['.gitignore', 'big-new.txt', 'big-tracked.bin'].filter((p) => s.exists(p)));
  });

  it('are incremental: an unchanged tree hashes no file, k changed files hash k', async () => {
    const s = scenario();
    for (let i = 0; i < 40; i++) {
      s.write(`d${i % 4}/f${i}.txt`, `file ${i}\n`);
      age(s.path(`d${i % 4}/f${i}.txt`));
    }
    await s.commit('tracked');
    for (let i = 0; i < 30; i++) {
      s.write(`u${i % 3}/g${i}.txt`, `untracked ${i}\n`);
      age(s.path(`u${i % 3}/g${i}.txt`));
    }
    // The index is newer than every file, so tracked files are known from it; untracked ones are read.
    let snap = await takeSnapshot(await s.repo());
    expect(snap.files).toBe(70);
    expect(snap.hashed).toBe(30);
    snap = await takeSnapshot(await s.repo());
    expect(snap.hashed).toBe(0);
    const first = snap.tree;
    const changed = ['d1/f1.txt', 'd2/f10.txt', 'u0/g3.txt', 'u2/g5.txt'];
    for (const p of changed) {
      s.write(p, `changed ${p}\n`);
      age(s.path(p), 600);
    }
    snap = await takeSnapshot(await s.repo());
    expect(snap.hashed).toBe(changed.length);
    expect(snap.tree).not.toBe(first);
    expect(snap.tree).toBe(gitTree(s.dir));
    snap = await takeSnapshot(await s.repo());
    expect(snap.hashed).toBe(0);
    // A same-size edit with the same mtime still differs in ctime: it is re-read.
    const p = s.path('u1/g4.txt');
    const st = fs.statSync(p);
    fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace('4', '9'));
    fs.utimesSync(p, st.atime, st.mtime);
    snap = await takeSnapshot(await s.repo());
    expect(snap.hashed).toBe(1);
    expect(snap.tree).toBe(gitTree(s.dir));
  });
});

describe('patches', () => {
  it('take the source git blame finds for each new file: the same content first (the same file name before the first by path), else the most similar', async () => {
    const d = (path: string, oldOid: string | null, newOid: string | null, text: string) => ({ path, oldOid, newOid, oldMode: oldOid ? '100644' : null, newMode: newOid ? '100644' : null, text });
    const deleted = [d('a/z/lib.js', 'o1', null, 'x\ny\n'), d('b/lib.ts', 'o1', null, 'x\ny\n'), d('c/other.js', 'o2', null, 'one\ntwo\nthree\nfour\n')];
    const added = [d('n/lib.ts', null, 'o1', 'x\ny\n'), d('n/copy.js', null, 'o1', 'x\ny\n'), d('n/near.js', null, 'o3', 'one\ntwo\nthree\nfive\n'), d('n/far.js', null, 'o4', 'unlike\nanything\n')];
    const texts = new Map([...deleted, ...added].map((x) => [x.path, x.text]));
    const lines = async (x: { path: string }) => texts.get(x.path)!.split('\n').slice(0, -1);
    const found = await renameSources(added, deleted, lines);
    expect(Object.fromEntries([...found].map(([to, from]) => [to.path, from.path]))).toEqual({ 'n/lib.ts': 'b/lib.ts', 'n/copy.js': 'a/z/lib.js', 'n/near.js': 'c/other.js' });
    // Only the sources the caller follows: a new file none of them is like is not compared with the others (their lines not read).
    const read: string[] = [];
    const followed = await renameSources(added, deleted, async (x, side) => (read.push(`${side} ${x.path}`), lines(x)), (x) => x.path === 'a/z/lib.js');
    expect(Object.fromEntries([...followed].map(([to, from]) => [to.path, from.path]))).toEqual({ 'n/lib.ts': 'b/lib.ts', 'n/copy.js': 'a/z/lib.js' });
    expect(read).not.toContain('old c/other.js');
  });

  it('are one per hunk (zero context), with the hunks git diff -U0 shows for the same trees', async () => {
    const s = scenario();
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    s.write('multi.txt', `${lines.join('\n')}\n`);
    s.write('gone.txt', 'bye\nbye again\n');
    s.write('trim.txt', 'a\nb\nc\nd\ne\n');
    await s.commit('base');
    const r = await s.agentStep({ trace: 't', step: 's' }, () => {
      const l = [...lines];
      l[2] = 'line 3 edited';
      l.splice(20, 0, 'inserted a', 'inserted b');
      s.write('multi.txt', `${l.join('\n')}\n`);
      s.remove('gone.txt');
      s.write('trim.txt', 'a\nb\ne\n');
      s.write('added.txt', 'new\nfile\n');
    });
    const multi = r.patches.filter((p) => p.path === 'multi.txt');
    expect(multi).toHaveLength(2);
    expect(multi[0]).toMatchObject({ change: 'modified', oldStart: 3, oldLines: 1, newStart: 3, newLines: 1, removed: ['line 3'], added: ['line 3 edited'] });
    expect(multi[1]).toMatchObject({ oldStart: 20, oldLines: 0, newStart: 21, newLines: 2, removed: [], added: ['inserted a', 'inserted b'] });
    expect(r.patches.find((p) => p.path === 'gone.txt')).toMatchObject({ change: 'deleted', added: [], removed: ['bye', 'bye again'], afterBlob: null });
    expect(r.patches.find((p) => p.path === 'trim.txt')).toMatchObject({ change: 'modified', added: [], removed: ['c', 'd'], oldStart: 3, oldLines: 2 });
    expect(r.patches.find((p) => p.path === 'added.txt')).toMatchObject({ change: 'added', beforeBlob: null, added: ['new', 'file'] });
    // The oracle: git's own zero-context diff of the two snapshot trees.
    const ev = (await events(s, 't')).at(-1)!.event as StepEndEvent;
    const diff = s.git('diff', '-U0', '--no-renames', ev.beforeTree, ev.snapshotTree);
    const gitHunks: string[] = [];
    let file = '';
    for (const l of diff.split('\n')) {
      const f = /^\+\+\+ (?:b\/(.*)|\/dev\/null)$/.exec(l);
      const m = /^--- a\/(.*)$/.exec(l);
      if (m) file = m[1]!;
      else if (f && f[1]) file = f[1];
      const h = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(l);
      if (h) gitHunks.push(`${file} -${h[1]},${h[2] ?? 1} +${h[3]},${h[4] ?? 1}`);
    }
    const ours = r.patches.map((p) => `${p.path} -${p.oldStart},${p.oldLines} +${p.newStart},${p.newLines}`);
    expect(ours.sort()).toEqual(gitHunks.sort());
  });

  it('pair renames at 50% similarity or more (as git -M50% does) and treat binary files as one patch without lines', async () => {
    const s = scenario();
    const body = Array.from({ length: 10 }, (_, i) => `const v${i} = ${i};`).join('\n');
    s.write('old-name.ts', `${body}\n`);
    s.write('unrelated.ts', 'alpha\nbeta\ngamma\ndelta\n');
    s.write('img.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
    await s.commit('base');
    const r = await s.agentStep({ trace: 't', step: 'r' }, () => {
      s.rename('old-name.ts', 'new-name.ts');
      s.replace('new-name.ts', 'const v3 = 3;', 'const v3 = 33;');
      s.remove('unrelated.ts');
      s.write('different.ts', 'one\ntwo\nthree\nfour\n');
      s.write('img.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 9, 9, 9, 9]));
    });
    const ev = (await events(s, 't')).at(-1)!.event as StepEndEvent;
    const status = s.git('diff', '--name-status', '-M50%', ev.beforeTree, ev.snapshotTree);
    expect(status).toMatch(/^R\d+\told-name\.ts\tnew-name\.ts$/m);
    const renamed = r.patches.filter((p) => p.change === 'renamed');
    expect(renamed).toHaveLength(1);
    expect(renamed[0]).toMatchObject({ path: 'new-name.ts', oldPath: 'old-name.ts', removed: ['const v3 = 3;'], added: ['const v3 = 33;'] });
    expect(r.patches.find((p) => p.path === 'unrelated.ts')?.change).toBe('deleted');
    expect(r.patches.find((p) => p.path === 'different.ts')?.change).toBe('added');
    const bin = r.patches.filter((p) => p.path === 'img.png');
    expect(bin).toEqual([expect.objectContaining({ binary: true, change: 'modified', added: [], removed: [], oldLines: 0, newLines: 0 })]);
    expect(status).toMatch(/^M\timg\.png$/m);
  });

  it('have content-derived ids: the same change recorded twice is one patch', async () => {
    const s = scenario();
    s.write('f.txt', 'one\ntwo\n');
    await s.commit('base');
    const first = await s.agentStep({ trace: 't', step: 'same' }, () => s.write('f.txt', 'one\n2\n'));
    s.write('f.txt', 'one\ntwo\n');
    const second = await s.agentStep({ trace: 't', step: 'same' }, () => s.write('f.txt', 'one\n2\n'));
    expect(first.patches).toHaveLength(1);
    expect(second.patches.map((p) => p.patchId)).toEqual(first.patches.map((p) => p.patchId));
    const t = await trail(s);
    expect(t.patches.size).toBe(1);
    // A different change gets a different id.
    s.write('f.txt', 'one\ntwo\n');
    const third = await s.agentStep({ trace: 't', step: 'same' }, () => s.write('f.txt', 'one\nTWO\n'));
    expect(third.patches[0]!.patchId).not.toBe(first.patches[0]!.patchId);
  });
});

describe('step windows', () => {
  /** Minute `m` of 2026-01-01, UTC: step windows at times the test chooses. */
  const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();
  it('overlapping windows of two steps touching the same file give unattributed patches naming both steps; separate windows are credited', async () => {
    const s = scenario();
    s.write('shared.txt', 'a\nb\nc\nd\ne\nf\n');
    s.write('solo.txt', '1\n2\n');
    await s.commit('base');
    const repo = () => s.repo();
    await stepStart(await repo(), { traceId: 'A', stepId: 'a1', at: at(1) });
    await stepStart(await repo(), { traceId: 'B', stepId: 'b1', at: at(2) });
    s.replace('shared.txt', 'a\n', 'A-edit\n');
    s.replace('shared.txt', 'f\n', 'B-edit\n');
    const ea = await stepEnd(await repo(), { traceId: 'A', stepId: 'a1', at: at(3) });
    expect(ea.unattributed).toBe(0); // B is still open: nothing known yet
    const eb = await stepEnd(await repo(), { traceId: 'B', stepId: 'b1', at: at(4) });
    expect(eb.unattributed).toBe(eb.patches.length);
    expect(eb.patches[0]!.unattributed).toMatch(/overlapping step windows: step 'b1' of trace 'B' and step 'a1' of trace 'A' both touched shared\.txt/);
    let t = await trail(s);
    const shared = [...t.patches.values()].filter((p) => p.path === 'shared.txt');
    expect(shared.length).toBeGreaterThanOrEqual(4);
    for (const p of shared) expect(p.unattributed).toMatch(/step 'a1' of trace 'A'.*step 'b1' of trace 'B'|step 'b1' of trace 'B'.*step 'a1' of trace 'A'/);
    // Later, separate windows on one file: each credited to its own step.
    await stepStart(await repo(), { traceId: 'A', stepId: 'a2', at: at(5) });
    s.write('solo.txt', '1\n2\n3\n');
    const c = await stepEnd(await repo(), { traceId: 'A', stepId: 'a2', at: at(6) });
    await stepStart(await repo(), { traceId: 'B', stepId: 'b2', at: at(7) });
    s.write('solo.txt', '0\n1\n2\n3\n');
    const d = await stepEnd(await repo(), { traceId: 'B', stepId: 'b2', at: at(8) });
    expect(c.patches).toEqual([expect.objectContaining({ path: 'solo.txt', added: ['3'], stepId: 'a2' })]);
    expect(d.patches).toEqual([expect.objectContaining({ path: 'solo.txt', added: ['0'], stepId: 'b2' })]);
    t = await trail(s);
    expect(t.patches.get(c.patches[0]!.patchId)!.unattributed).toBeUndefined();
    expect(t.patches.get(d.patches[0]!.patchId)!.unattributed).toBeUndefined();
  });

  it('finds an overlap in a trace that moved since the last look, and compares times across UTC offsets', async () => {
    const s = scenario();
    s.write('x.txt', '1\n2\n');
    s.write('y.txt', 'a\nb\n');
    await s.commit('base');
    const repo = () => s.repo();
    // A's first step ends early; a later step end notes A's latest step end (at 2).
    await stepStart(await repo(), { traceId: 'A', stepId: 'a1', at: at(1) });
    s.write('y.txt', 'a\nb\nc\n');
    await stepEnd(await repo(), { traceId: 'A', stepId: 'a1', at: at(2) });
    await stepStart(await repo(), { traceId: 'B', stepId: 'b0', at: at(3) });
    s.write('y.txt', 'a\nb\nc\nd\n');
    expect((await stepEnd(await repo(), { traceId: 'B', stepId: 'b0', at: at(4) })).unattributed).toBe(0);
    // Then A moves on: a2 ends inside b1's window, on the same file. A must be read again.
    await stepStart(await repo(), { traceId: 'B', stepId: 'b1', at: at(5) });
    await stepStart(await repo(), { traceId: 'A', stepId: 'a2', at: at(6) });
    s.write('x.txt', '0\n1\n2\n');
    await stepEnd(await repo(), { traceId: 'A', stepId: 'a2', at: at(7) });
    s.write('x.txt', '0\n1\n2\n3\n');
    const b1 = await stepEnd(await repo(), { traceId: 'B', stepId: 'b1', at: at(8) });
    expect(b1.patches.length).toBeGreaterThan(0);
    expect(b1.unattributed).toBe(b1.patches.length);
    // Times with another UTC offset: 02:09+02:00 is 00:09Z, before A's a3 ends (00:11Z).
    await stepStart(await repo(), { traceId: 'B', stepId: 'b2', at: '2026-01-01T02:09:00+02:00' });
    await stepStart(await repo(), { traceId: 'A', stepId: 'a3', at: at(10) });
    s.write('y.txt', 'A\nb\nc\nd\n');
    await stepEnd(await repo(), { traceId: 'A', stepId: 'a3', at: at(11) });
    s.write('y.txt', 'A\nb\nc\nD\n');
    const b2 = await stepEnd(await repo(), { traceId: 'B', stepId: 'b2', at: '2026-01-01T02:12:00+02:00' });
    expect(b2.patches.length).toBeGreaterThan(0);
    expect(b2.patches[0]!.unattributed).toMatch(/step 'b2' of trace 'B' and step 'a3' of trace 'A' both touched y\.txt/);
  });

  it('never credit a change made outside every window', async () => {
    const s = scenario();
    s.write('f.txt', 'x\n');
    await s.commit('base');
    s.write('f.txt', 'x\nhuman before\n');
    const r = await s.agentStep({ trace: 't', step: '1' }, () => s.write('g.txt', 'agent\n'));
    s.write('f.txt', 'x\nhuman before\nhuman after\n');
    expect(r.patches.map((p) => p.path)).toEqual(['g.txt']);
    expect([...(await loadTrail(await s.repo())).patches.values()].map((p) => p.path)).toEqual(['g.txt']);
  });
});
