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
  const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
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

export const gitFs = { promises: { ...fsp, writeFile: atomicWriteFile } };
export type GitFs = typeof gitFs;
export { atomicWriteFile };
