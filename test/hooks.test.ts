import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { events, otIn, scenario, tempDir, trail } from './helpers.js';

const mode = (f: string) => fs.statSync(f).mode & 0o777;

describe('git hooks', () => {
  it('install chains an existing post-commit (it still runs, its exit status kept) and uninstall restores it exactly', async () => {
    const s = scenario({ hooks: 'none' });
    const hook = s.path('.git/hooks/post-commit');
    const original = `#!/bin/sh\necho "old hook ran $(git rev-parse HEAD)" >> "${s.path('.git/old-hook.log')}"\nexit 7\n`;
    fs.writeFileSync(hook, original, { mode: 0o750 });
    fs.chmodSync(hook, 0o750);
    const r = s.ot('trail', 'hooks', 'install');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/chained\s+.*post-commit/);
    expect(r.stdout).toMatch(/installed\s+.*post-rewrite/);
    // Installing twice changes nothing.
    expect(s.ot('trail', 'hooks', 'install').stdout).toMatch(/unchanged\s+.*post-commit/);
    s.write('a.txt', 'one\n');
    await s.commit('base');
    await s.agentStep({ trace: 't', step: '1' }, () => s.write('a.txt', 'one\ntwo\n'));
    const sha = await s.commit('agent');
    expect(fs.readFileSync(s.path('.git/old-hook.log'), 'utf8')).toContain(`old hook ran ${sha}`);
    const t = await trail(s);
    expect([...t.anchors.values()]).toEqual([expect.objectContaining({ commit: sha, firmness: 'exact', lines: [2] })]);
    // The chained hook's exit status is the hook's exit status.
    const direct = spawnSync(hook, [], { cwd: s.dir });
    expect(direct.status).toBe(7);
    const u = s.ot('trail', 'hooks', 'uninstall');
    expect(u.code).toBe(0);
    expect(u.stdout).toMatch(/restored\s+.*post-commit/);
    expect(u.stdout).toMatch(/removed\s+.*post-rewrite/);
    expect(fs.readFileSync(hook, 'utf8')).toBe(original);
    expect(mode(hook)).toBe(0o750);
    expect(fs.existsSync(s.path('.git/hooks/post-rewrite'))).toBe(false);
    expect(fs.readdirSync(s.path('.git/hooks')).filter((f) => !f.endsWith('.sample'))).toEqual(['post-commit']);
  });

  it('respect core.hooksPath (the repository one and the global one)', async () => {
    const s = scenario({ hooks: 'none' });
    s.git('config', 'core.hooksPath', '.githooks');
    expect(s.ot('trail', 'hooks', 'install').code).toBe(0);
    expect(fs.existsSync(s.path('.githooks/post-commit'))).toBe(true);
    expect(fs.existsSync(s.path('.git/hooks/post-commit'))).toBe(false);
    s.write('a.txt', 'x\n');
    await s.agentStep({ trace: 't', step: '1' }, () => s.write('a.txt', 'x\ny\n'));
    const sha = await s.commit('hooked');
    expect([...(await trail(s)).anchors.values()].map((a) => a.commit)).toEqual([sha]);
    expect(s.ot('trail', 'hooks', 'uninstall').code).toBe(0);
    expect(fs.readdirSync(s.path('.githooks'))).toEqual([]);
    // A global core.hooksPath (from $HOME/.gitconfig) is where git runs hooks too.
    const home = tempDir('ot-home-');
    const globalHooks = path.join(home, 'hooks');
    fs.writeFileSync(path.join(home, '.gitconfig'), `[core]\n\thooksPath = ${globalHooks}\n`);
    const g = scenario({ hooks: 'none', env: { HOME: home, XDG_CONFIG_HOME: path.join(home, 'xdg') } });
    expect(g.ot('trail', 'hooks', 'install').code).toBe(0);
    expect(fs.readdirSync(globalHooks).sort()).toEqual(['post-commit', 'post-rewrite']);
    expect(g.ot('trail', 'hooks', 'uninstall').code).toBe(0);
    expect(fs.readdirSync(globalHooks)).toEqual([]);
  });
});

describe('Claude Code hooks', () => {
  it('install adds the four hooks to settings.local.json and uninstall removes exactly them, keeping other settings', () => {
    const s = scenario({ hooks: 'none' });
    const file = s.path('.claude/settings.local.json');
    const mine = {
      permissions: { allow: ['Bash(ls:*)'] },
      hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'echo mine' }] }], Notification: [{ hooks: [{ type: 'command', command: 'notify-send hi' }] }] },
    };
    s.write('.claude/settings.local.json', JSON.stringify(mine, null, 2));
    const r = s.ot('trail', 'hooks', 'install', '--agent', 'claude-code');
    expect(r.code).toBe(0);
    const installed = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const ev of ['PreToolUse', 'PostToolUse', 'UserPromptSubmit', 'Stop']) {
      const ours = installed.hooks[ev].filter((g: { hooks: { command: string }[] }) => g.hooks.some((h) => h.command.includes('trail hook claude-code')));
      expect(ours, ev).toHaveLength(1);
    }
    expect(installed.hooks.PreToolUse[0]).toEqual(mine.hooks.PreToolUse[0]);
    expect(installed.permissions).toEqual(mine.permissions);
    expect(s.ot('trail', 'hooks', 'install', '--agent', 'claude-code').stdout).toMatch(/unchanged\s+.*settings\.local\.json/);
    expect(s.ot('trail', 'hooks', 'uninstall', '--agent', 'claude-code').code).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(mine);
    // No settings before: none after.
    fs.rmSync(file);
    s.ot('trail', 'hooks', 'install', '--agent', 'claude-code');
    expect(fs.existsSync(file)).toBe(true);
    s.ot('trail', 'hooks', 'uninstall', '--agent', 'claude-code');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses a settings file that is not JSON, with a message naming it (exit 2), leaving it untouched', () => {
    const s = scenario({ hooks: 'none' });
    s.write('.claude/settings.local.json', '{ not json');
    const r = s.ot('trail', 'hooks', 'install', '--agent', 'claude-code');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('settings.local.json is not a JSON object');
    expect(s.read('.claude/settings.local.json')).toBe('{ not json');
  });

  it('the hook command never fails: malformed JSON exits 0 and is logged under the git dir; outside a repository it exits 0', () => {
    const s = scenario({ hooks: 'none' });
    const state = s.userState();
    const r = s.otWith({ input: '{"session_id": "abc", oops' }, 'trail', 'hook', 'claude-code');
    expect(r.code).toBe(0);
    const log = fs.readFileSync(s.path('.git/ot/hooks.log'), 'utf8');
    expect(log).toMatch(/claude-code: Error: Claude Code hook input is not JSON/);
    const w = s.otWith({ input: JSON.stringify({ hook_event_name: 'PreToolUse' }) }, 'trail', 'hook', 'claude-code');
    expect(w.code).toBe(0);
    expect(fs.readFileSync(s.path('.git/ot/hooks.log'), 'utf8')).toMatch(/session_id/);
    const outside = tempDir();
    const o = otIn(outside, ['trail', 'hook', 'claude-code'], { input: JSON.stringify({ session_id: 's', hook_event_name: 'PreToolUse', tool_name: 'Edit', cwd: outside }) });
    expect(o.code).toBe(0);
    expect(o.stderr).toContain('not a git repository');
    expect(fs.readdirSync(outside)).toEqual([]);
    const g = otIn(outside, ['trail', 'hook', 'git', 'post-commit']);
    expect(g.code).toBe(0);
    expect(s.userState()).toBe(state);
  });

  it('driven with real hook JSON (UserPromptSubmit, PreToolUse, PostToolUse, Stop) records a trace with intent', async () => {
    const s = scenario({ hooks: 'none' });
    s.write('src/app.ts', 'export const x = 1;\n');
    await s.commit('base');
    expect(s.ot('trail', 'hooks', 'install', '--agent', 'claude-code').code).toBe(0);
    // Run the exact command Claude Code would run, from the settings it reads.
    const settings = JSON.parse(s.read('.claude/settings.local.json'));
    const command = (ev: string) => settings.hooks[ev][0].hooks[0].command as string;
    const session = '6c1f1a3e-2b7d-4c55-9f0e-1d2c3b4a5f60';
    const common = { session_id: session, transcript_path: '/tmp/t.jsonl', cwd: s.dir, permission_mode: 'default' };
    const fire = (ev: string, body: object) => {
      const r = spawnSync('sh', ['-c', command(ev)], { cwd: s.dir, input: JSON.stringify({ ...common, hook_event_name: ev, ...body }), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    fire('UserPromptSubmit', { prompt: 'Make x two and add y' });
    fire('PreToolUse', { tool_name: 'Read', tool_use_id: 'toolu_01', tool_input: { file_path: 'src/app.ts' } });
    fire('PostToolUse', { tool_name: 'Read', tool_use_id: 'toolu_01', tool_input: { file_path: 'src/app.ts' }, tool_response: {} });
    fire('PreToolUse', { tool_name: 'Edit', tool_use_id: 'toolu_02', tool_input: { file_path: 'src/app.ts' } });
    s.write('src/app.ts', 'export const x = 2;\nexport const y = 3;\n');
    fire('PostToolUse', { tool_name: 'Edit', tool_use_id: 'toolu_02', tool_input: {}, tool_response: { success: true } });
    fire('Stop', { stop_hook_active: false });
    expect(fs.existsSync(s.path('.git/ot/hooks.log'))).toBe(false);
    const t = await trail(s);
    const trace = t.traces.get(session)!;
    expect(trace.agent).toBe('claude-code');
    expect(trace.turns.map((x) => x.intent)).toEqual(['Make x two and add y']);
    expect(trace.steps.map((x) => [x.stepId, x.tool, x.kind, x.intent, x.endedAt !== null])).toEqual([
      ['toolu_01', 'Read', 'read', 'Make x two and add y', true],
      ['toolu_02', 'Edit', 'write', 'Make x two and add y', true],
    ]);
    expect(trace.steps[0]!.patchIds).toEqual([]);
    const patches = trace.steps[1]!.patchIds.map((id) => t.patches.get(id)!);
    expect(patches).toEqual([expect.objectContaining({ path: 'src/app.ts', removed: ['export const x = 1;'], added: ['export const x = 2;', 'export const y = 3;'] })]);
    expect((await events(s, session)).map((e) => e.event.type)).toEqual(['turn_start', 'step_start', 'step_end', 'step_start', 'step_end', 'turn_end']);
  });
});
