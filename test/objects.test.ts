import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import git from 'isomorphic-git';
import { scenario, writeRawObject } from './helpers.js';
import type { Scenario } from '../fixtures/scenario.js';
import { readBlob, readCommit, readTree } from '../src/git/objects.js';
import { resolveRevision } from '../src/git/refs.js';

/** Every object of the repository (`git cat-file --batch-all-objects`), by type. */
function allObjects(s: Scenario): { oid: string; type: string }[] {
  return s
    .git('cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)')
    .trim()
    .split('\n')
    .map((l) => {
      const [oid, type] = l.split(' ');
      return { oid: oid!, type: type! };
    });
}

/**
 * Every object read as isomorphic-git's readCommit/readTree/readBlob read it (what the product read
 * before it parsed objects itself), and its structure as the git CLI gives it.
 */
async function expectSameAsBefore(s: Scenario): Promise<number> {
  const repo = await s.repo();
  const args = { fs, dir: s.dir, gitdir: path.join(s.dir, '.git'), cache: {} };
  const objects = allObjects(s);
  for (const { oid, type } of objects) {
    if (type === 'commit') {
      const { commit } = await git.readCommit({ ...args, oid });
      expect(await readCommit(repo, oid)).toEqual({ oid, tree: commit.tree, parents: commit.parent, message: commit.message, author: commit.author, committer: commit.committer });
      expect((await readCommit(repo, oid)).parents).toEqual(s.git('rev-parse', `${oid}^@`).trim().split('\n').filter(Boolean));
      expect((await readCommit(repo, oid)).tree).toBe(s.rev(`${oid}^{tree}`));
    } else if (type === 'tree') {
      const { tree } = await git.readTree({ ...args, oid });
      const mine = await readTree(repo, oid);
      expect(mine).toEqual(tree);
      const listed = s.git('ls-tree', '-z', oid).split('\0').filter(Boolean).map((l) => l.split('\t')[1]!);
      expect(mine.map((e) => e.path).sort()).toEqual(listed.sort());
    } else if (type === 'blob') {
      expect(await readBlob(repo, oid)).toEqual(Buffer.from((await git.readBlob({ ...args, oid })).blob));
      expect(await readBlob(repo, oid)).toEqual(execFileSync('git', ['cat-file', 'blob', oid], { cwd: s.dir }));
    }
  }
  return objects.length;
}

describe('objects read: isomorphic-git finds the bytes, a loose object is checked here', () => {
  it("commits, trees and blobs, loose and packed, read as isomorphic-git read them and as git has them; tags and commits peeled", async () => {
    const s = scenario();
    s.write('a.b', 'file before the tree a in git order\n');
    s.write('a/inner.txt', 'in a tree\n');
    s.write('tool.sh', '#!/bin/sh\necho hi\n');
    fs.chmodSync(s.path('tool.sh'), 0o755);
    fs.symlinkSync('a.b', s.path('link'));
    s.write('😀-astral.txt', 'astral\n');
    s.write('émoji.txt', 'not ASCII\n');
    s.write('\uE000-private.txt', 'above the surrogates in UTF-16, below them in UTF-8\n');
    s.write('bin.dat', Buffer.from([0, 1, 2, 255, 0, 10]));
    const first = await s.commit('first\r\n\r\nwith CRLF lines\r\n');
    // A submodule entry (mode 160000), as git records it.
    s.git('update-index', '--add', '--cacheinfo', `160000,${first},sub`);
    s.git('commit', '-qm', 'a submodule');
    s.checkout('side', true);
    s.write('side.txt', 'side\n');
    await s.commit('side');
    s.checkout('main');
    s.write('main.txt', 'main\n');
    await s.commit('main');
    s.git('merge', '-q', '--no-edit', 'side');
    // Headers git writes but does not read (a signature, an encoding), timezones east, west, -0000.
    const tree = s.rev('HEAD^{tree}');
    const head = s.head();
    const signed = writeRawObject(
      s,
      'commit',
      `tree ${tree}\nparent ${head}\nauthor A. Person <a@example.com> 1700000000 +0530\ncommitter Some <One> <c@example.com> 1700000100 -0800\nencoding ISO-8859-1\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\n\n\nsigned, after blank lines\n\n\n`,
    );
    const zero = writeRawObject(s, 'commit', `tree ${tree}\nparent ${signed}\nauthor Z <z@z> 1700000200 -0000\ncommitter Z <z@z> 1700000200 +0000\n\nat -0000\n`);
    s.git('update-ref', 'refs/heads/main', zero);
    s.git('tag', '-a', '-m', 'annotated', 'v1', zero);
    s.git('tag', '-a', '-m', 'tag of a tag', 'v1-again', 'v1');
    const tagged = s.rev('v1-again');

    const loose = await expectSameAsBefore(s);
    s.git('gc', '-q');
    expect(s.git('count-objects', '-v')).toMatch(/^count: 0$/m);
    expect(await expectSameAsBefore(s)).toBe(loose);

    // isomorphic-git's readers peeled: a tag to its commit, a commit (or a tag) to its tree.
    const repo = await s.repo();
    expect((await readCommit(repo, tagged)).oid).toBe(tagged);
    expect((await readCommit(repo, tagged)).tree).toBe(tree);
    expect((await readCommit(repo, tagged)).message).toBe('at -0000\n');
    expect(Object.is((await readCommit(repo, zero)).author.timezoneOffset, -0)).toBe(true);
    expect(Object.is((await readCommit(repo, zero)).committer.timezoneOffset, 0)).toBe(true);
    expect(await readTree(repo, tagged)).toEqual(await readTree(repo, tree));
    await expect(readBlob(repo, tree)).rejects.toThrow(`object ${tree} is a tree, not a blob`);
    // A revision a user types is peeled the same way to its commit.
    expect(await resolveRevision(repo, 'v1-again')).toBe(zero);
    expect(await resolveRevision(repo, 'v1-again~1')).toBe(signed);
    s.git('tag', '-a', '-m', 'a tree', 'tree-tag', tree);
    await expect(resolveRevision(await s.repo(), 'tree-tag')).rejects.toThrow("revision 'tree-tag' names a tree, not a commit");
    await expect(readCommit(repo, s.rev('HEAD:main.txt'))).rejects.toThrow('is a blob, not a commit');
  });

  it('a damaged loose object is an error naming it, never its bytes', async () => {
    const s = scenario();
    s.write('f.txt', 'the right content\n');
    await s.commit('one');
    const oid = s.rev('HEAD:f.txt');
    const file = path.join(s.dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2));
    fs.chmodSync(file, 0o644);

    // Other bytes under its name: their hash is not the name.
    fs.writeFileSync(file, deflateSync(Buffer.from('blob 18\0the wrong content\n')));
    await expect(readBlob(await s.repo(), oid)).rejects.toThrow(new RegExp(`^object ${oid} is damaged: its bytes hash to [0-9a-f]{40}$`));
    // Cut short: it does not inflate.
    fs.writeFileSync(file, deflateSync(Buffer.from('blob 18\0the right content\n')).subarray(0, 12));
    await expect(readBlob(await s.repo(), oid)).rejects.toThrow(`object ${oid} cannot be inflated`);
    // A header whose length is not the content's (the bytes hash to the name: written so).
    const wrong = Buffer.from('blob 5\0the right content\n');
    const bad = createHash('sha1').update(wrong).digest('hex');
    const badFile = path.join(s.dir, '.git', 'objects', bad.slice(0, 2), bad.slice(2));
    fs.mkdirSync(path.dirname(badFile), { recursive: true });
    fs.writeFileSync(badFile, deflateSync(wrong));
    await expect(readBlob(await s.repo(), bad)).rejects.toThrow(`object ${bad} has a malformed header`);
    // Trees git would not write: an unknown mode (one an object's prototype has too), a name that breaks a path.
    const blobId = Buffer.from(oid, 'hex');
    for (const [entry, says] of [
      [Buffer.concat([Buffer.from('toString f.txt\0'), blobId]), 'is a tree with an entry of unknown mode toString'],
      [Buffer.concat([Buffer.from('100644 a/b\0'), blobId]), 'is a tree with an entry named "a/b"'],
      [Buffer.from('100644 f.txt\0short'), 'is a malformed tree (at byte 0)'],
    ] as const) {
      const tree = writeRawObject(s, 'tree', entry);
      await expect(readTree(await s.repo(), tree)).rejects.toThrow(`object ${tree} ${says}`);
    }
    // The right bytes again: read.
    fs.writeFileSync(file, deflateSync(Buffer.from('blob 18\0the right content\n')));
    expect((await readBlob(await s.repo(), oid)).toString()).toBe('the right content\n');
  });
});
