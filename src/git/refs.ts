import * as fs from 'node:fs';
import * as path from 'node:path';
import git from 'isomorphic-git';
import { gitArgs, type Repo } from './repo.js';
import { gitFs } from './fs.js';
import { BadObjectError } from './object-format.js';
import { peel, readCommit } from './objects.js';
import { OtError, usageError } from '../errors.js';

/** The id a ref points at (peeled to a commit for annotated tags), or null when absent. */
export async function resolveRef(repo: Repo, ref: string): Promise<string | null> {
  const found = refFromFiles(repo, ref);
  if (found !== undefined) return found;
  try {
    if (ref === 'HEAD' && repo.gitdir !== repo.commonDir) {
      // A linked worktree's HEAD is its own; the branch it names is the common dir's.
      const target = await git.resolveRef({ fs: repo.fs, dir: repo.dir, gitdir: repo.gitdir, ref, depth: 1 });
      return /^[0-9a-f]{40}$/.test(target) ? target : await git.resolveRef({ fs: repo.fs, dir: repo.dir, gitdir: repo.commonDir, ref: target });
    }
    const gitdir = ref === 'HEAD' ? repo.gitdir : repo.commonDir;
    return await git.resolveRef({ fs: repo.fs, dir: repo.dir, gitdir, ref });
  } catch {
    return null;
  }
}

/**
 * HEAD or a full ref name resolved as git does (its loose file, else its line in `packed-refs`,
 * through up to five symbolic refs, as `ref: refs/heads/main` in HEAD); null when it is in neither
 * (an unborn branch); undefined for isomorphic-git to resolve: anything unexpected, another
 * file-system client. isomorphic-git parses `packed-refs` whole at each step of a resolution,
 * before it looks at the loose file: with 50,000 packed tags, HEAD alone cost two parses of 2.9 MB
 * on every command, and a clone's branches are all packed.
 */
function refFromFiles(repo: Repo, ref: string, depth = 0): string | null | undefined {
  if (repo.fs !== gitFs || depth > 5 || !(ref === 'HEAD' || ref.startsWith('refs/')) || ref.includes('..') || ref.includes('\\')) return undefined;
  let text: string;
  try {
    // HEAD is the worktree's own; the refs it names are shared by every worktree.
    text = fs.readFileSync(path.join(ref === 'HEAD' ? repo.gitdir : repo.commonDir, ref), 'utf8').trim();
  } catch (err) {
    if (ref === 'HEAD' || (err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    const packed = packedLines(repo, ref, true);
    return packed === undefined ? undefined : (packed?.get(ref) ?? null);
  }
  if (/^[0-9a-f]{40}$/.test(text)) return text;
  return text.startsWith('ref: ') ? refFromFiles(repo, text.slice(5).trim(), depth + 1) : undefined;
}

/**
 * The lines of `packed-refs` ("<id> <name>") whose name is `name` (`whole`) or starts with it, by
 * name, found by a text search, not a parse of every line (comments and peeled lines, "^<id>", are
 * not refs); null when there is no such file, undefined when it cannot be read.
 */
function packedLines(repo: Repo, name: string, whole: boolean): Map<string, string> | null | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(repo.commonDir, 'packed-refs'), 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : undefined;
  }
  const out = new Map<string, string>();
  for (let at = text.indexOf(` ${name}`); at >= 0; at = text.indexOf(` ${name}`, at + 1)) {
    const start = text.lastIndexOf('\n', at) + 1;
    const end = text.indexOf('\n', at);
    const m = /^([0-9a-f]{40}) (\S+)$/.exec(text.slice(start, end < 0 ? undefined : end).trimEnd());
    if (m && (whole ? m[2] === name : m[2]!.startsWith(name))) out.set(m[2]!, m[1]!);
  }
  return out;
}

/** HEAD as the user sees it: the branch it names (null when detached) and its commit (null when unborn). */
export async function headInfo(repo: Repo): Promise<{ branch: string | null; commit: string | null }> {
  let branch: string | null = null;
  try {
    const target = await git.resolveRef({ fs: repo.fs, dir: repo.dir, gitdir: repo.gitdir, ref: 'HEAD', depth: 1 });
    if (target.startsWith('refs/')) branch = target;
  } catch {
    /* unreadable HEAD */
  }
  return { branch, commit: await resolveRef(repo, 'HEAD') };
}

/** Full names of the refs below a prefix such as `refs/ot/traces`. */
export async function listRefs(repo: Repo, prefix: string): Promise<string[]> {
  try {
    const names = await git.listRefs({ fs: repo.fs, dir: repo.dir, gitdir: repo.commonDir, filepath: prefix });
    // Lock and temp files (`*.lock`, as git names them) are never refs, whatever a killed process left.
    return names.filter((n) => !n.endsWith('.lock')).map((n) => `${prefix}/${n}`).sort();
  } catch {
    return [];
  }
}

/**
 * Every ref below a prefix with its tip (null for one that does not resolve), sorted by name.
 * isomorphic-git resolves a ref at a time and parses `packed-refs` whole for each: a trail of 1,000
 * traces whose refs `git gc` packed cost 1,000 parses of a 1,000-line file, a third of a second on
 * every command, growing with the square of the traces. Here the refs are listed and resolved at
 * once, as git resolves a full ref name: its loose file first, then its packed line (`packedLines`).
 */
export async function refTips(repo: Repo, prefix: string): Promise<[ref: string, tip: string | null][]> {
  // Another file-system client (tests inject faults through one) is read through isomorphic-git.
  if (repo.fs !== gitFs) return Promise.all((await listRefs(repo, prefix)).map(async (ref) => [ref, await resolveRef(repo, ref)] as [string, string | null]));
  const within = `${prefix}/`;
  const packed = packedLines(repo, within, false) ?? new Map<string, string>();
  // The loose files below it (lock and temp files, `*.lock`, are never refs).
  const loose = new Set<string>();
  const walk = (dir: string, name: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const ref = `${name}/${e.name}`;
      if (e.isDirectory()) walk(path.join(dir, e.name), ref);
      else if (!e.name.endsWith('.lock')) loose.add(ref);
    }
  };
  walk(path.join(repo.commonDir, prefix), prefix);
  const out: [string, string | null][] = [];
  // A loose ref is resolved from its file (as `resolveRef` resolves it); a packed one from its line.
  for (const ref of [...new Set([...loose, ...packed.keys()])].sort()) out.push([ref, loose.has(ref) ? await resolveRef(repo, ref) : packed.get(ref)!]);
  return out;
}

export class RefConflict extends OtError {
  constructor(ref: string) {
    super(`ref ${ref} moved while it was being updated`, 1, 'ref_conflict');
  }
}

const STALE_LOCK_MS = 10_000;
/** A lock still without its holder's pid after this long was left by a process killed right after creating it. */
const EMPTY_LOCK_MS = 1_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock left by a killed process: its holder (the pid on its second line) is gone, it never got a
 * holder written although it is older than creating one takes, or it is far older than any update.
 * A lock git itself holds has no pid line and is only ever taken for an instant; it is honoured
 * until it is STALE_LOCK_MS old.
 */
function lockIsStale(lockFile: string): boolean {
  try {
    const st = fs.statSync(lockFile);
    const age = Date.now() - st.mtimeMs;
    if (age > STALE_LOCK_MS) return true;
    const text = fs.readFileSync(lockFile, 'utf8');
    if (text === '') return age > EMPTY_LOCK_MS;
    const pid = Number(text.split('\n')[1]);
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !pidAlive(pid);
  } catch {
    return false;
  }
}

/**
 * Removes a stale lock without racing another process that breaks it at the same moment: the
 * breaker takes `<lock>.break` exclusively and checks staleness again under it, so a fresh lock
 * taken by a live process in between is never removed.
 */
function breakStaleLock(lockFile: string): void {
  const breaker = `${lockFile}.break`;
  let fd: number;
  try {
    fd = fs.openSync(breaker, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // A breaker killed while holding `.break` (it holds it for microseconds) leaves it behind.
    try {
      if (Date.now() - fs.statSync(breaker).mtimeMs > EMPTY_LOCK_MS) fs.rmSync(breaker, { force: true });
    } catch {
      /* gone already */
    }
    return;
  }
  try {
    if (lockIsStale(lockFile)) fs.rmSync(lockFile, { force: true });
  } finally {
    fs.closeSync(fd);
    fs.rmSync(breaker, { force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes `<file>.lock` exclusively, waiting for a live holder and breaking a dead one's. */
async function acquireLock(lockFile: string, what: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return fs.openSync(lockFile, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (lockIsStale(lockFile)) {
        breakStaleLock(lockFile);
        continue;
      }
      if (Date.now() > deadline) throw new OtError(`could not lock ${what}: ${lockFile} is held by another process (remove it if no git or ot process is running)`, 1, 'locked');
      await sleep(Math.min(50, 2 + attempt * 3) * (0.5 + Math.random()));
    }
  }
}

/**
 * Updates `ref` to `next` (or deletes it when `next` is null) only if it still points at
 * `expected` (null: must not exist). Follows git's protocol: `<ref>.lock` is created exclusively
 * (so git itself and other ot processes wait), the old value is compared, then the ref is written.
 * isomorphic-git's writeRef has no lock, so the lock is ours; its write is atomic through our fs.
 * Throws RefConflict when the ref moved: the caller re-reads and retries.
 */
export async function compareAndSwapRef(repo: Repo, ref: string, expected: string | null, next: string | null): Promise<void> {
  const refFile = path.join(repo.commonDir, ref);
  const lockFile = `${refFile}.lock`;
  fs.mkdirSync(path.dirname(refFile), { recursive: true });
  let fd: number | undefined = await acquireLock(lockFile, ref);
  try {
    fs.writeSync(fd, `${next ?? '0'.repeat(40)}\n${process.pid}\n`);
    fs.closeSync(fd);
    fd = undefined;
    const current = await resolveRef(repo, ref);
    if (current !== expected) throw new RefConflict(ref);
    if (next === null) {
      await deleteRefFiles(repo, ref);
    } else {
      await git.writeRef({ fs: repo.fs, dir: repo.dir, gitdir: repo.commonDir, ref, value: next, force: true });
    }
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(lockFile, { force: true });
  }
}

/**
 * Deletes a ref the way git does: the loose file, and its line in `packed-refs` rewritten under
 * `packed-refs.lock` (isomorphic-git's deleteRef rewrites packed-refs without git's lock and drops
 * its header and peeled lines). Every other byte of packed-refs is kept.
 */
async function deleteRefFiles(repo: Repo, ref: string): Promise<void> {
  fs.rmSync(path.join(repo.commonDir, ref), { force: true });
  const packed = path.join(repo.commonDir, 'packed-refs');
  let text: string;
  try {
    text = fs.readFileSync(packed, 'utf8');
  } catch {
    return;
  }
  if (!text.split('\n').some((l) => l.endsWith(` ${ref}`))) return;
  const lock = `${packed}.lock`;
  const fd = await acquireLock(lock, 'packed-refs');
  let renamed = false;
  try {
    const lines = fs.readFileSync(packed, 'utf8').split('\n');
    const out: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.endsWith(` ${ref}`) && /^[0-9a-f]{40} /.test(lines[i]!)) {
        if (lines[i + 1]?.startsWith('^')) i++;
        continue;
      }
      out.push(lines[i]!);
    }
    fs.writeSync(fd, out.join('\n'));
    fs.closeSync(fd);
    fs.renameSync(lock, packed);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        fs.closeSync(fd);
      } catch {
        /* closed */
      }
      fs.rmSync(lock, { force: true });
    }
  }
}

/**
 * Resolves any revision git accepts that a user types at us: full or short ids, `HEAD`, branch,
 * tag (peeled) and remote names, full ref names, with `~N`, `^`, `^N` suffixes.
 */
export async function resolveRevision(repo: Repo, rev: string): Promise<string> {
  const m = /^(.*?)((?:[~^]\d*)*)$/.exec(rev.trim());
  const base = m?.[1] ?? '';
  const suffix = m?.[2] ?? '';
  if (!base) throw usageError(`unknown revision '${rev}'`, 'unknown_revision');
  let oid = await resolveBase(repo, base);
  if (!oid) throw usageError(`unknown revision '${rev}': no commit, branch or tag is called '${base}'`, 'unknown_revision');
  oid = await peelToCommit(repo, oid, rev);
  for (const op of suffix.match(/[~^]\d*/g) ?? []) {
    const n = op.length > 1 ? Number(op.slice(1)) : 1;
    if (op[0] === '~') {
      for (let i = 0; i < n; i++) oid = await parentOf(repo, oid, 0, rev);
    } else if (n > 0) {
      oid = await parentOf(repo, oid, n - 1, rev);
    }
  }
  return oid;
}

async function parentOf(repo: Repo, oid: string, index: number, rev: string): Promise<string> {
  const c = await readCommit(repo, oid);
  const p = c.parents[index];
  if (!p) throw usageError(`unknown revision '${rev}': ${oid.slice(0, 7)} has no parent ${index + 1}`, 'unknown_revision');
  return p;
}

async function resolveBase(repo: Repo, base: string): Promise<string | null> {
  if (base === 'HEAD' || base === '@') return resolveRef(repo, 'HEAD');
  const candidates = base.startsWith('refs/')
    ? [base]
    : [`refs/heads/${base}`, `refs/tags/${base}`, `refs/remotes/${base}`, `refs/remotes/${base}/HEAD`, `refs/${base}`];
  for (const ref of candidates) {
    const oid = await resolveRef(repo, ref);
    if (oid) return oid;
  }
  if (/^[0-9a-f]{4,40}$/i.test(base)) {
    try {
      return await git.expandOid({ ...gitArgs(repo), oid: base.toLowerCase() });
    } catch {
      return null;
    }
  }
  return null;
}

async function peelToCommit(repo: Repo, oid: string, rev: string): Promise<string> {
  let obj;
  try {
    obj = await peel(repo, oid, 'commit');
  } catch (err) {
    if (err instanceof BadObjectError) throw usageError(`unknown revision '${rev}': ${err.message}`, 'unknown_revision');
    throw usageError(`unknown revision '${rev}': object ${oid} is not in the repository`, 'unknown_revision');
  }
  if (obj.type !== 'commit') throw usageError(`revision '${rev}' names a ${obj.type}, not a commit`, 'unknown_revision');
  return obj.oid;
}
