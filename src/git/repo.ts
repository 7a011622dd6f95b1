import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import git from 'isomorphic-git';
import { gitFs, type GitFs } from './fs.js';
import { usageError } from '../errors.js';

/**
 * The explicit context every function receives, as isomorphic-git receives `{ fs, dir, cache }`.
 * `cache` is one shared object per command so packs are read once.
 */
export interface Repo {
  fs: GitFs;
  /** Working tree root; for a bare repository, the git dir. */
  dir: string;
  /** This worktree's git dir (HEAD, index). */
  gitdir: string;
  /** The common dir (objects, refs, our derived data under `ot/`). */
  commonDir: string;
  bare: boolean;
  shallow: boolean;
  cache: object;
}

export interface OpenOptions {
  /** Capture needs a working tree; views can read a bare repository. */
  requireWorktree?: boolean;
}

function readGitFile(file: string): string | null {
  // A `.git` file (worktree, submodule) says `gitdir: <path>`.
  const text = fs.readFileSync(file, 'utf8');
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(text);
  return m ? path.resolve(path.dirname(file), m[1]!) : null;
}

/** The directory holding a git dir's objects and refs: itself, or (a linked worktree's) the one its `commondir` file names. */
function commonDirOf(gitdir: string): string {
  const commonFile = path.join(gitdir, 'commondir');
  return fs.existsSync(commonFile) ? path.resolve(gitdir, fs.readFileSync(commonFile, 'utf8').trim()) : gitdir;
}

function isGitDir(dir: string): boolean {
  if (!fs.existsSync(path.join(dir, 'HEAD'))) return false;
  const common = commonDirOf(dir);
  return fs.existsSync(path.join(common, 'objects')) && fs.existsSync(path.join(common, 'refs'));
}

/** Locates the repository containing `cwd` the way git does (walking up), and validates it. */
export async function openRepo(cwd: string, options: OpenOptions = {}): Promise<Repo> {
  const start = path.resolve(cwd);
  if (!fs.existsSync(start)) throw usageError(`no such directory: ${start}`, 'no_directory');
  let dir: string | null = null;
  let gitdir: string | null = null;
  let bare = false;
  for (let d = start; ; d = path.dirname(d)) {
    const dotgit = path.join(d, '.git');
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(dotgit);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory() && isGitDir(dotgit)) {
      dir = d;
      gitdir = dotgit;
      break;
    }
    if (st?.isFile()) {
      const target = readGitFile(dotgit);
      if (target && isGitDir(target)) {
        dir = d;
        gitdir = target;
        break;
      }
    }
    if (isGitDir(d) && path.basename(d) !== '.git') {
      dir = d;
      gitdir = d;
      bare = true;
      break;
    }
    if (path.dirname(d) === d) break;
  }
  if (!dir || !gitdir) {
    throw usageError(`not a git repository (or any parent up to /): ${start}`, 'not_a_repository');
  }
  const commonDir = commonDirOf(gitdir);
  const repo: Repo = {
    fs: gitFs,
    dir,
    gitdir,
    commonDir,
    bare,
    shallow: fs.existsSync(path.join(commonDir, 'shallow')),
    cache: {},
  };
  if (!bare) {
    const coreBare = await configGet(repo, 'core.bare');
    if (coreBare === true || coreBare === 'true') repo.bare = true;
  }
  const format = await configGet(repo, 'extensions.objectformat');
  if (format !== undefined && String(format).toLowerCase() !== 'sha1') {
    throw usageError(
      `repository ${dir} uses the ${String(format)} object format; ot trail supports only SHA-1 repositories and wrote nothing`,
      'unsupported_object_format',
    );
  }
  if (options.requireWorktree && repo.bare) {
    throw usageError(`${dir} is a bare repository: there is no working tree to snapshot`, 'bare_repository');
  }
  return repo;
}

/** The git-dir arguments isomorphic-git takes. Objects and refs live in the common dir. */
export const gitArgs = (repo: Repo) => ({ fs: repo.fs, dir: repo.dir, gitdir: repo.commonDir, cache: repo.cache });

/** A value from the repository's own config (not the global one), or undefined. */
export async function configGet(repo: Repo, key: string): Promise<unknown> {
  try {
    return await git.getConfig({ fs: repo.fs, dir: repo.dir, gitdir: repo.commonDir, path: key });
  } catch {
    return undefined;
  }
}

/**
 * The user's global git config files, in git's order (XDG first, then ~/.gitconfig, later wins).
 * isomorphic-git reads only the repository config; global excludes live here.
 */
export function globalConfigFiles(): string[] {
  const home = os.homedir();
  const xdg = process.env.XDG_CONFIG_HOME || path.join(home, '.config');
  return [path.join(xdg, 'git', 'config'), path.join(home, '.gitconfig')];
}

/** Reads `section.key` from a git config file's text (a small subset: no includes, no subsections). */
export function parseConfigValue(text: string, section: string, key: string): string | undefined {
  let current = '';
  let value: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[\s*([^\]\s"]+)(?:\s+"[^"]*")?\s*\]/.exec(line);
    if (sec) {
      current = sec[1]!.toLowerCase();
      continue;
    }
    const kv = /^([A-Za-z][\w-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (kv && current === section.toLowerCase() && kv[1]!.toLowerCase() === key.toLowerCase()) {
      value = (kv[2] ?? 'true').replace(/^"(.*)"$/, '$1').trim();
    }
  }
  return value;
}

/** A value as git resolves it: the repository's config, else the user's global config (no includes). */
export async function configGetAny(repo: Repo, section: string, key: string): Promise<string | undefined> {
  const local = await configGet(repo, `${section}.${key}`);
  if (local !== undefined && local !== null) return String(local);
  let found: string | undefined;
  for (const file of globalConfigFiles()) {
    try {
      const v = parseConfigValue(fs.readFileSync(file, 'utf8'), section, key);
      if (v !== undefined) found = v;
    } catch {
      /* absent */
    }
  }
  return found;
}

/** `core.excludesFile` as git resolves it: repo config, else global config, else the XDG default. */
export async function excludesFile(repo: Repo): Promise<string> {
  const expand = (p: string) => (p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p);
  const local = await configGet(repo, 'core.excludesfile');
  if (typeof local === 'string' && local) return expand(local);
  let found: string | undefined;
  for (const file of globalConfigFiles()) {
    try {
      const v = parseConfigValue(fs.readFileSync(file, 'utf8'), 'core', 'excludesfile');
      if (v) found = v;
    } catch {
      /* absent */
    }
  }
  if (found) return expand(found);
  const xdg = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(xdg, 'git', 'ignore');
}

/** Where derived data lives: `<common dir>/ot/`. */
export function otDataDir(repo: Repo): string {
  return path.join(repo.commonDir, 'ot');
}
