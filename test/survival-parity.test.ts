import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { generateHistory, type HistoryShape } from '../fixtures/histories.js';
import { parityLine, replayParity } from '../fixtures/parity.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function parity(shape: HistoryShape, commits: number, seed: number) {
  const src = generateHistory({ shape, commits, seed });
  dirs.push(src.dir);
  const r = await replayParity(src);
  console.log(parityLine(`${shape} (${commits} commits, seed ${seed})`, r));
  return r;
}

describe('replay parity with git blame', () => {
  for (const [shape, n, seed] of [
    ['long-files', 40, 1],
    ['many-files', 40, 2],
    ['renames', 40, 3],
    ['reverts', 40, 4],
    ['merges', 40, 5],
    ['mixed', 60, 6],
  ] as [HistoryShape, number, number][]) {
    it(`${shape}: alive lines per commit equal git blame's, every one`, async () => {
      const r = await parity(shape, n, seed);
      expect(r.total).toBeGreaterThan(100);
      // Every line: the pass diffs as git blame does (the floor is 99.5%).
      expect(r.mismatches).toEqual([]);
      expect(r.rate).toBe(1);
    });
  }
});
