import * as fsp from 'node:fs/promises';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';

/**
 * The file-system client handed to isomorphic-git. It is node's fs.promises except that every
 * write is atomic (temp file, then rename): isomorphic-git writes a loose object straight to its
 * final path and never rewrites an existing one, so a process killed mid-write would otherwise
 * leave a truncated object that poisons every later write of the same content.
 */
async function atomicWriteFile(file: fs.PathLike, data: string | Uint8Array, options?: fs.WriteFileOptions): Promise<void> {
  const target = file.toString();
  // `.lock`-suffixed, so a temp file a killed process leaves under refs/ is never taken for a ref.
  const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}.lock`;
  // A concurrent `git gc --auto` (started in the background by the user's commit) prunes empty
  // `objects/xx` directories: when ours vanishes between creation and write, make it again.
  for (let attempt = 0; ; attempt++) {
    try {
      await fsp.writeFile(tmp, data, options);
      await fsp.rename(tmp, target);
      return;
    } catch (err) {
      await fsp.rm(tmp, { force: true }).catch(() => {});
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
      await fsp.mkdir(path.dirname(target), { recursive: true });
    }
  }
}

/** Temp names unique to this process without a random draw per write (pids are reused; the token is not). */
const TMP_TOKEN = `${process.pid}-${randomBytes(4).toString('hex')}`;
let tmpCounter = 0;

/**
 * The synchronous twin of `atomicWriteFile` (temp file, then rename; the `objects/xx` directory made
 * again when a concurrent gc pruned it). For many small writes, where a thread-pool round trip per
 * system call costs more than the call.
 */
export function atomicWriteFileSync(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${TMP_TOKEN}-${tmpCounter++}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(tmp, data);
      fs.renameSync(tmp, file);
      return;
    } catch (err) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        /* nothing to clean */
      }
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
      fs.mkdirSync(path.dirname(file), { recursive: true });
    }
  }
}

/** An open file descriptor to read `file`; null when it cannot be opened (absent, unreadable). */
export function openToRead(file: string): number | null {
  try {
    return fs.openSync(file, 'r');
  } catch {
    return null;
  }
}

/** Closes the files their holders kept open, once a holder is collected (`keepOpenWith`). */
const heldOpen = new FinalizationRegistry<number>((fd) => {
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed */
  }
});

/** Keeps `fd` open while `holder` lives: it is closed when the holder is collected, unless `closeHeld` closed it first. */
export function keepOpenWith(holder: object, fd: number): void {
  heldOpen.register(holder, fd, holder);
}

/** Closes the file `holder` kept open (`keepOpenWith`), now. */
export function closeHeld(holder: object, fd: number): void {
  heldOpen.unregister(holder);
  fs.closeSync(fd);
}

/** Reads `length` bytes at `position` of an open file; throws where the file ends before. */
export function readAt(fd: number, length: number, position: number): Buffer {
  const out = Buffer.allocUnsafeSlow(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, out, got, length - got, position + got);
    if (n === 0) throw new Error('the file ends early');
    got += n;
  }
  return out;
}

/**
 * Writes a small sealed cache file over the one there, in place: no temp file, no rename. A file
 * made anew and renamed over the old costs a new inode and (ext4's replace-by-rename heuristic) a
 * flush of its blocks, a millisecond or more where this costs tens of microseconds. Only for a file
 * a torn or mixed write can make unreadable, never wrong: one whose sum covers every byte after it
 * (`store/sealed.ts`), so a reader that catches it half written, or longer than written (before the
 * truncation), refuses it and derives the data again. A missing file is written atomically.
 */
export function overwriteFileSync(file: string, data: Uint8Array): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch {
    atomicWriteFileSync(file, data);
    return;
  }
  try {
    for (let at = 0; at < data.length; ) at += fs.writeSync(fd, data, at, data.length - at, at);
    if (fs.fstatSync(fd).size > data.length) fs.ftruncateSync(fd, data.length);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * isomorphic-git wraps the client anew on every call and probes it by calling `readFile()` with no
 * path (twice): every client of ours answers with this one rejection, rather than node building an
 * error (with its stack) each time.
 */
export const NO_PATH: Promise<never> = Promise.reject(Object.assign(new Error('no path'), { code: 'EINVAL' }));
NO_PATH.catch(() => {});
/**
 * A synchronous call behind a promise, for isomorphic-git's client: a call of `fs.promises` costs a
 * thread-pool round trip (`readFile` four: open, stat, read, close), more than the small reads and
 * stats isomorphic-git makes (refs, `HEAD`, `packed-refs`, config, the git dir). A call without a
 * path is isomorphic-git's probe (`NO_PATH`).
 */
export const sync = <R>(f: (...a: never[]) => R) => (...a: unknown[]): Promise<R> => {
  if (a[0] === undefined) return NO_PATH;
  try {
    return Promise.resolve((f as (...x: unknown[]) => R)(...a));
  } catch (err) {
    return Promise.reject(err);
  }
};

export const gitFs = {
  promises: { ...fsp, readFile: sync(fs.readFileSync), stat: sync(fs.statSync), lstat: sync(fs.lstatSync), readdir: sync(fs.readdirSync as (...a: never[]) => string[]), writeFile: atomicWriteFile },
};
export type GitFs = typeof gitFs;
export { atomicWriteFile };
