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
    return { entries: new Map(), mtimeMs };
  }
  const entries = new Map<string, IndexEntry>();
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') return { entries, mtimeMs };
  const version = buf.readUInt32BE(4);
  const count = buf.readUInt32BE(8);
  let off = 12;
  let prev: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count && off < buf.length; i++) {
    const start = off;
    const mtimeSec = buf.readUInt32BE(off + 8);
    const mtimeNsec = buf.readUInt32BE(off + 12);
    const ino = buf.readUInt32BE(off + 20);
    const mode = buf.readUInt32BE(off + 24);
    const size = buf.readUInt32BE(off + 36);
    const oid = buf.toString('hex', off + 40, off + 60);
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
    } else {
      const end = buf.indexOf(0, off);
      name = buf.subarray(off, end);
      off = start + Math.ceil((end - start + 1) / 8) * 8;
    }
    prev = name;
    const stage = (flags >> 12) & 3;
    if (stage !== 0) continue;
    const p = name.toString('utf8');
    entries.set(p, { path: p, oid, mode, mtimeSec, mtimeNsec, size, ino });
  }
  return { entries, mtimeMs };
}
