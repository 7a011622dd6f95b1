import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import ignoreModule, { type Ignore } from 'ignore';
import type { Repo } from '../git/repo.js';
import { excludesFile, otDataDir } from '../git/repo.js';
import { compareTreeEntries, encodeTree, EMPTY_TREE, hashObject, MODE, type TreeEntry } from '../git/object-format.js';
import { hasObject, readCommit, writeObject } from '../git/objects.js';
import { readGitIndex, type GitIndex, type IndexEntry } from '../git/index-file.js';
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

/**
 * The stat cache: what the previous snapshot saw, one record per directory, in one binary file.
 *
 *   header: 'OTS2', takenAt f64, root oid (20 bytes), the index file's mtimeMs/ctimeMs/size/ino (f64 each,
 *           all 0 when there was none), directory count u32
 *   record: rel length u32, rel (UTF-8), tree oid (20 bytes), ignore-rules key (20 bytes: every
 *           ignore file that applied to the directory), entry count u32, names length u32,
 *           names (UTF-8, NUL-separated), then per entry 56 bytes: mtimeMs, ctimeMs, size, ino (f64),
 *           mode u32, oid (20 bytes); directories and gitlinks have zero stat fields, except that a
 *           directory walked as ignored (for the tracked files inside) has size 1.
 *
 * A record whose entries all match is copied into the next cache as is, and its tree id is reused
 * without encoding or hashing the tree. When nothing differs, the file is not rewritten.
 */
const MAGIC = 'OTS4';
const HEADER = 4 + 8 + 20 + 32 + 4;
const ROW = 56;

interface DirRecord {
  tree: string;
  /** The key of the ignore rules the directory was walked with. */
  rules: string;
  names: string[];
  /** Offset of the first row. */
  rows: number;
  /** The record's bytes in the cache file. */
  start: number;
  end: number;
  /** Name to row, built on the first lookup the listing order does not answer. */
  pos: Map<string, number> | null;
}

interface StatCache {
  buf: Buffer;
  /** When the walk that produced it started: entries modified after that are not trusted. */
  takenAt: number;
  /** The root tree of the snapshot that produced it: every row and tree below is in it. */
  root: string;
  /** Identity of `.git/index` when it was written ('' when there was none). */
  index: string;
  dirs: Map<string, DirRecord>;
}

/** Modifications within this window before a walk may share an mtime tick with it (coarse clocks). */
const RACY_MARGIN_MS = 50;
const WRITE_BATCH = 64;

function statCachePath(repo: Repo, ext = 'bin'): string {
  return path.join(otDataDir(repo), 'stat', `${createHash('sha1').update(repo.dir).digest('hex')}.${ext}`);
}

function loadStatCache(repo: Repo): StatCache | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(statCachePath(repo));
  } catch {
    return null;
  }
  try {
    if (buf.length < HEADER || buf.toString('latin1', 0, 4) !== MAGIC) return null;
    const takenAt = buf.readDoubleLE(4);
    const root = buf.toString('hex', 12, 32);
    const index = indexIdentityOf(buf.readDoubleLE(32), buf.readDoubleLE(40), buf.readDoubleLE(48), buf.readDoubleLE(56));
    const count = buf.readUInt32LE(64);
    const dirs = new Map<string, DirRecord>();
    let off = HEADER;
    for (let i = 0; i < count; i++) {
      const start = off;
      const relLen = buf.readUInt32LE(off);
      const rel = buf.toString('utf8', off + 4, off + 4 + relLen);
      off += 4 + relLen;
      const tree = buf.toString('hex', off, off + 20);
      const rules = buf.toString('hex', off + 20, off + 40);
      const n = buf.readUInt32LE(off + 40);
      const namesLen = buf.readUInt32LE(off + 44);
      off += 48;
      const names = n ? buf.toString('utf8', off, off + namesLen).split('\0') : [];
      off += namesLen;
      const rows = off;
      off += n * ROW;
      if (names.length !== n || off > buf.length) return null;
      dirs.set(rel, { tree, rules, names, rows, start, end: off, pos: null });
    }
    return { buf, takenAt, root, index, dirs };
  } catch {
    return null;
  }
}

function indexIdentityOf(mtimeMs: number, ctimeMs: number, size: number, ino: number): string {
  return mtimeMs || ctimeMs || size || ino ? `${mtimeMs}:${ctimeMs}:${size}:${ino}` : '';
}

interface Matcher {
  base: string;
  ig: Ignore;
}

/** The ignore rules that apply in a directory, and a key naming them (equal keys, equal rules). */
interface Rules {
  list: Matcher[];
  key: string;
}

const rulesKey = (parent: string, base: string, text: string) => createHash('sha1').update(`${parent}\0${base}\0${text}`).digest('hex');

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
const MODE_FILE = 0o100644;
const MODE_EXEC = 0o100755;
const MODE_LINK = 0o120000;
const MODE_TREE = 0o40000;
const GITLINK_MODE = 0o160000;
const modeOf = (st: fs.Stats): number => (st.isSymbolicLink() ? MODE_LINK : st.mode & 0o100 ? MODE_EXEC : MODE_FILE);
const MODE_TEXT: Record<number, string> = { [MODE_FILE]: MODE.file, [MODE_EXEC]: MODE.exec, [MODE_LINK]: MODE.symlink, [MODE_TREE]: MODE.tree, [GITLINK_MODE]: MODE.gitlink };

/** One entry of a directory being snapshotted; `st` for files (their row in the next cache). */
interface Entry {
  mode: number;
  name: string | Buffer;
  oid: string;
  st: fs.Stats | null;
  /** A directory walked as ignored. */
  ignored?: boolean;
  /** The entry's row in the previous record; an empty `oid` means "the row's". */
  row?: number;
}

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
  if (prev && !(await hasObject(repo, prev.root))) prev = null;
  const trustedBefore = (prev?.takenAt ?? 0) - RACY_MARGIN_MS;
  const prevBuf = prev?.buf ?? Buffer.alloc(0);
  const knownTrees = new Set<string>();
  if (prev) for (const d of prev.dirs.values()) knownTrees.add(d.tree);

  // The index is read only when needed: while it is the file the cache was built with, the cache
  // already holds everything it said about the paths the cache knows.
  const indexFile = path.join(repo.gitdir, 'index');
  const indexStat = fs.statSync(indexFile, { throwIfNoEntry: false });
  const indexId = indexStat ? indexIdentityOf(indexStat.mtimeMs, indexStat.ctimeMs, indexStat.size, indexStat.ino) : '';
  const indexSame = prev !== null && prev.index === indexId;
  let index: GitIndex | null = null;
  const getIndex = (): GitIndex => (index ??= readGitIndex(repo));
  let trackedDirs: Set<string> | null = null;
  const isTrackedDir = (rel: string): boolean => {
    if (!trackedDirs) {
      trackedDirs = new Set<string>();
      for (const p of getIndex().entries.keys()) {
        for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) trackedDirs.add(p.slice(0, i));
      }
    }
    return trackedDirs.has(rel);
  };

  const limitations: Limitation[] = [];
  const pending: Promise<unknown>[] = [];
  /** Trees computed by this walk that the cache does not know, written at the end (or not at all, see below). */
  const newTrees: { oid: string; content: Buffer }[] = [];
  /** The next cache's records, in walk order. */
  const records: Buffer[] = [];
  let dirty = prev === null || !indexSame;
  let reusedRecords = 0;
  let hashed = 0;
  let files = 0;

  const flush = async (force: boolean) => {
    if (pending.length >= WRITE_BATCH || (force && pending.length)) await Promise.all(pending.splice(0));
  };

  const rootMatchers: Matcher[] = [];
  const global = readIgnoreFile(await excludesFile(repo));
  if (global) rootMatchers.push({ base: '', ig: ignore().add(global) });
  const info = readIgnoreFile(path.join(repo.commonDir, 'info', 'exclude'));
  if (info) rootMatchers.push({ base: '', ig: ignore().add(info) });
  const rootRules: Rules = { list: rootMatchers, key: rulesKey(rulesKey('', '', global ?? ''), '', info ?? '') };

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
    return head ?? getIndex().entries.get(rel)?.oid ?? null;
  };

  /**
   * Of the directory walked last: how many entries lie below it, and whether every one is the
   * index's own (same path, mode and id, known from the index). Then its tree is the one the index's
   * cache-tree names, when that counts as many entries.
   */
  let walked = { below: 0, fromIndex: false };
  const walkDir = async (absDir: PathArg, rel: string, rules: Rules, onlyTracked: boolean): Promise<string | null | typeof NESTED> => {
    walked = { below: 0, fromIndex: false };
    const rec = prev?.dirs.get(rel);
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
    // A nested repository (its `.git` is in the listing): the caller records it as a gitlink.
    if (rel && names.some((d) => (typeof d.name === 'string' ? d.name === '.git' : d.name.equals(DOT_GIT))) && fs.existsSync(joinPath(absDir, '.git'))) {
      return NESTED;
    }
    let here = rules;
    if (!onlyTracked) {
      const gi = names.find((d) => (typeof d.name === 'string' ? d.name === '.gitignore' : d.name.equals(DOT_GITIGNORE)));
      if (gi) {
        const text = readIgnoreFile(joinPath(absDir, '.gitignore'));
        const base = rel ? `${rel}/` : '';
        if (text) here = { list: [...rules.list, { base, ig: ignore().add(text) }], key: rulesKey(rules.key, base, text) };
      }
    }
    // A file the record holds was kept under the same rules and the same index: it still is.
    const sameRules = !onlyTracked && indexSame && rec !== undefined && rec.rules === here.key;
    // Rows are looked up by (lossy) name and trusted only on an exact stat match, inode included;
    // below a name that is not UTF-8 the record is never reused whole.
    const exact = typeof absDir === 'string';
    let cursor = 0;
    const rowOf = (name: string): number => {
      if (!rec) return -1;
      if (rec.names[cursor] === name) return cursor++;
      if (!rec.pos) {
        rec.pos = new Map();
        for (let i = 0; i < rec.names.length; i++) rec.pos.set(rec.names[i]!, i);
      }
      const i = rec.pos.get(name);
      if (i === undefined) return -1;
      cursor = i + 1;
      return i;
    };
    /** Every entry has the row it had (stats and id): the record can be copied as is. */
    let sameRows = exact && rec !== undefined && rec.rules === here.key;
    /** Every entry has the mode and id it had: the tree is the one recorded. */
    let sameTree = exact && rec !== undefined;
    const rowOid = (i: number) => prevBuf.toString('hex', rec!.rows + i * ROW + 36, rec!.rows + (i + 1) * ROW);
    const rowMode = (i: number) => prevBuf.readUInt32LE(rec!.rows + i * ROW + 32);
    const rowIgnored = (i: number) => prevBuf.readDoubleLE(rec!.rows + i * ROW + 16) === 1;
    const sameEntry = (i: number, mode: number, oid: string) => i >= 0 && rowMode(i) === mode && rowOid(i) === oid;

    const entries: Entry[] = [];
    let below = 0;
    let fromIndex = exact;
    for (const d of names) {
      const raw = d.name;
      const name = typeof raw === 'string' ? raw : raw.toString('utf8');
      if (name === '.git') continue;
      const childRel = rel ? `${rel}/${name}` : name;
      const childAbs = joinPath(absDir, raw);
      // Directories are known from the listing; files need their stat (the cache compares it).
      let st: fs.Stats | undefined;
      if (!d.isDirectory()) {
        st = fs.lstatSync(childAbs, { throwIfNoEntry: false });
        if (!st) continue;
      }
      if (!st || st.isDirectory()) {
        const i = rowOf(name);
        const gitlink = (oid: string, indexed = false) => {
          entries.push({ mode: GITLINK_MODE, name: raw, oid, st: null });
          if (sameTree && !sameEntry(i, GITLINK_MODE, oid)) sameRows = sameTree = false;
          files++;
          below++;
          if (!indexed) fromIndex = false;
        };
        // A path the index tracks as such: a submodule (checked out or not), or a file that became
        // a directory. (With the index unchanged, a directory the cache holds as a tree is neither.)
        const ie = indexSame && i >= 0 && rowMode(i) === MODE_TREE ? undefined : getIndex().entries.get(childRel);
        if (ie) {
          if (fs.existsSync(joinPath(childAbs, '.git'))) {
            const oid = await gitlinkOid(childAbs.toString(), childRel);
            if (oid) gitlink(oid);
            continue;
          }
          // A submodule that is not checked out: git keeps its recorded commit, so do we.
          if (ie.mode === GITLINK_MODE) {
            gitlink(ie.oid, true);
            continue;
          }
        }
        // Ignored directories are pruned unless git tracks files inside them.
        // A directory the record holds was judged under the same rules and index: the same again.
        const judged = sameRules && i >= 0 && rowMode(i) === MODE_TREE;
        const ignored = onlyTracked || (judged ? rowIgnored(i) : isIgnored(here.list, childRel, true));
        const nestedRepo = async () => {
          const oid = await gitlinkOid(childAbs.toString(), childRel);
          if (oid) gitlink(oid);
        };
        if (ignored && !isTrackedDir(childRel)) {
          if (getIndex().entries.has(childRel) && fs.existsSync(joinPath(childAbs, '.git'))) await nestedRepo();
          continue;
        }
        const sub = await walkDir(childAbs, childRel, here, ignored);
        below += walked.below;
        if (!walked.fromIndex) fromIndex = false;
        if (sub === NESTED) {
          // A nested repository: kept when git tracks its path or it is not ignored.
          if (!ignored || getIndex().entries.has(childRel)) await nestedRepo();
          continue;
        }
        if (sub) {
          entries.push({ mode: MODE_TREE, name: raw, oid: sub, st: null, ignored });
          if (sameTree && !sameEntry(i, MODE_TREE, sub)) sameRows = sameTree = false;
          else if (sameRows && rowIgnored(i) !== ignored) sameRows = false;
        }
        continue;
      }
      if (!st.isFile() && !st.isSymbolicLink()) continue;
      const i = rowOf(name);
      const kept = sameRules && i >= 0 && rowMode(i) !== MODE_TREE && rowMode(i) !== GITLINK_MODE;
      // A tracked file is kept whatever the rules say; with the index at hand, that is the cheaper test.
      if (!kept && (onlyTracked || index ? !getIndex().entries.has(childRel) && (onlyTracked || isIgnored(here.list, childRel, false)) : isIgnored(here.list, childRel, false) && !getIndex().entries.has(childRel))) continue;
      const mode = modeOf(st);
      // First, so a large file is left out whether or not git tracks it or the cache knows it.
      if (st.size > maxFileSize) {
        limitations.push({ path: childRel, reason: `larger than the ${maxFileSize}-byte limit (${st.size} bytes); left out of the snapshot` });
        continue;
      }
      let oid: string | null = null;
      let statSame = false;
      let indexed = false;
      if (i >= 0) {
        const off = rec!.rows + i * ROW;
        statSame =
          prevBuf.readDoubleLE(off) === st.mtimeMs &&
          prevBuf.readDoubleLE(off + 8) === st.ctimeMs &&
          prevBuf.readDoubleLE(off + 16) === st.size &&
          prevBuf.readDoubleLE(off + 24) === st.ino &&
          prevBuf.readUInt32LE(off + 32) === mode;
        // Known from the row: its id is decoded only if this directory's tree or record is rebuilt.
        if (statSame && st.mtimeMs < trustedBefore) oid = '';
      }
      if (oid === null) {
        dirty = true;
        // The index may know the file without reading it, unless the cache had a row for it and
        // the index is the one that row was checked against.
        if (!(indexSame && i >= 0)) {
          const idx = getIndex();
          const ie: IndexEntry | undefined = idx.entries.get(childRel);
          if (
            ie &&
            ie.mode === mode &&
            ie.size === st.size % 2 ** 32 &&
            ie.mtimeSec === Math.floor(st.mtimeMs / 1000) &&
            Math.abs(ie.mtimeNsec / 1e6 - (st.mtimeMs % 1000)) < 0.002 &&
            st.mtimeMs < idx.mtimeMs
          ) {
            oid = ie.oid;
            indexed = true;
          }
        }
        if (oid === null) oid = await hashFile(childAbs, childRel, st);
        if (!oid) continue;
        if (sameTree && !sameEntry(i, mode, oid)) sameRows = sameTree = false;
        else if (!statSame) sameRows = false;
      }
      entries.push({ mode, name: raw, oid, st, row: i });
      files++;
      below++;
      if (!indexed) fromIndex = false;
    }
    walked = { below, fromIndex };
    if (entries.length === 0) {
      if (rec) dirty = true;
      return null;
    }
    if (rec && entries.length !== rec.names.length) sameRows = sameTree = false;
    if (sameRows) {
      records.push(prevBuf.subarray(rec!.start, rec!.end));
      reusedRecords++;
      return rec!.tree;
    }
    dirty = true;
    for (const e of entries) if (e.oid === '') e.oid = rowOid(e.row!);
    let oid: string;
    const cached = fromIndex && index !== null ? (index as GitIndex).trees.get(rel) : undefined;
    if (sameTree) oid = rec!.tree;
    else if (cached && cached.entries === below) oid = cached.oid; // stored by git
    else {
      const tes: TreeEntry[] = entries.map((e) => ({ mode: MODE_TEXT[e.mode]!, name: typeof e.name === 'string' ? Buffer.from(e.name) : e.name, oid: e.oid }));
      tes.sort(compareTreeEntries);
      const content = encodeTree(tes);
      oid = hashObject('tree', content);
      if (!knownTrees.has(oid)) newTrees.push({ oid, content });
    }
    records.push(encodeRecord(rel, oid, here.key, entries));
    return oid;
  };

  const top = await walkDir(repo.dir, '', rootRules, false);
  const root = typeof top === 'string' ? top : EMPTY_TREE;
  if (root === EMPTY_TREE) pending.push(writeObject(repo, 'tree', Buffer.alloc(0), EMPTY_TREE));
  // A first snapshot of a clean checkout is HEAD's tree: every tree in it is stored already.
  if (newTrees.length && !(prev === null && (await headTree(repo)) === root)) {
    for (const t of newTrees) {
      pending.push(writeObject(repo, 'tree', t.content, t.oid));
      if (pending.length >= WRITE_BATCH) await flush(false);
    }
  }
  await flush(true);
  if (root !== prev?.root || reusedRecords !== prev.dirs.size) dirty = true;
  // Saved only after every object it names is written, so the cache never names a missing blob.
  if (dirty) {
    try {
      const header = Buffer.alloc(HEADER);
      header.write(MAGIC, 0, 'latin1');
      header.writeDoubleLE(takenAt, 4);
      header.write(root, 12, 'hex');
      if (indexStat) {
        header.writeDoubleLE(indexStat.mtimeMs, 32);
        header.writeDoubleLE(indexStat.ctimeMs, 40);
        header.writeDoubleLE(indexStat.size, 48);
        header.writeDoubleLE(indexStat.ino, 56);
      }
      header.writeUInt32LE(records.length, 64);
      fs.mkdirSync(path.dirname(statCachePath(repo)), { recursive: true });
      await atomicWriteFile(statCachePath(repo), Buffer.concat([header, ...records]));
      if (prev === null) fs.rmSync(statCachePath(repo, 'json'), { force: true }); // the previous format
    } catch {
      /* the cache is optional */
    }
  }
  return { tree: root, files, hashed, limitations };
}

function encodeRecord(rel: string, tree: string, rules: string, entries: Entry[]): Buffer {
  const names = Buffer.from(entries.map((e) => (typeof e.name === 'string' ? e.name : e.name.toString('utf8'))).join('\0'));
  const relLen = Buffer.byteLength(rel);
  const out = Buffer.alloc(4 + relLen + 48 + names.length + entries.length * ROW);
  out.writeUInt32LE(relLen, 0);
  out.write(rel, 4);
  let off = 4 + relLen;
  out.write(tree, off, 'hex');
  out.write(rules, off + 20, 'hex');
  out.writeUInt32LE(entries.length, off + 40);
  out.writeUInt32LE(names.length, off + 44);
  off += 48;
  names.copy(out, off);
  off += names.length;
  for (const e of entries) {
    if (e.st) {
      out.writeDoubleLE(e.st.mtimeMs, off);
      out.writeDoubleLE(e.st.ctimeMs, off + 8);
      out.writeDoubleLE(e.st.size, off + 16);
      out.writeDoubleLE(e.st.ino, off + 24);
    } else if (e.ignored) out.writeDoubleLE(1, off + 16);
    out.writeUInt32LE(e.mode, off + 32);
    out.write(e.oid, off + 36, 'hex');
    off += ROW;
  }
  return out;
}

/** HEAD's tree, or null (unborn branch, unreadable commit). */
async function headTree(repo: Repo): Promise<string | null> {
  try {
    const head = await resolveRef(repo, 'HEAD');
    return head ? (await readCommit(repo, head)).tree : null;
  } catch {
    return null;
  }
}

const DOT_GITIGNORE = Buffer.from('.gitignore');
const DOT_GIT = Buffer.from('.git');
/** What walking a directory returns when the directory is a nested repository. */
const NESTED = Symbol('nested');
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
