import { createHash } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { deflateSync } from 'node:zlib';
import git from 'isomorphic-git';
import { gitArgs, type Repo } from './repo.js';
import { gitFs } from './fs.js';

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
export const MODE = { file: '100644', exec: '100755', symlink: '120000', tree: '40000', gitlink: '160000' } as const;

/** The object id git gives `content` of `type` (SHA-1 of the header and the bytes). */
export function hashObject(type: ObjectType, content: Uint8Array): string {
  const h = createHash('sha1');
  h.update(`${type} ${content.length}\0`);
  h.update(content);
  return h.digest('hex');
}

/**
 * Writes an object and returns its id. We hash and deflate with node (fast, synchronous) and hand
 * isomorphic-git the deflated bytes; it skips objects already stored loose.
 */
export async function writeObject(repo: Repo, type: ObjectType, content: Uint8Array, knownOid?: string): Promise<string> {
  const oid = knownOid ?? hashObject(type, content);
  const wrapped = Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]);
  await git.writeObject({ fs: repo.fs, gitdir: repo.commonDir, type, object: deflateSync(wrapped, { level: 1 }), format: 'deflated', oid });
  return oid;
}

export interface TreeEntry {
  mode: string;
  /** Entry name as raw bytes (paths need not be UTF-8). */
  name: Buffer;
  oid: string;
}

/** Git's tree order: byte order of names, with trees compared as if their name ended in '/'. */
export function compareTreeEntries(a: TreeEntry, b: TreeEntry): number {
  const ka = a.mode === MODE.tree ? Buffer.concat([a.name, Buffer.from('/')]) : a.name;
  const kb = b.mode === MODE.tree ? Buffer.concat([b.name, Buffer.from('/')]) : b.name;
  return Buffer.compare(ka, kb);
}

/** The bytes of a tree object for already-sorted entries (one allocation: snapshots encode many). */
export function encodeTree(entries: TreeEntry[]): Buffer {
  let size = 0;
  for (const e of entries) size += e.mode.length + 1 + e.name.length + 1 + 20;
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (const e of entries) {
    off += out.write(e.mode, off, 'latin1');
    out[off++] = 0x20;
    off += e.name.copy(out, off);
    out[off++] = 0;
    off += out.write(e.oid, off, 'hex');
  }
  return out;
}

/**
 * The client isomorphic-git reads objects through: node's synchronous calls behind promises. A read
 * is a few small system calls (the loose-object probe, the pack directory, the git dir's stat), each
 * a thread-pool round trip when asynchronous; synchronous they cost microseconds. Writes keep the
 * atomic client. A repository opened with another client (tests inject faults) keeps its own.
 */
const NO_PATH = Object.assign(new Error('no path'), { code: 'EINVAL' });
const sync = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): Promise<R> => {
  if (a[0] === undefined) return Promise.reject(NO_PATH);
  try {
    return Promise.resolve(f(...a));
  } catch (err) {
    return Promise.reject(err);
  }
};
const readFs = {
  promises: {
    ...gitFs.promises,
    readFile: sync(nodeFs.readFileSync as (...a: unknown[]) => unknown),
    stat: sync(nodeFs.statSync as (...a: unknown[]) => unknown),
    lstat: sync(nodeFs.lstatSync as (...a: unknown[]) => unknown),
    readdir: sync(nodeFs.readdirSync as (...a: unknown[]) => unknown),
  },
};
const readArgs = (repo: Repo) => ({ ...gitArgs(repo), fs: repo.fs === gitFs ? (readFs as unknown as Repo['fs']) : repo.fs });

export async function readBlob(repo: Repo, oid: string): Promise<Buffer> {
  const { blob } = await git.readBlob({ ...readArgs(repo), oid });
  return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
}

export interface ReadTreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

export async function readTree(repo: Repo, oid: string): Promise<ReadTreeEntry[]> {
  const { tree } = await git.readTree({ ...readArgs(repo), oid });
  return tree as ReadTreeEntry[];
}

export interface Person {
  name: string;
  email: string;
  timestamp: number;
  timezoneOffset: number;
}

export interface Commit {
  oid: string;
  tree: string;
  parents: string[];
  message: string;
  author: Person;
  committer: Person;
}

export async function readCommit(repo: Repo, oid: string): Promise<Commit> {
  const { commit } = await git.readCommit({ ...readArgs(repo), oid });
  return { oid, tree: commit.tree, parents: commit.parent, message: commit.message, author: commit.author, committer: commit.committer };
}

export async function writeCommit(
  repo: Repo,
  c: { tree: string; parents: string[]; message: string; author: Person; committer?: Person },
): Promise<string> {
  return git.writeCommit({
    fs: repo.fs,
    gitdir: repo.commonDir,
    commit: { tree: c.tree, parent: c.parents, message: c.message, author: c.author, committer: c.committer ?? c.author },
  });
}

/** True when the object is in the repository (loose or packed). */
export async function hasObject(repo: Repo, oid: string): Promise<boolean> {
  try {
    await git.readObject({ ...gitArgs(repo), oid, format: 'deflated' });
    return true;
  } catch {
    return false;
  }
}

/** Ensures the empty tree exists (git knows it virtually; isomorphic-git needs it stored). */
export async function ensureEmptyTree(repo: Repo): Promise<string> {
  return writeObject(repo, 'tree', Buffer.alloc(0), EMPTY_TREE);
}

/** True when a buffer looks binary the way git decides it: a NUL byte in the first 8000 bytes. */
export function isBinary(content: Uint8Array): boolean {
  const n = Math.min(content.length, 8000);
  for (let i = 0; i < n; i++) if (content[i] === 0) return true;
  return false;
}
