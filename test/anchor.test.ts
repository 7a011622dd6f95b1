import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scenario, tempDir, trail } from './helpers.js';
import { anchorCommit } from '../src/anchor/anchor.js';
import { bigramProfile, diffIds, diffLines, splitLines, lineSimilarity, profileSimilarity, similarityBound, windowSimilarities, type LineHunk } from '../src/diff/lines.js';
import { HUMAN, survivalByStep } from '../fixtures/scenario.js';
import { rng } from '../fixtures/histories.js';
import { containsRun } from '../src/survival/forward.js';

/** Lines of `file` at `commit` that `git blame` gives to `commit` itself (1-based): the oracle for line precision. */
function blamedTo(s: ReturnType<typeof scenario>, commit: string, file: string): number[] {
  const out = s.git('blame', '--porcelain', commit, '--', file);
  const lines: number[] = [];
  for (const l of out.split('\n')) {
    const m = /^([0-9a-f]{40}) \d+ (\d+)/.exec(l);
    if (m && m[1] === commit) lines.push(Number(m[2]));
  }
  return lines;
}

/** Integers below `n`, drawn from the fixtures' seeded generator. */
function seeded(seed: number): (n: number) => number {
  const next = rng(seed);
  return (n) => Math.floor(next() * n);
}

describe('line similarity', () => {
  it('is the Dice coefficient of the two lines\' character bigrams, white space folded', () => {
    // The definition, written out plainly: bigrams as two-character strings, counted in maps.
    const bigrams = (s: string) => {
      const t = s.replace(/\s+/g, ' ').trim();
      const m = new Map<string, number>();
      for (let i = 0; i < t.length - 1; i++) m.set(t.slice(i, i + 2), (m.get(t.slice(i, i + 2)) ?? 0) + 1);
      return m;
    };
    const dice = (x: string, y: string) => {
      if (x === y) return 1;
      const a = bigrams(x);
      const b = bigrams(y);
      let na = 0;
      let nb = 0;
      let common = 0;
      for (const v of b.values()) nb += v;
      for (const [g, v] of a) {
        na += v;
        common += Math.min(v, b.get(g) ?? 0);
      }
      return na + nb === 0 ? (x.trim() === y.trim() ? 1 : 0) : (2 * common) / (na + nb);
    };
    const rand = seeded(5);
    // Characters past one byte and pairs a narrower bigram code would confuse ('a\u0101', 'b\u0001').
    // White space of every kind `\s` folds (and some that is not: \u0085, \u200b).
    const alphabet = ['a', 'b', 'ab', ' ', '\t', '(', ')', 'é', '\u{1F600}', '\uFFFF', 'x', '\u0101', '\u0001', '\n', '\v', '\f', '\r', '\u00a0', '\u1680', '\u2000', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u0085', '\u200b', '  '];
    const line = () => Array.from({ length: rand(12) }, () => alphabet[rand(alphabet.length)]).join('');
    const pairs: [string, string][] = [['a\u0101', 'b\u0001'], ['a\u0101 x', 'b\u0001 x'], ['\u{1F600}\u{1F600}', '\uD83D\uDE00'], ['', ' '], ['', 'x']];
    for (let i = 0; i < 2000; i++) {
      const x = line();
      const y = rand(4) === 0 ? x.replace(/a/g, 'b') : line();
      pairs.push([x, y]);
    }
    // ASCII alone (most code; compared by counting), and against a line with one character past it.
    const ascii = ['a', 'b', 'ab', ' ', '\t', '(', ')', 'x', '\u0001', '\u007f', '~', 'ba', '  '];
    const asciiLine = () => Array.from({ length: rand(14) }, () => ascii[rand(ascii.length)]).join('');
    for (let i = 0; i < 2000; i++) {
      const x = asciiLine();
      const y = rand(4) === 0 ? x.replace(/a/g, 'b') : rand(8) === 0 ? `${asciiLine()}\u0080` : asciiLine();
      pairs.push([x, y]);
    }
    for (const [x, y] of pairs) {
      expect(lineSimilarity(x, y), JSON.stringify([x, y])).toBe(dice(x, y));
      expect(profileSimilarity(bigramProfile(x), bigramProfile(y))).toBe(dice(x, y));
      // The bound that lets the pairing skip a comparison is never below the similarity (and is it
      // for a line and itself).
      expect(similarityBound(bigramProfile(x), bigramProfile(y)), JSON.stringify([x, y])).toBeGreaterThanOrEqual(dice(x, y));
      expect(similarityBound(bigramProfile(x), bigramProfile(x))).toBe(1);
    }
    // One profile against many, as the pairing compares a removed line with each added one: nothing
    // of one comparison is left over for the next.
    const many = bigramProfile('for (let i = 0; i < n; i++) total += xs[i];');
    for (const [, y] of pairs) expect(profileSimilarity(many, bigramProfile(y)), JSON.stringify(y)).toBe(dice(many.text, y));
  });
});

describe('window similarity in one sliding pass', () => {
  it('equals the similarity of each window text, with blank, white-space-only and one-character lines', () => {
    const lines = ['function f(a) {', '', '  return a  +  1;', '   ', '}', 'x', '\t', 'const s = "some text";', '', '', 'y', 'export { f };'];
    const targets = ['function f(a) {\n  return a + 1;\n}', 'x\ny', '', 'x', 'const s = "some text";\n\ny'];
    for (const y of targets) {
      for (let len = 1; len <= lines.length; len++) {
        const got = windowSimilarities(lines, len, bigramProfile(y));
        expect(got.length).toBe(lines.length - len + 1);
        got.forEach((v, i) => expect(v, `len ${len}, window ${i}, target ${JSON.stringify(y)}`).toBeCloseTo(lineSimilarity(lines.slice(i, i + len).join('\n'), y), 12));
      }
    }
  });
});

describe('line diffs, as git aligns them', () => {
  /** The hunks `git diff -U0` gives two texts (git's defaults, as git blame diffs: Myers, the indent heuristic), as our hunks. */
  function gitHunks(dir: string, a: string, b: string): LineHunk[] {
    fs.writeFileSync(path.join(dir, 'a'), a);
    fs.writeFileSync(path.join(dir, 'b'), b);
    const r = spawnSync('git', ['-c', 'core.autocrlf=false', 'diff', '--no-index', '--no-color', '--diff-algorithm=myers', '--indent-heuristic', '-U0', 'a', 'b'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0 && r.status !== 1) throw new Error(r.stderr);
    const out: LineHunk[] = [];
    for (const l of r.stdout.split('\n')) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(l);
      if (!m) continue;
      const oldCount = m[2] === undefined ? 1 : Number(m[2]);
      const newCount = m[4] === undefined ? 1 : Number(m[4]);
      // git numbers an empty side by the line before it.
      out.push({ oldStart: Number(m[1]) - (oldCount ? 1 : 0), oldCount, newStart: Number(m[3]) - (newCount ? 1 : 0), newCount });
    }
    return out;
  }
  const rebuild = (a: string[], b: string[], hunks: LineHunk[]) => {
    const out: string[] = [];
    let i = 0;
    for (const h of hunks) {
      out.push(...a.slice(i, h.oldStart), ...b.slice(h.newStart, h.newStart + h.newCount));
      i = h.oldStart + h.oldCount;
    }
    return [...out, ...a.slice(i)];
  };
  const text = (lines: string[], noEol: boolean) => (lines.length ? `${lines.join('\n')}${noEol ? '' : '\n'}` : '');

  it('gives the hunks git gives: repeated lines, lines one side lacks, long common ends, non-ASCII text, a missing last newline', () => {
    const rand = seeded(17);
    const dir = tempDir();
    // Lines of code's usual repeats (blank, braces), lines of a few kinds, unique ones, and non-ASCII ones.
    const common = ['', '', '}', '  }', 'return x;', '\t});', '// é — 中文'];
    const line = () => (rand(3) === 0 ? common[rand(common.length)]! : rand(4) === 0 ? `line ${rand(12)}` : rand(9) === 0 ? `ünïcode ${rand(1000)} 漢字` : `const v${rand(1_000_000)} = ${rand(100)};`);
    let differ = 0;
    for (let round = 0; round < 160; round++) {
      // Small files, and large ones (common tails of many 1,024-byte blocks; Myers's heuristics past 256 edits).
      const n = round % 8 === 0 ? 600 + rand(2500) : rand(80);
      const a = Array.from({ length: n }, line);
      const rate = 2 + rand(12);
      const b = rand(10) === 0 ? Array.from({ length: rand(60) }, line) : a.flatMap((x) => (rand(rate) === 0 ? [] : rand(rate) === 0 ? [line(), x] : rand(rate) === 0 ? [line()] : [x]));
      const noEolA = rand(6) === 0;
      const noEolB = rand(3) === 0 ? !noEolA : noEolA;
      const ta = text(a, noEolA);
      const tb = text(b, noEolB);
      const la = splitLines(ta);
      const lb = splitLines(tb);
      const ours = diffLines(la, lb);
      const theirs = gitHunks(dir, ta, tb);
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) differ++;
      expect(ours, JSON.stringify({ round, n })).toEqual(theirs);
      expect(rebuild(la.lines, lb.lines, ours)).toEqual(lb.lines);
    }
    expect(differ).toBe(0);
  });

  it("slides a group of added or removed lines where git's indent heuristic puts it (code: blocks copied, dropped, blank lines, tabs, CRs)", () => {
    const rand = seeded(41);
    const dir = tempDir();
    const pad = () => [' '.repeat(rand(3) * 2), '\t', '  \t', ''][rand(4)]!;
    // A small program of blocks that share most of their lines: where one is copied next to an
    // equal one or dropped, the group can slide, and its place is the heuristic's choice.
    const block = (): string[] => {
      const k = rand(3);
      const body = [`${pad()}if (x${k}) {`, `${pad()}  return ${k};`, `${pad()}}`];
      return [...(rand(2) ? [''] : []), `function f${k}() {`, ...body.slice(0, 1 + rand(3)), ...(rand(4) === 0 ? ['', '   '] : []), rand(6) === 0 ? '}\r' : '}', ...(rand(3) ? [''] : [])];
    };
    for (let round = 0; round < 500; round++) {
      const blocks = Array.from({ length: 2 + rand(8) }, block);
      const a = blocks.flat();
      const edited = blocks.flatMap((b) => (rand(4) === 0 ? [] : rand(3) === 0 ? [b, rand(2) ? b : block()] : rand(5) === 0 ? [b, [''.padEnd(rand(3), ' ')]] : [b]));
      const b = edited.flat();
      const ours = diffLines({ lines: a, noEol: false }, { lines: b, noEol: false });
      expect(ours, JSON.stringify({ round, a, b })).toEqual(gitHunks(dir, text(a, false), text(b, false)));
    }
  });

  it('gives the hunks git gives where its limits show: a long common tail cut off, a large change split by its heuristics', () => {
    const dir = tempDir();
    const rand = seeded(29);
    // One more of 300 equal lines: git cuts the common tail (whole 1,024-byte blocks) before it
    // diffs, so the new line is the first past the cut, not the last of the file.
    const same = Array.from({ length: 300 }, () => 'the same line of text');
    const cases: [string[], string[]][] = [[['start', ...same], ['start', 'the same line of text', ...same]]];
    // The cut's edges, to the byte: 93 lines of 11 bytes and the newline before them make 1,024
    // (one block: all 93 cut); 64 lines of 16 bytes make 1,024 and the line holding the cut's
    // first byte is kept (63 cut); 85 lines of 12 bytes, a newline and the last 10 bytes of the
    // first line (alike in the line the other side has there) make 1,031 (all 85 cut).
    for (const [first, line, n] of [
      ['s', 'abcdefghij', 93],
      ['s', 'abcdefghijklmno', 64],
      [`s${'q'.repeat(11)}`, `z${'q'.repeat(10)}`, 85],
    ] as const) {
      const run = Array.from({ length: n }, () => line);
      cases.push([[first, ...run], [first, line, ...run]]);
    }
    // Blocks of lines replaced at intervals by lines from elsewhere in the file (lines the other
    // side has, which Myers must align), over 256 edits in all: dense (15 of every 40 lines, its
    // cost cap, 256 below 65,536 lines in all), and sparse in a long file (10 of every 100 of
    // 40,000: the cap is 512, and past 256 its heuristic splits after a long run of equal lines).
    const unique = () => `unique ${rand(1_000_000_000)}`;
    for (const [length, every, block] of [
      [3000, 40, 15],
      [40000, 100, 10],
    ] as const) {
      const a = Array.from({ length }, (_, i) => (i % 7 === 0 ? '}' : unique()));
      const b = a.map((x, i) => (i % every < block ? a[(i * 7919 + rand(50)) % length]! : x));
      cases.push([a, b]);
    }
    for (const [a, b] of cases) {
      const ours = diffLines({ lines: a, noEol: false }, { lines: b, noEol: false });
      expect(ours).toEqual(gitHunks(dir, text(a, false), text(b, false)));
      expect(rebuild(a, b, ours)).toEqual(b);
    }
    const inserted = cases.slice(0, 4).map(([a, b]) => diffLines({ lines: a, noEol: false }, { lines: b, noEol: false })[0]!.newStart);
    expect(inserted).toEqual([22, 1, 2, 1]);
  });

  it('sets aside a line repeated among changed lines, as git does, though a shorter diff would keep it', () => {
    // A file rewritten but for its blank lines (one in five): git changes the whole (xdiff's
    // discard of a line found many times among lines the other side lacks); a minimal diff would
    // keep eight blank lines.
    const a = Array.from({ length: 40 }, (_, i) => (i % 5 === 4 ? '' : `old ${i}`));
    const b = Array.from({ length: 60 }, (_, i) => (i % 5 === 4 ? '' : `new ${i}`));
    const hunks = diffLines({ lines: a, noEol: false }, { lines: b, noEol: false });
    expect(hunks).toEqual(gitHunks(tempDir(), text(a, false), text(b, false)));
    // (Both end with a blank line: the common last line is left out.)
    expect(hunks).toEqual([{ oldStart: 0, oldCount: 39, newStart: 0, newCount: 59 }]);
  });

  it('lines only one side has are one replacement, the common ends left out', () => {
    const a = Array.from({ length: 3000 }, (_, i) => i % 7);
    const b = Array.from({ length: 3500 }, (_, i) => 100 + (i % 5));
    expect(diffIds(a, b)).toEqual([{ oldStart: 0, oldCount: 3000, newStart: 0, newCount: 3500 }]);
    expect(diffIds([9, ...a, 8], [9, ...b, 8])).toEqual([{ oldStart: 1, oldCount: 3000, newStart: 1, newCount: 3500 }]);
  });

  it('finds a run of lines first where a scan finds it, in a long array searched again and again (then indexed)', () => {
    const rand = seeded(13);
    for (const length of [40, 300, 2000]) {
      const lines = Array.from({ length }, () => `line ${rand(25)}`);
      const scan = (want: string[]) => {
        for (let i = 0; i + want.length <= lines.length; i++) if (want.every((w, k) => lines[i + k] === w)) return i;
        return -1;
      };
      for (let q = 0; q < 200; q++) {
        const from = rand(length);
        // Runs taken from the lines (some at the very end), some made up, some empty.
        const want = rand(4) === 0 ? Array.from({ length: rand(3) }, () => `line ${rand(30)}`) : lines.slice(from, from + 1 + rand(4));
        expect(containsRun(lines, want), JSON.stringify({ length, q, want })).toBe(want.length ? scan(want) : -1);
      }
    }
  });

});

describe('anchoring at commit time', () => {
  it('anchors exactly, at line precision, the lines git blame gives the commit', async () => {
    const s = scenario();
    s.write('m.ts', `${Array.from({ length: 12 }, (_, i) => `const c${i} = ${i};`).join('\n')}\n`);
    await s.commit('base');
    const a = await s.agentStep({ trace: 't', step: 'ins' }, () => s.replace('m.ts', 'const c4 = 4;\n', 'const c4 = 4;\nconst n1 = "new";\nconst n2 = "new";\n'));
    const b = await s.agentStep({ trace: 't', step: 'edit' }, () => s.replace('m.ts', 'const c9 = 9;', 'const c9 = 90;'));
    const sha = await s.commit('agent work');
    const t = await trail(s);
    expect(t.anchors.get(a.patches[0]!.patchId)).toEqual({ patchId: a.patches[0]!.patchId, commit: sha, firmness: 'exact', path: 'm.ts', lines: [6, 7] });
    expect(t.anchors.get(b.patches[0]!.patchId)).toMatchObject({ commit: sha, firmness: 'exact', lines: [12] });
    expect([...t.anchors.values()].flatMap((x) => x.lines).sort((p, q) => p - q)).toEqual(blamedTo(s, sha, 'm.ts'));
  });

  it('anchors fuzzily when a human touched the lines up (similarity >= 0.85), not when they were rewritten', async () => {
    const s = scenario();
    s.write('f.ts', 'start\n');
    s.write('g.ts', 'start\n');
    await s.commit('base');
    const a = await s.agentStep({ trace: 't', step: 'a' }, () => s.write('f.ts', 'start\nexport function computeTotalPrice(items) { return sum(items); }\n'));
    const b = await s.agentStep({ trace: 't', step: 'b' }, () => s.write('g.ts', 'start\nexport function computeTotalPrice(items) { return sum(items); }\n'));
    s.replace('f.ts', 'return sum(items);', 'return sum(items) ;');
    s.write('g.ts', 'start\nconst completely = different.code(here);\n');
    const sha = await s.commit('touched up');
    const t = await trail(s);
    expect(t.anchors.get(a.patches[0]!.patchId)).toMatchObject({ commit: sha, firmness: 'fuzzy', path: 'f.ts', lines: [2] });
    expect(t.anchors.has(b.patches[0]!.patchId)).toBe(false);
  });

  it('lands what landed: a line dropped or added before the commit leaves the rest anchored, line by line as git blame has it', async () => {
    const s = scenario();
    s.write('a.ts', 'export {};\n');
    s.write('b.ts', 'export {};\n');
    await s.commit('base');
    const body = (tag: string) => Array.from({ length: 10 }, (_, i) => `export const ${tag}${i} = compute('${tag}', ${i * 7});`);
    const a = await s.agentStep({ trace: 't', step: 'a' }, () => s.write('a.ts', ['export {};', ...body('a')].join('\n') + '\n'));
    const b = await s.agentStep({ trace: 't', step: 'b' }, () => s.write('b.ts', ['export {};', ...body('b')].join('\n') + '\n'));
    // Before committing, a human drops a line of a, and adds one inside b.
    s.replace('a.ts', "export const a3 = compute('a', 21);\n", '');
    s.replace('b.ts', "export const b5 = compute('b', 35);\n", "export const b5 = compute('b', 35);\nconsole.log('checking');\n");
    const sha = await s.commit('agent work, touched up', HUMAN);
    const t = await trail(s);
    const pa = t.anchors.get(a.patches[0]!.patchId)!;
    const pb = t.anchors.get(b.patches[0]!.patchId)!;
    // a: nine lines landed; added line 3 did not.
    expect(pa).toMatchObject({ commit: sha, firmness: 'fuzzy', path: 'a.ts', lines: [2, 3, 4, 5, 6, 7, 8, 9, 10], addedIndex: [0, 1, 2, 4, 5, 6, 7, 8, 9] });
    // b: all ten landed around the human's line (line 8), which is not the patch's.
    expect(pb).toMatchObject({ commit: sha, firmness: 'fuzzy', path: 'b.ts', lines: [2, 3, 4, 5, 6, 7, 9, 10, 11, 12] });
    expect(pb.addedIndex).toBeUndefined(); // every added line landed, in order: entry k is line k
    // The anchored lines are the commit's lines git blame gives it, less the human's.
    expect(pa.lines).toEqual(blamedTo(s, sha, 'a.ts').filter((l) => l !== 1));
    expect(pb.lines).toEqual(blamedTo(s, sha, 'b.ts').filter((l) => l !== 1 && l !== 8));
    const st = await survivalByStep(s);
    expect(st.get('a')!.survival).toMatchObject({ state: 'partially_preserved', aliveLines: 9, deletedLines: 1, byCommit: sha });
    expect(st.get('b')!.survival).toMatchObject({ state: 'alive_on_path', aliveLines: 10, deletedLines: 0 });
    // Later edits still count line by line: deleting a landed line of a leaves 8.
    s.replace('a.ts', "export const a7 = compute('a', 49);\n", '');
    const later = await s.commit('drop another', HUMAN);
    expect((await survivalByStep(s)).get('a')!.survival).toMatchObject({ state: 'partially_preserved', aliveLines: 8, deletedLines: 2, byCommit: later });
  });

  it('never takes a commit that restores the before-content as the landing', async () => {
    const s = scenario({ hooks: 'none' });
    const before = 'export const requestTimeoutMilliseconds = 1000;';
    const after = 'export const requestTimeoutMilliseconds = 2000;';
    s.write('cfg.ts', `${before}\n`);
    s.commit('base');
    const p = await s.agentStep({ trace: 't', step: 'bump' }, () => s.replace('cfg.ts', before, after));
    const landed = await s.commit('bump (no hook ran)');
    s.replace('cfg.ts', after, before);
    const restore = await s.commit('restore');
    // The restore's added line is 0.9+ similar to the patch's, but it is the patch's before-content.
    let r = await anchorCommit(await s.repo(), restore);
    expect(r.anchors).toEqual([]);
    // The control: a commit adding a similar line that is not the before-content does anchor fuzzily.
    s.replace('cfg.ts', before, 'export const requestTimeoutMilliseconds = 3000;');
    const similar = await s.commit('similar');
    r = await anchorCommit(await s.repo(), similar);
    expect(r.anchors).toEqual([expect.objectContaining({ patchId: p.patches[0]!.patchId, firmness: 'fuzzy' })]);
    // And the real landing is exact.
    const t0 = await trail(s);
    expect(t0.anchors.get(p.patches[0]!.patchId)!.commit).toBe(similar);
    r = await anchorCommit(await s.repo(), landed);
    expect(r.anchors).toEqual([]); // already anchored: not pending
  });

  it('anchors a pure deletion where the commit removes the same lines', async () => {
    const s = scenario();
    s.write('d.txt', 'keep\ndrop me\nand me\nkeep too\n');
    await s.commit('base');
    const p = await s.agentStep({ trace: 't', step: 'del' }, () => s.write('d.txt', 'keep\nkeep too\n'));
    expect(p.patches[0]).toMatchObject({ added: [], removed: ['drop me', 'and me'] });
    const sha = await s.commit('deletion');
    expect((await trail(s)).anchors.get(p.patches[0]!.patchId)).toMatchObject({ commit: sha, firmness: 'exact', lines: [] });
  });
});

describe('post-rewrite through real git with installed hooks', () => {
  it('git commit --amend moves anchors to the amended commit', async () => {
    const s = scenario({ hooks: 'installed' });
    s.write('a.txt', 'base\n');
    await s.commit('base');
    const p = await s.agentStep({ trace: 't', step: '1' }, () => s.write('a.txt', 'base\nagent line\n'));
    const first = await s.commit('agent');
    expect((await trail(s)).anchors.get(p.patches[0]!.patchId)!.commit).toBe(first);
    s.write('b.txt', 'human addition\n');
    s.git('add', 'b.txt');
    s.git('commit', '-q', '--amend', '-m', 'agent, amended');
    const amended = s.head();
    expect(amended).not.toBe(first);
    const a = (await trail(s)).anchors.get(p.patches[0]!.patchId)!;
    expect(a).toMatchObject({ commit: amended, firmness: 'exact', path: 'a.txt', lines: [2] });
    expect(s.ot('trail', 'verify').code).toBe(0);
  });

  it('git rebase moves anchors to the rebased commits', async () => {
    const s = scenario({ hooks: 'installed' });
    s.write('main.txt', 'm\n');
    s.write('feat.txt', 'f\n');
    await s.commit('base');
    s.checkout('feature', true);
    const p1 = await s.agentStep({ trace: 't', step: '1' }, () => s.write('feat.txt', 'f\nfirst\n'));
    await s.commit('feature 1');
    const p2 = await s.agentStep({ trace: 't', step: '2' }, () => s.write('feat.txt', 'f\nfirst\nsecond\n'));
    await s.commit('feature 2');
    s.checkout('main');
    s.write('main.txt', 'm\nmain moved\n');
    await s.commit('main moves');
    s.checkout('feature');
    s.git('rebase', '-q', 'main');
    const [c2, c1] = [s.rev('HEAD'), s.rev('HEAD~1')];
    const t = await trail(s);
    expect(t.anchors.get(p1.patches[0]!.patchId)).toMatchObject({ commit: c1, firmness: 'exact', lines: [2] });
    expect(t.anchors.get(p2.patches[0]!.patchId)).toMatchObject({ commit: c2, firmness: 'exact', lines: [3] });
    const evs = t.events.filter((e) => e.event.type === 'anchor').map((e) => (e.event as { source: string }).source);
    expect(evs).toContain('post-rewrite');
  });
});
