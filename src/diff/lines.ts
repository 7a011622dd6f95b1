import { diffArrays } from 'diff';

/** A file's text as lines without terminators; `noEol` when the last line has no newline. */
export interface Lines {
  lines: string[];
  noEol: boolean;
}

export function splitLines(text: string): Lines {
  if (text === '') return { lines: [], noEol: false };
  const lines = text.split('\n');
  const noEol = lines[lines.length - 1] !== '';
  if (!noEol) lines.pop();
  return { lines, noEol };
}

/**
 * One change region, zero context. Starts are 0-based indexes into the old and new line arrays;
 * an empty side has count 0 and its start is where the lines would be.
 */
export interface LineHunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
}

/** Bounds on Myers O(ND): past them a region is reported as one replacement (still correct, less fine). */
const MAX_EDIT_LENGTH = 4000;
const TIMEOUT_MS = 2000;
/**
 * Lines (both sides, between the common prefix and suffix) past which a diff is split at anchors
 * first. Low: jsdiff's Myers costs a fresh object per step, and a rewrite of a few hundred lines
 * took tens of milliseconds whole; split, the same history (jsdiff's own, replayed) spent a third
 * of the time in its small diffs and agreed with git blame a little more (99.868% of lines, from
 * 99.859% at 2,000).
 */
const LARGE = 200;

/**
 * Line diff of `a` to `b`, as git would align it: common prefix and suffix trimmed first, Myers in
 * between (bounded; past `LARGE` lines, between anchors), then each pure insertion or deletion
 * slid down as far as equal lines allow, which is where git's xdiff places ambiguous groups. A missing final newline makes the last line
 * differ, as in git.
 */
export function diffLines(a: Lines, b: Lines): LineHunk[] {
  return diffRecords(records(a), records(b));
}

/** A file's lines as records to compare: a last line without its newline differs from the same text with one, as in git. */
function records(l: Lines): string[] {
  if (!l.noEol || l.lines.length === 0) return l.lines;
  const out = l.lines.slice();
  out[out.length - 1] = `${out[out.length - 1]}\0noeol`;
  return out;
}

/** `diffLines` of records given as numbers (equal lines, equal numbers). */
export function diffIds(a: number[], b: number[]): LineHunk[] {
  return diffRecords(a, b);
}

/**
 * The diff of `a` to `b`, records equal when `===`. Records are compared as they are (strings for a
 * file's lines); only the ones between the common prefix and suffix are numbered for Myers, densely
 * from 0 (numbering every line of a large file costs more than the diff of a small change).
 */
function diffRecords<T extends string | number>(a: readonly T[], b: readonly T[]): LineHunk[] {
  const { pre, suf } = equalEnds(a, b, 0, a.length, 0, b.length);
  if (pre + suf === a.length && pre + suf === b.length) return [];
  const ids = new Map<T, number>();
  const number = (from: readonly T[], end: number): number[] => {
    const out: number[] = new Array(end - pre);
    for (let i = pre; i < end; i++) {
      let id = ids.get(from[i]!);
      if (id === undefined) ids.set(from[i]!, (id = ids.size));
      out[i - pre] = id;
    }
    return out;
  };
  const am = number(a, a.length - suf);
  const bm = number(b, b.length - suf);
  const hunks = am.length + bm.length > LARGE ? anchoredHunks(am, bm, pre, ids.size) : myersHunks(am, bm, pre, pre);
  return slideDown(hunks, a, b);
}

/** How many records `a[a0..a1)` and `b[b0..b1)` have equal at their start, then at their end (not counting the start's again). */
function equalEnds<T>(a: readonly T[], b: readonly T[], a0: number, a1: number, b0: number, b1: number): { pre: number; suf: number } {
  const most = Math.min(a1 - a0, b1 - b0);
  let pre = 0;
  while (pre < most && a[a0 + pre] === b[b0 + pre]) pre++;
  let suf = 0;
  while (suf < most - pre && a[a1 - 1 - suf] === b[b1 - 1 - suf]) suf++;
  return { pre, suf };
}

/**
 * Myers (bounded) between `x` and `y`, as hunks at offsets `offA` and `offB`. Past the edit bound,
 * counted on every line, the whole is one replacement. Within it, a line the other side lacks is a
 * change whatever the alignment, so Myers runs on the lines both sides have, as xdiff's does: its
 * time grows with the edit distance, which for a piece rewritten in large part is then that of the
 * lines it kept. Parity with git blame is the same with it, line for line. (The bound counted on
 * the shared lines only would keep the repeated lines of a large rewrite, a lock file's, where git
 * blame does not: 88.7% parity on jsdiff's history.)
 */
function myersHunks(x: number[], y: number[], offA: number, offB: number): LineHunk[] {
  if (x.length === 0 && y.length === 0) return [];
  const whole = [{ oldStart: offA, oldCount: x.length, newStart: offB, newCount: y.length }];
  if (x.length === 0 || y.length === 0) return whole;
  // jsdiff gives up past MAX_EDIT_LENGTH, but only after the whole search (seconds for a rewritten
  // lock file); the distance alone, on integers, says so in milliseconds, with the same answer.
  if (x.length + y.length > MAX_EDIT_LENGTH && !editDistanceWithin(x, y, MAX_EDIT_LENGTH)) return whole;
  const keptX = linesIn(x, new Set(y));
  const keptY = linesIn(y, new Set(x));
  if (keptX.length === 0) return whole;
  const xs = keptX.length === x.length ? x : Array.from(keptX, (i) => x[i]!);
  const ys = keptY.length === y.length ? y : Array.from(keptY, (j) => y[j]!);
  const changes = diffArrays(xs, ys, { maxEditLength: MAX_EDIT_LENGTH, timeout: TIMEOUT_MS });
  if (!changes) return whole;
  // Each line the two keep in common closes the hunk of the lines since the one before.
  const hunks: LineHunk[] = [];
  let nextA = 0;
  let nextB = 0;
  const upTo = (a: number, b: number) => {
    if (a > nextA || b > nextB) hunks.push({ oldStart: offA + nextA, oldCount: a - nextA, newStart: offB + nextB, newCount: b - nextB });
  };
  let i = 0;
  let j = 0;
  for (const c of changes) {
    const n = c.count ?? c.value.length;
    if (c.added) j += n;
    else if (c.removed) i += n;
    else {
      for (const end = i + n; i < end; i++, j++) {
        upTo(keptX[i]!, keptY[j]!);
        nextA = keptX[i]! + 1;
        nextB = keptY[j]! + 1;
      }
    }
  }
  upTo(x.length, y.length);
  return hunks;
}

/** The indexes of the lines of `lines` that `other` holds. */
function linesIn(lines: number[], other: Set<number>): Int32Array {
  let n = 0;
  for (const l of lines) if (other.has(l)) n++;
  const out = new Int32Array(n);
  for (let i = 0, k = 0; i < lines.length; i++) if (other.has(lines[i]!)) out[k++] = i;
  return out;
}

/**
 * Whether `x` becomes `y` with at most `max` lines removed or added: Myers's forward search for the
 * edit distance (the furthest point reached on each diagonal, no path kept), bounded to the grid.
 */
export function editDistanceWithin(x: readonly number[], y: readonly number[], max: number): boolean {
  const n = x.length;
  const m = y.length;
  if (Math.abs(n - m) > max) return false;
  // Every line kept is one both sides have: at least n + m - 2 * (lines in common) are removed or
  // added. Two versions sharing few lines (a file rewritten, its line endings changed) are told
  // apart in O(n + m) instead of the O(max²) search.
  if (n + m - 2 * sharedLines(x, y, one) > max) return false;
  // Diagonal k = i - j; furthest[k + off] is the furthest i reached on it, -1 when not reached.
  const off = max + 1;
  const furthest = new Int32Array(2 * max + 3).fill(-1);
  furthest[off + 1] = 0;
  for (let d = 0; d <= max; d++) {
    for (let k = -d; k <= d; k += 2) {
      if (k < -m || k > n) continue;
      // Lines of x and y skipped so far must stay within the grid: a line added from diagonal
      // k + 1 (i kept), or removed from diagonal k - 1 (i + 1); the one reaching further wins.
      const fromAdd = furthest[off + k + 1]!;
      const added = fromAdd >= 0 && fromAdd - k <= m ? fromAdd : -1;
      const fromRemove = furthest[off + k - 1]!;
      const removed = fromRemove >= 0 && fromRemove + 1 <= n ? fromRemove + 1 : -1;
      let i = Math.max(added, removed);
      if (i < 0) {
        furthest[off + k] = -1;
        continue;
      }
      let j = i - k;
      while (i < n && j < m && x[i] === y[j]) {
        i++;
        j++;
      }
      furthest[off + k] = i;
      if (i >= n && j >= m) return true;
    }
  }
  return false;
}

/** What two texts' lines have in common, counted with repeats (their multiset intersection), each line weighed by `weight`. */
function sharedLines<T>(a: readonly T[], b: readonly T[], weight: (line: T) => number): number {
  const left = new Map<T, number>();
  for (const l of a) left.set(l, (left.get(l) ?? 0) + 1);
  let shared = 0;
  for (const l of b) {
    const k = left.get(l);
    if (k) {
      left.set(l, k - 1);
      shared += weight(l);
    }
  }
  return shared;
}
const one = () => 1;

/**
 * A large diff (a lock file, a generated file, a rewrite): split first at the lines found exactly
 * once on each side, the longest run of them in the same order on both (patience diff's anchors),
 * then Myers between anchors. Myers on the whole is O(ND), seconds for a rewritten lock file;
 * between anchors the pieces are small.
 */
function anchoredHunks(am: number[], bm: number[], pre: number, distinct: number): LineHunk[] {
  // Ids are dense (0 to distinct - 1): counts and positions by id in flat arrays.
  const countA = new Int32Array(distinct);
  const countB = new Int32Array(distinct);
  const atB = new Int32Array(distinct);
  for (const x of am) countA[x]!++;
  for (let j = 0; j < bm.length; j++) {
    countB[bm[j]!]!++;
    atB[bm[j]!] = j;
  }
  // Lines once on each side, in the old order (pairA), with their new position (pairB).
  let pairs = 0;
  for (const x of am) if (countA[x] === 1 && countB[x] === 1) pairs++;
  const pairA = new Int32Array(pairs);
  const pairB = new Int32Array(pairs);
  for (let i = 0, k = 0; i < am.length; i++) {
    const x = am[i]!;
    if (countA[x] === 1 && countB[x] === 1) {
      pairA[k] = i;
      pairB[k++] = atB[x]!;
    }
  }
  // The longest run increasing in the new position too (patience sorting).
  const tails = new Int32Array(pairs);
  const prev = new Int32Array(pairs).fill(-1);
  let longest = 0;
  for (let k = 0; k < pairs; k++) {
    const j = pairB[k]!;
    let lo = 0;
    let hi = longest;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairB[tails[mid]!]! < j) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[k] = tails[lo - 1]!;
    tails[lo] = k;
    if (lo === longest) longest++;
  }
  // The run's pairs, last first, then the ends of both sides (after the last anchor).
  const anchorA = new Int32Array(longest + 1);
  const anchorB = new Int32Array(longest + 1);
  anchorA[longest] = am.length;
  anchorB[longest] = bm.length;
  for (let k = longest ? tails[longest - 1]! : -1, n = longest - 1; k >= 0; k = prev[k]!, n--) {
    anchorA[n] = pairA[k]!;
    anchorB[n] = pairB[k]!;
  }
  const hunks: LineHunk[] = [];
  let i = 0;
  let j = 0;
  for (let n = 0; n <= longest; n++) {
    const ai = anchorA[n]!;
    const bj = anchorB[n]!;
    // Most pieces between anchors are empty or one changed line: their equal ends are trimmed
    // here (as for the whole file), and jsdiff, at microseconds a call, is left what remains on
    // both sides (a lock file's update made 70,000 calls a pass).
    const ends = equalEnds(am, bm, i, ai, j, bj);
    const a0 = i + ends.pre;
    const b0 = j + ends.pre;
    const a1 = ai - ends.suf;
    const b1 = bj - ends.suf;
    if (a1 - a0 <= 1 && b1 - b0 <= 1) {
      if (a1 > a0 || b1 > b0) hunks.push({ oldStart: pre + a0, oldCount: a1 - a0, newStart: pre + b0, newCount: b1 - b0 });
    } else hunks.push(...myersHunks(am.slice(a0, a1), bm.slice(b0, b1), pre + a0, pre + b0));
    i = ai + 1;
    j = bj + 1;
  }
  return hunks;
}

/**
 * git's change compaction (xdiff's xdl_change_compact, without the indent heuristic, which
 * `git blame` does not use): each group of changed lines of one file is slid up as far as equal
 * lines allow (merging with the groups it meets), then down as far as possible, then back up to
 * line up with a change of the other file when one was passed. Done for the old file, then the
 * new one, then the hunks are rebuilt from the two change maps.
 */
function slideDown<T>(hunks: LineHunk[], a: readonly T[], b: readonly T[]): LineHunk[] {
  // Change flags with a sentinel 0 on each side: index i of the file is ch[i + 1].
  const ca = new Uint8Array(a.length + 2);
  const cb = new Uint8Array(b.length + 2);
  for (const h of hunks) {
    for (let i = 0; i < h.oldCount; i++) ca[h.oldStart + i + 1] = 1;
    for (let j = 0; j < h.newCount; j++) cb[h.newStart + j + 1] = 1;
  }
  compact(a, ca, cb);
  compact(b, cb, ca);
  const out: LineHunk[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (ca[i + 1] || cb[j + 1]) {
      const h: LineHunk = { oldStart: i, oldCount: 0, newStart: j, newCount: 0 };
      while (i < a.length && ca[i + 1]) i++;
      while (j < b.length && cb[j + 1]) j++;
      h.oldCount = i - h.oldStart;
      h.newCount = j - h.newStart;
      out.push(h);
    } else {
      i++;
      j++;
    }
  }
  return out;
}

/** xdl_change_compact on one file's records `r` and flags `ch` (1-based with sentinels), `o` the other file's flags. */
function compact<T>(r: readonly T[], ch: Uint8Array, o: Uint8Array): void {
  const n = r.length;
  const no = o.length - 2;
  // Groups: [start, end) in 0-based record indexes; flags at index + 1.
  const g = { start: 0, end: 0 };
  const go = { start: 0, end: 0 };
  const init = (x: { start: number; end: number }, c: Uint8Array) => {
    x.start = x.end = 0;
    while (c[x.end + 1]) x.end++;
  };
  const next = (x: { start: number; end: number }, c: Uint8Array, len: number): boolean => {
    if (x.end === len) return false;
    x.start = x.end + 1;
    x.end = x.start;
    while (c[x.end + 1]) x.end++;
    return true;
  };
  const previous = (x: { start: number; end: number }, c: Uint8Array): boolean => {
    if (x.start === 0) return false;
    x.end = x.start - 1;
    for (x.start = x.end; c[x.start]; x.start--);
    return true;
  };
  const slideDown = (): boolean => {
    if (g.end < n && r[g.start] === r[g.end]) {
      ch[g.start + 1] = 0;
      g.start++;
      ch[g.end + 1] = 1;
      g.end++;
      while (ch[g.end + 1]) g.end++;
      return true;
    }
    return false;
  };
  const slideUp = (): boolean => {
    if (g.start > 0 && r[g.start - 1] === r[g.end - 1]) {
      g.start--;
      ch[g.start + 1] = 1;
      g.end--;
      ch[g.end + 1] = 0;
      while (ch[g.start]) g.start--;
      return true;
    }
    return false;
  };
  init(g, ch);
  init(go, o);
  for (;;) {
    if (g.end !== g.start) {
      let groupsize: number;
      let earliestEnd: number;
      let endMatchingOther: number;
      do {
        groupsize = g.end - g.start;
        endMatchingOther = -1;
        while (slideUp()) previous(go, o);
        earliestEnd = g.end;
        if (go.end > go.start) endMatchingOther = g.end;
        for (;;) {
          if (!slideDown()) break;
          next(go, o, no);
          if (go.end > go.start) endMatchingOther = g.end;
        }
      } while (groupsize !== g.end - g.start);
      if (g.end !== earliestEnd && endMatchingOther !== -1) {
        while (go.end === go.start) {
          slideUp();
          previous(go, o);
        }
      }
    }
    if (!next(g, ch, n)) break;
    next(go, o, no);
  }
}

/** White space folded: every run of it one space, none at the ends (how lines are compared loosely). */
export const foldSpace = (s: string): string => {
  // Trimmed first: most lines of code are then folded already (their white space inside is single
  // spaces, and the replace would only copy them).
  const t = s.trim();
  return UNFOLDED.test(t) ? t.replace(/\s+/g, ' ') : t;
};
/** White space other than a space, or two spaces together: what `foldSpace` changes inside a trimmed text. */
const UNFOLDED = /[^\S ]| {2}/;

/** A bigram (two UTF-16 code units) of `t` at `i`, as one integer. */
const bigramAt = (t: string, i: number): number => t.charCodeAt(i) * 0x10000 + t.charCodeAt(i + 1);

/**
 * Bigram arrays are carved out of shared chunks: an array of its own costs a buffer allocation
 * each, several times the work of the bigrams of a short line, and a pass profiles lines by the
 * hundred thousand. A piece, once carved, is written only by its own profile (sorted in place); a
 * chunk lives while a profile does.
 */
const CHUNK = 1 << 16;
let chunk = new Uint32Array(CHUNK);
let carved = 0;
function bigramSpace(n: number): Uint32Array {
  if (n > CHUNK >> 6) return new Uint32Array(n);
  if (carved + n > CHUNK) {
    chunk = new Uint32Array(CHUNK);
    carved = 0;
  }
  carved += n;
  return chunk.subarray(carved - n, carved);
}

/** The bigrams of a text with white space folded, in text order. */
function bigrams(s: string): Uint32Array {
  const t = foldSpace(s);
  const out = bigramSpace(Math.max(0, t.length - 1));
  for (let i = 0; i < out.length; i++) out[i] = bigramAt(t, i);
  return out;
}

/** Whether every bigram is of two ASCII code units (then `asciiKey` numbers it below 2^14). */
function allAscii(bigrams: Uint32Array): boolean {
  let any = 0;
  for (let i = 0; i < bigrams.length; i++) any |= bigrams[i]!;
  return (any & 0xff80ff80) === 0;
}

/** An ASCII bigram (`bigramAt`) as a number below 2^14: seven bits of each code unit. */
const asciiKey = (g: number): number => ((g >>> 9) & 0x3f80) | (g & 0x7f);

/** Counts of ASCII bigrams by `asciiKey`, all zero between comparisons. */
const asciiCounts = new Int32Array(1 << 14);

/**
 * Similarity of two lines in [0, 1]: the Dice coefficient of their character bigrams, white space
 * folded. 1 for equal lines; used to tell an edited line from a replaced one.
 */
export function lineSimilarity(x: string, y: string): number {
  return x === y ? 1 : profileSimilarity(bigramProfile(x), bigramProfile(y));
}

/**
 * The bigrams of one text, found once, to compare many texts with it. Two profiles of ASCII text
 * (most lines of code) are intersected by counting, in a table every ASCII bigram has a slot of;
 * others are sorted (a multiset intersected by one merge) the first time such a comparison needs
 * them. Sorting was most of a comparison's cost: tens of thousands of short sorts in a pass.
 */
export interface BigramProfile {
  text: string;
  /** Sorted once `sorted` is set. */
  bigrams: Uint32Array;
  sorted: boolean;
  /** Every bigram is of two ASCII code units: compared with another such profile by counting. */
  ascii: boolean;
}

export function bigramProfile(text: string): BigramProfile {
  const b = bigrams(text);
  return { text, bigrams: b, sorted: false, ascii: allAscii(b) };
}

function sortedBigrams(x: BigramProfile): Uint32Array {
  if (!x.sorted) {
    x.bigrams.sort();
    x.sorted = true;
  }
  return x.bigrams;
}

/** The most `profileSimilarity` of two profiles can be, from their sizes alone (every bigram of the shorter one shared). */
export function similarityBound(x: BigramProfile, y: BigramProfile): number {
  const n = x.bigrams.length + y.bigrams.length;
  return n === 0 ? 1 : (2 * Math.min(x.bigrams.length, y.bigrams.length)) / n;
}

/** `lineSimilarity` of two profiled texts. */
export function profileSimilarity(x: BigramProfile, y: BigramProfile): number {
  if (x.text === y.text) return 1;
  if (x.bigrams.length + y.bigrams.length === 0) return x.text.trim() === y.text.trim() ? 1 : 0;
  if (x.ascii && y.ascii) return asciiSimilarity(x.bigrams, y.bigrams);
  const a = sortedBigrams(x);
  const b = sortedBigrams(y);
  let common = 0;
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i] === b[j]) {
      common++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return (2 * common) / (a.length + b.length);
}

/** The Dice coefficient of two non-empty multisets of ASCII bigrams (in any order), counted. */
function asciiSimilarity(a: Uint32Array, b: Uint32Array): number {
  const counts = asciiCounts;
  for (let i = 0; i < a.length; i++) counts[asciiKey(a[i]!)]++;
  let common = 0;
  for (let j = 0; j < b.length; j++) {
    const k = asciiKey(b[j]!);
    if (counts[k]! > 0) {
      counts[k]--;
      common++;
    }
  }
  for (let i = 0; i < a.length; i++) counts[asciiKey(a[i]!)] = 0;
  return (2 * common) / (a.length + b.length);
}

/** `lineSimilarity(x, y)` for many `x` against one `y`: the bigrams of `y` are found once. */
export function similarityTo(target: string | BigramProfile): (x: string) => number {
  const y = typeof target === 'string' ? bigramProfile(target) : target;
  return (x: string) => (x === y.text ? 1 : profileSimilarity(bigramProfile(x), y));
}

/**
 * `lineSimilarity(window, y.text)` for every window of `len` consecutive lines of `lines` (the window's
 * text is its lines joined by line feeds), in one pass: the window's bigrams are counted as it
 * slides, a line in and a line out, instead of counted again for each window. With white space
 * folded, a window's text is its non-empty lines (each folded) joined by one space, so its bigrams
 * are those of its lines plus two at each join. `out[i]` is the window starting at line i.
 */
export function windowSimilarities(lines: string[], len: number, y: BigramProfile): Float64Array {
  const m = lines.length;
  const out = new Float64Array(Math.max(0, m - len + 1));
  if (len < 1 || m < len) return out;
  const target = new Map<number, number>();
  for (const g of y.bigrams) target.set(g, (target.get(g) ?? 0) + 1);
  const nb = y.bigrams.length;
  const folded = lines.map(foldSpace);
  const own = folded.map((t) => {
    const g: number[] = new Array(Math.max(0, t.length - 1));
    for (let i = 0; i < g.length; i++) g[i] = bigramAt(t, i);
    return g;
  });
  // The nearest non-empty line at or after / at or before each line.
  const next = new Int32Array(m + 1).fill(m);
  for (let j = m - 1; j >= 0; j--) next[j] = folded[j] ? j : next[j + 1]!;
  const prev = new Int32Array(m).fill(-1);
  for (let j = 0; j < m; j++) prev[j] = folded[j] ? j : j > 0 ? prev[j - 1]! : -1;
  const counts = new Map<number, number>();
  let na = 0;
  let common = 0;
  const add = (g: number) => {
    const c = counts.get(g) ?? 0;
    if (c < (target.get(g) ?? 0)) common++;
    counts.set(g, c + 1);
    na++;
  };
  const remove = (g: number) => {
    const c = counts.get(g)! - 1;
    counts.set(g, c);
    if (c < (target.get(g) ?? 0)) common--;
    na--;
  };
  // The bigrams a joining space makes: the last character of one line with it, it with the first of the next.
  const SPACE = 0x20;
  const join = (a: number, b: number, f: (g: number) => void) => {
    f(folded[a]!.charCodeAt(folded[a]!.length - 1) * 0x10000 + SPACE);
    f(SPACE * 0x10000 + folded[b]!.charCodeAt(0));
  };
  const yText = foldSpace(y.text);
  const score = (i: number) => {
    if (na + nb > 0) return (2 * common) / (na + nb);
    const text = folded.slice(i, i + len).filter(Boolean).join(' ');
    return text === yText ? 1 : 0;
  };
  let last = -1;
  for (let j = 0; j < len; j++) {
    if (!folded[j]) continue;
    if (last >= 0) join(last, j, add);
    for (const g of own[j]!) add(g);
    last = j;
  }
  out[0] = score(0);
  for (let i = 1; i + len <= m; i++) {
    const gone = i - 1;
    if (folded[gone]) {
      for (const g of own[gone]!) remove(g);
      const after = next[i]!;
      if (after < i - 1 + len) join(gone, after, remove);
    }
    const come = i + len - 1;
    if (folded[come]) {
      const before = come > 0 ? prev[come - 1]! : -1;
      if (before >= i) join(before, come, add);
      for (const g of own[come]!) add(g);
    }
    out[i] = score(i);
  }
  return out;
}

/**
 * Similarity of two texts in [0, 1] the way git scores renames: the bytes of lines the two share
 * (as a multiset) over the larger size.
 */
export function textSimilarity(a: string[], b: string[]): number {
  const size = (ls: string[]) => ls.reduce((n, l) => n + l.length + 1, 0);
  const sa = size(a);
  const sb = size(b);
  if (sa === 0 && sb === 0) return 1;
  return sharedLines(a, b, (l) => l.length + 1) / Math.max(sa, sb);
}
