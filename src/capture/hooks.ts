import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../git/repo.js';
import { configGetAny, otDataDir } from '../git/repo.js';
import { usageError } from '../errors.js';

export const GIT_HOOKS = ['post-commit', 'post-rewrite'] as const;
const MARKER = '# ot-trail-hook v1';
const PREV_SUFFIX = '.ot-prev';

/** How a hook calls us back: the node binary and CLI entry that installed it, absolute. */
export interface OtInvocation {
  node: string;
  entry: string;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The hooks directory git runs: `core.hooksPath` (the repository's, else the user's global one;
 * relative to the work tree) or `<common dir>/hooks`.
 */
export async function hooksDir(repo: Repo): Promise<string> {
  const configured = await configGetAny(repo, 'core', 'hookspath');
  if (configured) {
    const expanded = configured.startsWith('~/') ? path.join(process.env.HOME ?? '', configured.slice(2)) : configured;
    return path.resolve(repo.dir, expanded);
  }
  return path.join(repo.commonDir, 'hooks');
}

function gitHookScript(name: string, ot: OtInvocation): string {
  const readsStdin = name === 'post-rewrite';
  return [
    '#!/bin/sh',
    `${MARKER}: installed by \`ot trail hooks install\`; \`ot trail hooks uninstall\` removes it and restores any previous hook.`,
    '# It runs the previous hook first (its exit status is kept), then ot trail, which never fails the command.',
    readsStdin ? 'input=$(cat)' : 'input=',
    'status=0',
    `if [ -x "$0${PREV_SUFFIX}" ]; then`,
    readsStdin ? `  printf '%s\\n' "$input" | "$0${PREV_SUFFIX}" "$@" || status=$?` : `  "$0${PREV_SUFFIX}" "$@" || status=$?`,
    'fi',
    `printf '%s\\n' "$input" | ${shq(ot.node)} ${shq(ot.entry)} trail hook git ${name} "$@" >/dev/null 2>&1 || true`,
    'exit $status',
    '',
  ].join('\n');
}

const isOurs = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8').includes(MARKER);
  } catch {
    return false;
  }
};

export interface HookChange {
  file: string;
  action: 'installed' | 'chained' | 'updated' | 'removed' | 'restored' | 'unchanged' | 'absent';
}

/** Installs post-commit and post-rewrite. An existing hook is kept and run first (chained). */
export async function installGitHooks(repo: Repo, ot: OtInvocation): Promise<HookChange[]> {
  const dir = await hooksDir(repo);
  fs.mkdirSync(dir, { recursive: true });
  const changes: HookChange[] = [];
  for (const name of GIT_HOOKS) {
    const file = path.join(dir, name);
    const script = gitHookScript(name, ot);
    if (fs.existsSync(file) && !isOurs(file)) {
      if (fs.existsSync(file + PREV_SUFFIX)) throw usageError(`${file}${PREV_SUFFIX} already exists (a hook chained by an earlier install?); move it away, then install again`, 'hook_conflict');
      fs.renameSync(file, file + PREV_SUFFIX);
      fs.writeFileSync(file, script, { mode: 0o755 });
      changes.push({ file, action: 'chained' });
    } else if (isOurs(file)) {
      const same = fs.readFileSync(file, 'utf8') === script;
      if (!same) fs.writeFileSync(file, script, { mode: 0o755 });
      changes.push({ file, action: same ? 'unchanged' : 'updated' });
    } else {
      fs.writeFileSync(file, script, { mode: 0o755 });
      changes.push({ file, action: 'installed' });
    }
    fs.chmodSync(file, 0o755);
  }
  return changes;
}

/** Removes exactly our hooks, putting back whatever they had chained. */
export async function uninstallGitHooks(repo: Repo): Promise<HookChange[]> {
  const dir = await hooksDir(repo);
  const changes: HookChange[] = [];
  for (const name of GIT_HOOKS) {
    const file = path.join(dir, name);
    if (!isOurs(file)) {
      changes.push({ file, action: 'absent' });
      continue;
    }
    fs.rmSync(file);
    if (fs.existsSync(file + PREV_SUFFIX)) {
      fs.renameSync(file + PREV_SUFFIX, file);
      changes.push({ file, action: 'restored' });
    } else changes.push({ file, action: 'removed' });
  }
  return changes;
}

/** Claude Code's personal project settings: not committed, so capture stays a local choice. */
export const claudeSettingsPath = (repo: Repo) => path.join(repo.dir, '.claude', 'settings.local.json');
export const CLAUDE_EVENTS = ['PreToolUse', 'PostToolUse', 'UserPromptSubmit', 'Stop'] as const;
const CLAUDE_COMMAND_MARK = 'trail hook claude-code';

interface ClaudeHookGroup {
  matcher?: string;
  hooks: { type: string; command: string; [k: string]: unknown }[];
}
type ClaudeSettings = { hooks?: Record<string, ClaudeHookGroup[]>; [k: string]: unknown };

function readSettings(file: string): ClaudeSettings {
  if (!fs.existsSync(file)) return {};
  const text = fs.readFileSync(file, 'utf8');
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as ClaudeSettings;
  } catch {
    /* fall through */
  }
  throw usageError(`${file} is not a JSON object; fix or remove it, then install again`, 'bad_settings');
}

const isOurGroup = (g: ClaudeHookGroup) => g.hooks?.some((h) => typeof h.command === 'string' && h.command.includes(CLAUDE_COMMAND_MARK));

export function installClaudeHooks(repo: Repo, ot: OtInvocation): HookChange {
  const file = claudeSettingsPath(repo);
  const settings = readSettings(file);
  const command = `${shq(ot.node)} ${shq(ot.entry)} ${CLAUDE_COMMAND_MARK}`;
  const hooks = (settings.hooks ??= {});
  let changed = false;
  for (const event of CLAUDE_EVENTS) {
    const groups = (hooks[event] ??= []);
    const ours = groups.find(isOurGroup);
    const group: ClaudeHookGroup = event === 'PreToolUse' || event === 'PostToolUse' ? { matcher: '*', hooks: [{ type: 'command', command }] } : { hooks: [{ type: 'command', command }] };
    if (!ours) {
      groups.push(group);
      changed = true;
    } else if (JSON.stringify(ours) !== JSON.stringify(group)) {
      groups[groups.indexOf(ours)] = group;
      changed = true;
    }
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (changed) fs.writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
  return { file, action: changed ? 'installed' : 'unchanged' };
}

export function uninstallClaudeHooks(repo: Repo): HookChange {
  const file = claudeSettingsPath(repo);
  if (!fs.existsSync(file)) return { file, action: 'absent' };
  const settings = readSettings(file);
  let changed = false;
  for (const event of CLAUDE_EVENTS) {
    const groups = settings.hooks?.[event];
    if (!groups) continue;
    const kept = groups.filter((g) => !isOurGroup(g));
    if (kept.length !== groups.length) changed = true;
    if (kept.length) settings.hooks![event] = kept;
    else delete settings.hooks![event];
  }
  if (settings.hooks && Object.keys(settings.hooks).length === 0) delete settings.hooks;
  if (!changed) return { file, action: 'absent' };
  if (Object.keys(settings).length === 0) fs.rmSync(file);
  else fs.writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
  return { file, action: 'removed' };
}

/** Where hooks log their failures: they never fail the user's command. */
export function hookLogPath(repo: Repo): string {
  return path.join(otDataDir(repo), 'hooks.log');
}

export function logHookError(repo: Repo | null, hook: string, err: unknown): void {
  if (!repo) return;
  try {
    fs.mkdirSync(otDataDir(repo), { recursive: true });
    const msg = err instanceof Error ? err.stack ?? err.message : String(err);
    fs.appendFileSync(hookLogPath(repo), `${new Date().toISOString()} ${hook}: ${msg.replace(/\n/g, '\n  ')}\n`);
  } catch {
    /* nothing else can be done without failing the user's command */
  }
}
