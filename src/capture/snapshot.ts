import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import ignoreModule, { type Ignore } from 'ignore';
import type { Repo } from '../git/repo.js';
import { excludesFile, otDataDir } from '../git/repo.js';
import { compareTreeEntries, encodeTree, EMPTY_TREE, hashObject, hasObject, MODE, writeObject, type TreeEntry } from '../git/objects.js';
import { readGitIndex, type IndexEntry } from '../git/index-file.js';
import { resolveRef } from '../git/refs.js';
import { atomicWriteFile } from '../git/fs.js';
import type { Limitation } from '../model/events.js';

// `ignore` is CommonJS with a callable export; under NodeNext its default import is typed as the namespace.
const ignore = ignoreModule as unknown as () => Ignore;

export const DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024;

export interface SnapshotOptions {
  /** Files larger than this are left out and named as a limitation (default 10 MiB). */
  maxFileSize?: number;
}

export interface Snapshot {
  tree: string;
  files: number;
  /** How many files were read and hashed (the rest were known from the stat cache or the index). */
  hashed: number;
  limitations: Limitation[];
}

/** [mtimeMs, ctimeMs, size, ino, mode, oid] */
type StatRow = [number, number, number, number, number, string];
interface StatCache {
  v: 1;
  /** The root tree of the snapshot that produced it: every row and tree below is in it. */
  root?: string;
  /** When the walk that produced it started: entries modified after that are not trusted. */
  takenAt: number;
  files: Record<string, StatRow>;
  trees: string[];
}

/** Modifications within this window before a walk may share an mtime tick with it (coarse clocks). */
const RACY_MARGIN_MS = 50;
const WRITE_BATCH = 64;

function statCachePath(repo: Repo): string {
  return path.join(otDataDir(repo), 'stat', `${createHash('sha1').update(repo.dir).digest('hex')}.json`);
}

function loadStatCache(repo: Repo): StatCache | null {
  try {
    const c = JSON.parse(fs.readFileSync(statCachePath(repo), 'utf8')) as StatCache;
    return c.v === 1 ? c : null;
  } catch {
    return null;
  }
}

interface Matcher {
  base: string;
  ig: Ignore;
}

function readIgnoreFile(file: string | Buffer): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Highest priority first: deeper .gitignore files, then root, then info/exclude, then core.excludesFile. */
function isIgnored(matchers: Matcher[], rel: string, isDir: boolean): boolean {
  for (let i = matchers.length - 1; i >= 0; i--) {
    const m = matchers[i]!;
    const sub = rel.slice(m.base.length);
    const r = m.ig.test(isDir ? `${sub}/` : sub);
    if (r.ignored) return true;
    if (r.unignored) return false;
  }
  return false;
}

// git records a file as executable when its owner may execute it (S_IXUSR), whatever the group and others bits.
const modeOf = (st: fs.Stats): string => (st.isSymbolicLink() ? MODE.symlink : st.mode & 0o100 ? MODE.exec : MODE.file);
const modeNumber = (mode: string): number => parseInt(mode, 8);

/**
 * Snapshots the working tree as a git tree: tracked and untracked files, ignored ones left out
 * (ignored directories are not walked), executable bits and symlinks kept, nested repositories as
 * gitlinks. Incremental: a file whose stat matches the stat cache (or the index) is not read.
 * Never touches HEAD, the index or the working files.
 */
export async function takeSnapshot(repo: Repo, options: SnapshotOptions = {}): Promise<Snapshot> {
  const maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const takenAt = Date.now();
  let prev = loadStatCache(repo);
  // The cache names objects by id without storing them: trust it only while its snapshot is still in
  // the repository (after `ot trail gc` and `git gc --prune` its objects may be gone).
  if (prev && (!prev.root || !(await hasObject(repo, prev.root)))) prev = null;
  const index = readGitIndex(repo);
  const trustedBefore = (prev?.takenAt ?? 0) - RACY_MARGIN_MS;
  const knownTrees = new Set(prev?.trees ?? []);
  const next: StatCache = { v: 1, takenAt, root: EMPTY_TREE, files: {}, trees: [] };
  const limitations: Limitation[] = [];
  const pending: Promise<unknown>[] = [];
  let hashed = 0;
  let files = 0;

  const trackedDirs = new Set<string>();
  for (const p of index.entries.keys()) {
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) trackedDirs.add(p.slice(0, i));
  }

  const flush = async (force: boolean) => {
    if (pending.length >= WRITE_BATCH || (force && pending.length)) await Promise.all(pending.splice(0));
  };

  const rootMatchers: Matcher[] = [];
  const global = readIgnoreFile(await excludesFile(repo));
  if (global) rootMatchers.push({ base: '', ig: ignore().add(global) });
  const info = readIgnoreFile(path.join(repo.commonDir, 'info', 'exclude'));
  if (info) rootMatchers.push({ base: '', ig: ignore().add(info) });

  /** The id of a file known without reading it (stat cache, index), null when left out, undefined when it must be read. */
  const knownOid = (rel: string, st: fs.Stats, mode: string): string | null | undefined => {
    // First, so a large file is left out whether or not git tracks it or the cache knows it.
    if (st.size > maxFileSize) {
      limitations.push({ path: rel, reason: `larger than the ${maxFileSize}-byte limit (${st.size} bytes); left out of the snapshot` });
      return null;
    }
    const row = prev?.files[rel];
    if (row && row[0] === st.mtimeMs && row[1] === st.ctimeMs && row[2] === st.size && row[3] === st.ino && row[4] === modeNumber(mode) && st.mtimeMs < trustedBefore) {
      return row[5];
    }
    const ie: IndexEntry | undefined = index.entries.get(rel);
    if (
      ie &&
      ie.mode === modeNumber(mode) &&
      ie.size === st.size % 2 ** 32 &&
      ie.mtimeSec === Math.floor(st.mtimeMs / 1000) &&
      Math.abs(ie.mtimeNsec / 1e6 - (st.mtimeMs % 1000)) < 0.002 &&
      st.mtimeMs < index.mtimeMs
    ) {
      return ie.oid;
    }
    return undefined;
  };

  const hashFile = async (abs: PathArg, rel: string, st: fs.Stats): Promise<string | null> => {
    let content: Buffer;
    try {
      content = st.isSymbolicLink() ? Buffer.from(fs.readlinkSync(abs, { encoding: 'buffer' })) : fs.readFileSync(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') limitations.push({ path: rel, reason: `unreadable (${code}); left out of the snapshot` });
      return null;
    }
    hashed++;
    const oid = hashObject('blob', content);
    pending.push(writeObject(repo, 'blob', content, oid));
    if (pending.length >= WRITE_BATCH) await flush(false);
    return oid;
  };

  const gitlinkOid = async (absDir: string, rel: string): Promise<string | null> => {
    const nested = nestedGitDir(absDir) ?? path.join(absDir, '.git');
    const head = await resolveRef({ ...repo, dir: absDir, gitdir: nested, commonDir: nested, cache: {} }, 'HEAD');
    return head ?? index.entries.get(rel)?.oid ?? null;
  };

  const walkDir = async (absDir: PathArg, rel: string, matchers: Matcher[], onlyTracked: boolean): Promise<string | null> => {
    // Names are read as strings (fast); a directory holding a name that is not UTF-8 is read again
    // as bytes, and everything below it is addressed by byte paths, so no name is ever mangled.
    let names: (fs.Dirent<string> | fs.Dirent<Buffer>)[];
    try {
      if (typeof absDir === 'string') {
        names = fs.readdirSync(absDir, { withFileTypes: true });
        if (names.some((d) => (d.name as string).includes('\ufffd'))) {
          absDir = Buffer.from(absDir);
          names = fs.readdirSync(absDir, { withFileTypes: true, encoding: 'buffer' });
        }
      } else names = fs.readdirSync(absDir, { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') limitations.push({ path: rel || '.', reason: `unreadable directory (${code}); left out of the snapshot` });
      return null;
    }
    let here = matchers;
    if (!onlyTracked) {
      const gi = names.find((d) => (typeof d.name === 'string' ? d.name === '.gitignore' : d.name.equals(DOT_GITIGNORE)));
      if (gi) {
        const text = readIgnoreFile(joinPath(absDir, '.gitignore'));
        if (text) here = [...matchers, { base: rel ? `${rel}/` : '', ig: ignore().add(text) }];
      }
    }
    const entries: TreeEntry[] = [];
    for (const d of names) {
      const raw = d.name;
      const name = typeof raw === 'string' ? raw : raw.toString('utf8');
      if (name === '.git') continue;
      const nameBuf = typeof raw === 'string' ? Buffer.from(raw) : raw;
      const childRel = rel ? `${rel}/${name}` : name;
      const childAbs = joinPath(absDir, raw);
      // Directories are known from the listing; files need their stat (the cache compares it).
      let st: fs.Stats | undefined;
      if (!d.isDirectory()) {
        st = fs.lstatSync(childAbs, { throwIfNoEntry: false });
        if (!st) continue;
      }
      if (!st || st.isDirectory()) {
        const tracked = trackedDirs.has(childRel);
        const ie = index.entries.get(childRel);
        const nested = fs.existsSync(joinPath(childAbs, '.git'));
        if (!nested && ie && ie.mode === GITLINK_MODE) {
          // A submodule that is not checked out: git keeps its recorded commit, so do we.
          entries.push({ mode: MODE.gitlink, name: nameBuf, oid: ie.oid });
          files++;
          continue;
        }
        if (nested) {
          if (onlyTracked && !index.entries.has(childRel)) continue;
          if (!onlyTracked && !index.entries.has(childRel) && isIgnored(here, childRel, true)) continue;
          const oid = await gitlinkOid(childAbs.toString(), childRel);
          if (oid) {
            entries.push({ mode: MODE.gitlink, name: nameBuf, oid });
            files++;
          }
          continue;
        }
        let sub: string | null = null;
        if (onlyTracked || isIgnored(here, childRel, true)) {
          // Ignored directories are pruned unless git tracks files inside them.
          if (tracked) sub = await walkDir(childAbs, childRel, here, true);
        } else sub = await walkDir(childAbs, childRel, here, false);
        if (sub) entries.push({ mode: MODE.tree, name: nameBuf, oid: sub });
        continue;
      }
      if (!st.isFile() && !st.isSymbolicLink()) continue;
      const tracked = index.entries.has(childRel);
      if (onlyTracked ? !tracked : !tracked && isIgnored(here, childRel, false)) continue;
      const mode = modeOf(st);
      let oid = knownOid(childRel, st, mode);
      if (oid === undefined) oid = await hashFile(childAbs, childRel, st);
      if (!oid) continue;
      entries.push({ mode, name: nameBuf, oid });
      files++;
      next.files[childRel] = [st.mtimeMs, st.ctimeMs, st.size, st.ino, modeNumber(mode), oid];
    }
    if (entries.length === 0) return null;
    entries.sort(compareTreeEntries);
    const content = encodeTree(entries);
    const oid = hashObject('tree', content);
    if (!knownTrees.has(oid)) pending.push(writeObject(repo, 'tree', content, oid));
    next.trees.push(oid);
    if (pending.length >= WRITE_BATCH) await flush(false);
    return oid;
  };

  const root = (await walkDir(repo.dir, '', rootMatchers, false)) ?? EMPTY_TREE;
  next.root = root;
  if (root === EMPTY_TREE) pending.push(writeObject(repo, 'tree', Buffer.alloc(0), EMPTY_TREE));
  await flush(true);
  // Saved only after every object it names is written, so the cache never names a missing blob.
  try {
    fs.mkdirSync(path.dirname(statCachePath(repo)), { recursive: true });
    await atomicWriteFile(statCachePath(repo), JSON.stringify(next));
  } catch {
    /* the cache is optional */
  }
  return { tree: root, files, hashed, limitations };
}

const DOT_GIT = Buffer.from('.git');
const GITLINK_MODE = 0o160000;
const DOT_GITIGNORE = Buffer.from('.gitignore');
const SLASH = Buffer.from('/');

type PathArg = string | Buffer;
/** `dir/name`, as a string while both are strings, as bytes once either is. */
function joinPath(dir: PathArg, name: PathArg): PathArg {
  if (typeof dir === 'string' && typeof name === 'string') return `${dir}/${name}`;
  return Buffer.concat([typeof dir === 'string' ? Buffer.from(dir) : dir, SLASH, typeof name === 'string' ? Buffer.from(name) : name]);
}

function nestedGitDir(absDir: string): string | null {
  const dotgit = path.join(absDir, '.git');
  try {
    if (fs.statSync(dotgit).isDirectory()) return dotgit;
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(fs.readFileSync(dotgit, 'utf8'));
    return m ? path.resolve(absDir, m[1]!) : null;
  } catch {
    return null;
  }
}
