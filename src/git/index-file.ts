import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from './repo.js';

/** One stage-0 entry of `.git/index`: what git last recorded for a tracked path. */
export interface IndexEntry {
  path: string;
  oid: string;
  mode: number;
  mtimeSec: number;
  mtimeNsec: number;
  size: number;
  ino: number;
}

export interface GitIndex {
  entries: Map<string, IndexEntry>;
  /** mtime of the index file: entries modified at or after it are "racily clean" and not trusted. */
  mtimeMs: number;
  /**
   * The index's cache-tree extension: for each directory ('' for the root) whose tree git knows,
   * that tree and how many index entries lie below the directory. Git writes the tree objects it
   * names, and keeps them from gc while the index names them.
   */
  trees: Map<string, { oid: string; entries: number }>;
}

/** An entry read from the index buffer; the id is decoded when asked for (most lookups only compare stats). */
class Entry implements IndexEntry {
  readonly mode: number;
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
  readonly size: number;
  readonly ino: number;
  #oid: string | undefined;
  constructor(
    private readonly buf: Buffer,
    private readonly off: number,
    readonly path: string,
  ) {
    this.mtimeSec = buf.readUInt32BE(off + 8);
    this.mtimeNsec = buf.readUInt32BE(off + 12);
    this.ino = buf.readUInt32BE(off + 20);
    this.mode = buf.readUInt32BE(off + 24);
    this.size = buf.readUInt32BE(off + 36);
  }
  get oid(): string {
    return (this.#oid ??= this.buf.toString('hex', this.off + 40, this.off + 60));
  }
}

/**
 * Reads `.git/index` (versions 2 to 4) without writing it. We read it ourselves because
 * isomorphic-git only exposes it through commands that may refresh and rewrite it.
 * Returns an empty index when there is none (fresh repository).
 */
export function readGitIndex(repo: Repo): GitIndex {
  const file = path.join(repo.gitdir, 'index');
  let buf: Buffer;
  let mtimeMs = 0;
  try {
    buf = fs.readFileSync(file);
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch {
    return { entries: new Map(), mtimeMs, trees: new Map() };
  }
  const entries = new Map<string, IndexEntry>();
  const trees = new Map<string, { oid: string; entries: number }>();
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') return { entries, mtimeMs, trees };
  const version = buf.readUInt32BE(4);
  const count = buf.readUInt32BE(8);
  let off = 12;
  let prev: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count && off < buf.length; i++) {
    const start = off;
    const flags = buf.readUInt16BE(off + 60);
    off += 62;
    if (version >= 3 && flags & 0x4000) off += 2;
    let name: Buffer;
    if (version >= 4) {
      let c = buf[off++]!;
      let strip = c & 127;
      while (c & 128) {
        strip += 1;
        c = buf[off++]!;
        strip = (strip << 7) + (c & 127);
      }
      const end = buf.indexOf(0, off);
      name = Buffer.concat([prev.subarray(0, prev.length - strip), buf.subarray(off, end)]);
      off = end + 1;
      prev = name;
    } else {
      // The flags hold the name's length unless it is 0xfff or more.
      const len = flags & 0xfff;
      const end = len < 0xfff ? off + len : buf.indexOf(0, off);
      name = buf.subarray(off, end);
      off = start + Math.ceil((end - start + 1) / 8) * 8;
    }
    if ((flags >> 12) & 3) continue; // not stage 0
    const p = name.toString('utf8');
    entries.set(p, new Entry(buf, start, p));
  }
  // Extensions follow the entries, before the trailing checksum.
  while (off + 8 <= buf.length - 20) {
    const sig = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32BE(off + 4);
    if (sig === 'TREE') {
      try {
        readCacheTree(buf.subarray(off + 8, off + 8 + size), trees);
      } catch {
        trees.clear(); // an extension we cannot read is one we do not use
      }
      break;
    }
    off += 8 + size;
  }
  return { entries, mtimeMs, trees };
}

/**
 * The TREE extension: in pre-order, each directory's name (relative to its parent; '' for the
 * root), NUL, its entry count (-1 when invalidated), a space, its subtree count, a newline, then
 * its tree id when valid.
 */
function readCacheTree(data: Buffer, out: Map<string, { oid: string; entries: number }>): void {
  let off = 0;
  const node = (prefix: string | null): void => {
    const nul = data.indexOf(0, off);
    const nl = data.indexOf(0x0a, nul);
    if (nul < 0 || nl < 0) throw new Error('truncated cache tree');
    const name = data.toString('utf8', off, nul);
    const [count, subtrees] = data.toString('latin1', nul + 1, nl).split(' ').map(Number) as [number, number];
    if (!Number.isInteger(count) || !Number.isInteger(subtrees)) throw new Error('bad cache tree');
    off = nl + 1;
    const rel = prefix === null ? '' : prefix ? `${prefix}/${name}` : name;
    if (count >= 0) {
      if (off + 20 > data.length) throw new Error('truncated cache tree');
      out.set(rel, { oid: data.toString('hex', off, off + 20), entries: count });
      off += 20;
    }
    for (let i = 0; i < subtrees; i++) node(rel);
  };
  node(null);
}
