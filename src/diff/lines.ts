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

/**
 * git's line diff, as `git blame` runs it (xdiff: Myers, git's default, with its heuristics and
 * its indent heuristic; no whitespace options), so that the lines a commit is said to have added are
 * the ones git blame gives it. A minimal diff is not enough: where several alignments are equally
 * short, or where git's heuristics give up minimality for speed, git picks one, and blame follows
 * it. The steps and their limits are xdiff's:
 * 1. The common tail of the two texts is cut off in whole blocks of 1,024 bytes, back to a line
 *    end (git does this for any diff without context lines: blame's, `git diff -U0`'s).
 * 2. The common first and last lines are set aside.
 * 3. Of the lines between, each is counted on the other side (whole files, less the cut tail). A
 *    line the other side lacks is changed. A line found there `bogosqrt(lines)` times or more
 *    (at most 1,024) is changed too when it sits among changed lines (`discardable`).
 * 4. Myers's divide and conquer on the lines left (`Splitter`): past a cost it splits at a good
 *    enough point instead of the middle of a shortest path.
 * 5. Each group of changed lines is slid as git slides it (`compact`), where it could go several
 *    places by git's indent heuristic (`git blame` uses it, as `git diff` does by default).
 */
const TAIL_BLOCK = 1024;
/** xdiff's XDL_MAX_EQLIMIT, XDL_SIMSCAN_WINDOW and XDL_KPDIS_RUN: the limits of step 3. */
const MAX_EQ_LIMIT = 1024;
const SIMSCAN_WINDOW = 100;
const KPDIS_RUN = 4;
/** xdiff's XDL_MAX_COST_MIN, XDL_HEUR_MIN_COST, XDL_SNAKE_CNT and XDL_K_HEUR: the limits of step 4. */
const MAX_COST_MIN = 256;
const HEUR_MIN_COST = 256;
const SNAKE_CNT = 20;
const K_HEUR = 4;
const LINE_MAX = 0x7fffffff;

/** Line diff of `a` to `b`, as git blame aligns it (above). A missing final newline makes the last line differ, as in git. */
export function diffLines(a: Lines, b: Lines): LineHunk[] {
  return diffRecords(records(a), records(b), tailLines(a, b));
}

/** Marks a last line without its newline (no line of text holds a NUL: such a file is binary). */
const NO_EOL = '\0noeol';

/** A file's lines as records to compare: a last line without its newline differs from the same text with one, as in git. */
function records(l: Lines): string[] {
  if (!l.noEol || l.lines.length === 0) return l.lines;
  const out = l.lines.slice();
  out[out.length - 1] = `${out[out.length - 1]}${NO_EOL}`;
  return out;
}

/** `diffLines` of records given as numbers (equal lines, equal numbers; no text, so no tail cut in bytes). */
export function diffIds(a: number[], b: number[]): LineHunk[] {
  return diffRecords(a, b, 0);
}

/**
 * How many last lines git cuts off both texts before it diffs them (step 1): their common tail in
 * bytes, rounded down to whole blocks; of that, the lines after the first line end in it.
 */
function tailLines(a: Lines, b: Lines): number {
  const la = a.lines;
  const lb = b.lines;
  // A last line with its newline against one without: the texts' last bytes differ.
  if (a.noEol !== b.noEol) return 0;
  // Whole lines alike from the end, each with its newline (but a last line without one): the
  // bytes from each one's start to the end.
  const upTo = tailBytes;
  let k = 0;
  let common = 0;
  while (k < la.length && k < lb.length && la[la.length - 1 - k] === lb[lb.length - 1 - k]) {
    common += Buffer.byteLength(la[la.length - 1 - k]!, 'utf8') + (k === 0 && a.noEol ? 0 : 1);
    upTo[k++] = common;
  }
  // Then the common end of the first lines that differ: their newlines (unless they are the last
  // lines, without one), and the bytes alike at their ends.
  if (k < la.length && k < lb.length) {
    if (k > 0 || !a.noEol) common++;
    const x = Buffer.from(la[la.length - 1 - k]!, 'utf8');
    const y = Buffer.from(lb[lb.length - 1 - k]!, 'utf8');
    let n = 0;
    while (n < x.length && n < y.length && x[x.length - 1 - n] === y[y.length - 1 - n]) n++;
    common += n;
  }
  const cut = common - (common % TAIL_BLOCK);
  // The lines that start after the cut's first byte (the line holding it is kept whole).
  let t = 0;
  while (t < k && upTo[t]! < cut) t++;
  return t;
}
/** `tailLines`'s scratch: the bytes from each common last line's start to the end. */
const tailBytes: number[] = [];

/** xdiff's integer square root approximation (`xdl_bogosqrt`): a power of two near the root. */
function bogosqrt(n: number): number {
  let i = 1;
  for (; n > 0; n = Math.floor(n / 4)) i *= 2;
  return i;
}

/**
 * The diff of `a` to `b` as git aligns it, records equal when `===`, with the last `tail` records
 * of both (equal) cut off first. Only the records between the common first and last ones are
 * numbered (numbering every line of a large file costs more than the diff of a small change).
 */
function diffRecords<T extends string | number>(a: readonly T[], b: readonly T[], tail: number): LineHunk[] {
  const na = a.length - tail;
  const nb = b.length - tail;
  const { pre, suf } = equalEnds(a, b, 0, na, 0, nb);
  if (pre + suf === na && pre + suf === nb) return [];
  const endA = na - suf;
  const endB = nb - suf;
  // Number the records between; count each number on each side.
  const ids = new Map<T, number>();
  const number = (from: readonly T[], end: number): Int32Array => {
    const out = new Int32Array(end - pre);
    for (let i = pre; i < end; i++) {
      let id = ids.get(from[i]!);
      if (id === undefined) ids.set(from[i]!, (id = ids.size));
      out[i - pre] = id;
    }
    return out;
  };
  const am = number(a, endA);
  const bm = number(b, endB);
  const countA = new Int32Array(ids.size);
  const countB = new Int32Array(ids.size);
  for (let i = 0; i < am.length; i++) countA[am[i]!]!++;
  for (let j = 0; j < bm.length; j++) countB[bm[j]!]!++;
  // The set-aside first and last records are on both sides: each counts on both.
  const both = new Int32Array(ids.size);
  countAside(a, [0, pre, endA, na], ids, both);
  // Step 3: what each record is (0 none on the other side, 1 some, 2 many), then which are kept.
  const ca = new Uint8Array(na + 2);
  const cb = new Uint8Array(nb + 2);
  const keptA = keptRecords(am, countB, both, bogosqrt(na), ca, pre);
  const keptB = keptRecords(bm, countA, both, bogosqrt(nb), cb, pre);
  // Step 4 on the kept records; then step 5.
  new Splitter(keptA.ids, keptB.ids).run((i) => (ca[keptA.at[i]! + 1] = 1), (j) => (cb[keptB.at[j]! + 1] = 1));
  compact(a, na, ca, cb, nb);
  compact(b, nb, cb, ca, na);
  return hunksOf(ca, na, cb, nb);
}

/** Adds to `count` each numbered record of `records` in the ranges given (from, to, from, to...; for text, most records the numbering lacks are told by their length). */
function countAside<T extends string | number>(records: readonly T[], ranges: number[], ids: Map<T, number>, count: Int32Array): void {
  if (ids.size === 0) return;
  // Most set-aside lines of a large file match none of the few numbered: tell most of them by
  // length first, not by a lookup (which hashes the whole line).
  let lengths: Uint8Array | null = null;
  if (typeof ids.keys().next().value === 'string') {
    lengths = new Uint8Array(4096);
    for (const k of ids.keys()) lengths[Math.min((k as string).length, 4095)] = 1;
  }
  for (let r = 0; r < ranges.length; r += 2) {
    for (let i = ranges[r]!; i < ranges[r + 1]!; i++) {
      const x = records[i]!;
      if (lengths && !lengths[Math.min((x as string).length, 4095)]) continue;
      const id = ids.get(x);
      if (id !== undefined) count[id]!++;
    }
  }
}

/**
 * Step 3 for one side: the records of `m` (numbers, the side's records from `offset`) kept for
 * Myers, with their places; the others flagged changed in `ch` (1-based). `other` counts each
 * number on the other side between, `both` in the records set aside; from `sqrt` (xdiff's root of
 * the side's record count, at most 1,024) on, a count is "many".
 */
function keptRecords(m: Int32Array, other: Int32Array, both: Int32Array, sqrt: number, ch: Uint8Array, offset: number): { ids: Int32Array; at: Int32Array } {
  const limit = Math.min(sqrt, MAX_EQ_LIMIT);
  const kind = new Uint8Array(m.length);
  for (let i = 0; i < m.length; i++) {
    const n = other[m[i]!]! + both[m[i]!]!;
    kind[i] = n === 0 ? 0 : n >= limit ? 2 : 1;
  }
  const ids = new Int32Array(m.length);
  const at = new Int32Array(m.length);
  let k = 0;
  for (let i = 0; i < m.length; i++) {
    if (kind[i] === 1 || (kind[i] === 2 && !discardable(kind, i))) {
      ids[k] = m[i]!;
      at[k++] = offset + i;
    } else ch[offset + i + 1] = 1;
  }
  return { ids: ids.subarray(0, k), at: at.subarray(0, k) };
}

/**
 * Whether a record found many times on the other side (`kind` 2) is set aside as changed: when the
 * records around it, up to the first found a few times (within 100 each way), are records the
 * other side lacks on both sides of it, and the ones found many times are under a quarter of the
 * run (xdiff's `xdl_clean_mmatch`).
 */
function discardable(kind: Uint8Array, i: number): boolean {
  const s = Math.max(0, i - SIMSCAN_WINDOW);
  const e = Math.min(kind.length - 1, i + SIMSCAN_WINDOW);
  // Each way: the records the other side lacks, and the ones it has many of (counting this one).
  let noneBefore = 0;
  let manyBefore = 1;
  for (let r = i - 1; r >= s; r--) {
    if (kind[r] === 0) noneBefore++;
    else if (kind[r] === 2) manyBefore++;
    else break;
  }
  if (noneBefore === 0) return false;
  let noneAfter = 0;
  let manyAfter = 1;
  for (let r = i + 1; r <= e; r++) {
    if (kind[r] === 0) noneAfter++;
    else if (kind[r] === 2) manyAfter++;
    else break;
  }
  if (noneAfter === 0) return false;
  const many = manyBefore + manyAfter;
  return many * KPDIS_RUN < many + noneBefore + noneAfter;
}

/**
 * Myers's divide and conquer (O(ND) time, linear space) as xdiff runs it: each box of records is
 * shrunk by its equal ends, then split where a forward and a backward furthest-reaching path meet;
 * past `HEUR_MIN_COST` edits a split at a long enough snake far along is taken, and past `maxCost`
 * the furthest any path got. Changed records are reported through `changedA`/`changedB`.
 */
class Splitter {
  /** Furthest-reaching x of the forward and backward paths, by diagonal (x - y) + `off`. */
  private readonly fwd: Int32Array;
  private readonly bwd: Int32Array;
  private readonly off: number;
  private readonly maxCost: number;
  /** The last split: where, and whether each half must be minimal. */
  private x = 0;
  private y = 0;
  private minLow = false;
  private minHigh = false;

  constructor(
    private readonly a: Int32Array,
    private readonly b: Int32Array,
  ) {
    this.off = b.length + 2;
    this.fwd = new Int32Array(a.length + b.length + 5);
    this.bwd = new Int32Array(a.length + b.length + 5);
    this.maxCost = Math.max(MAX_COST_MIN, bogosqrt(a.length + b.length + 3));
  }

  run(changedA: (i: number) => void, changedB: (j: number) => void): void {
    // Boxes to compare: [lowA, highA, lowB, highB, minimal]; each split pushes its two halves.
    const boxes: number[] = [0, this.a.length, 0, this.b.length, 0];
    while (boxes.length) {
      const minimal = boxes.pop() === 1;
      let highB = boxes.pop()!;
      let lowB = boxes.pop()!;
      let highA = boxes.pop()!;
      let lowA = boxes.pop()!;
      const { a, b } = this;
      while (lowA < highA && lowB < highB && a[lowA] === b[lowB]) {
        lowA++;
        lowB++;
      }
      while (lowA < highA && lowB < highB && a[highA - 1] === b[highB - 1]) {
        highA--;
        highB--;
      }
      if (lowA === highA) for (let j = lowB; j < highB; j++) changedB(j);
      else if (lowB === highB) for (let i = lowA; i < highA; i++) changedA(i);
      else {
        this.split(lowA, highA, lowB, highB, minimal);
        const { x, y } = this;
        // The high half is pushed first: the low one is done first, as xdiff recurses.
        boxes.push(x, highA, y, highB, this.minHigh ? 1 : 0, lowA, x, lowB, y, this.minLow ? 1 : 0);
      }
    }
  }

  private split(off1: number, lim1: number, off2: number, lim2: number, minimal: boolean): void {
    const { a, b, fwd, bwd, off } = this;
    const dmin = off1 - lim2;
    const dmax = lim1 - off2;
    const fmid = off1 - off2;
    const bmid = lim1 - lim2;
    const odd = (fmid - bmid) & 1;
    let fmin = fmid;
    let fmax = fmid;
    let bmin = bmid;
    let bmax = bmid;
    fwd[fmid + off] = off1;
    bwd[bmid + off] = lim1;
    for (let cost = 1; ; cost++) {
      let gotSnake = false;
      // One more diagonal each way, or one less where the box ends (the range keeps its parity).
      if (fmin > dmin) fwd[--fmin - 1 + off] = -1;
      else ++fmin;
      if (fmax < dmax) fwd[++fmax + 1 + off] = -1;
      else --fmax;
      for (let d = fmax; d >= fmin; d -= 2) {
        let i1 = fwd[d - 1 + off]! >= fwd[d + 1 + off]! ? fwd[d - 1 + off]! + 1 : fwd[d + 1 + off]!;
        const start = i1;
        let i2 = i1 - d;
        while (i1 < lim1 && i2 < lim2 && a[i1] === b[i2]) {
          i1++;
          i2++;
        }
        if (i1 - start > SNAKE_CNT) gotSnake = true;
        fwd[d + off] = i1;
        if (odd && bmin <= d && d <= bmax && bwd[d + off]! <= i1) return this.at(i1, i2, true, true);
      }
      if (bmin > dmin) bwd[--bmin - 1 + off] = LINE_MAX;
      else ++bmin;
      if (bmax < dmax) bwd[++bmax + 1 + off] = LINE_MAX;
      else --bmax;
      for (let d = bmax; d >= bmin; d -= 2) {
        let i1 = bwd[d - 1 + off]! < bwd[d + 1 + off]! ? bwd[d - 1 + off]! : bwd[d + 1 + off]! - 1;
        const start = i1;
        let i2 = i1 - d;
        while (i1 > off1 && i2 > off2 && a[i1 - 1] === b[i2 - 1]) {
          i1--;
          i2--;
        }
        if (start - i1 > SNAKE_CNT) gotSnake = true;
        bwd[d + off] = i1;
        if (!odd && fmin <= d && d <= fmax && i1 <= fwd[d + off]!) return this.at(i1, i2, true, true);
      }
      if (minimal) continue;
      // Past the heuristic's cost, with a long snake seen: a point far along a diagonal near the
      // middle one, just after a run of SNAKE_CNT equal records, is split at.
      if (gotSnake && cost > HEUR_MIN_COST) {
        let best = 0;
        for (let d = fmax; d >= fmin; d -= 2) {
          const dd = d > fmid ? d - fmid : fmid - d;
          const i1 = fwd[d + off]!;
          const i2 = i1 - d;
          const v = i1 - off1 + (i2 - off2) - dd;
          if (v > K_HEUR * cost && v > best && off1 + SNAKE_CNT <= i1 && i1 < lim1 && off2 + SNAKE_CNT <= i2 && i2 < lim2 && runBefore(a, b, i1, i2)) {
            best = v;
            this.x = i1;
            this.y = i2;
          }
        }
        if (best > 0) return this.at(this.x, this.y, true, false);
        for (let d = bmax; d >= bmin; d -= 2) {
          const dd = d > bmid ? d - bmid : bmid - d;
          const i1 = bwd[d + off]!;
          const i2 = i1 - d;
          const v = lim1 - i1 + (lim2 - i2) - dd;
          if (v > K_HEUR * cost && v > best && off1 < i1 && i1 <= lim1 - SNAKE_CNT && off2 < i2 && i2 <= lim2 - SNAKE_CNT && runAfter(a, b, i1, i2)) {
            best = v;
            this.x = i1;
            this.y = i2;
          }
        }
        if (best > 0) return this.at(this.x, this.y, false, true);
      }
      // Past the most cost: the point furthest along, forward or backward.
      if (cost >= this.maxCost) {
        let fbest = -1;
        let fbest1 = -1;
        for (let d = fmax; d >= fmin; d -= 2) {
          let i1 = Math.min(fwd[d + off]!, lim1);
          let i2 = i1 - d;
          if (lim2 < i2) {
            i1 = lim2 + d;
            i2 = lim2;
          }
          if (fbest < i1 + i2) {
            fbest = i1 + i2;
            fbest1 = i1;
          }
        }
        let bbest = LINE_MAX;
        let bbest1 = LINE_MAX;
        for (let d = bmax; d >= bmin; d -= 2) {
          let i1 = Math.max(off1, bwd[d + off]!);
          let i2 = i1 - d;
          if (i2 < off2) {
            i1 = off2 + d;
            i2 = off2;
          }
          if (i1 + i2 < bbest) {
            bbest = i1 + i2;
            bbest1 = i1;
          }
        }
        if (lim1 + lim2 - bbest < fbest - (off1 + off2)) return this.at(fbest1, fbest - fbest1, true, false);
        return this.at(bbest1, bbest - bbest1, false, true);
      }
    }
  }

  private at(x: number, y: number, minLow: boolean, minHigh: boolean): void {
    this.x = x;
    this.y = y;
    this.minLow = minLow;
    this.minHigh = minHigh;
  }
}

/** Whether the SNAKE_CNT records before (x, y) are equal on both sides. */
function runBefore(a: Int32Array, b: Int32Array, x: number, y: number): boolean {
  for (let k = 1; k <= SNAKE_CNT; k++) if (a[x - k] !== b[y - k]) return false;
  return true;
}

/** Whether the SNAKE_CNT records from (x, y) are equal on both sides. */
function runAfter(a: Int32Array, b: Int32Array, x: number, y: number): boolean {
  for (let k = 0; k < SNAKE_CNT; k++) if (a[x + k] !== b[y + k]) return false;
  return true;
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

/** The hunks of two change maps (1-based, with sentinels) over `na` and `nb` records. */
function hunksOf(ca: Uint8Array, na: number, cb: Uint8Array, nb: number): LineHunk[] {
  const out: LineHunk[] = [];
  let i = 0;
  let j = 0;
  while (i < na || j < nb) {
    if (ca[i + 1] || cb[j + 1]) {
      const h: LineHunk = { oldStart: i, oldCount: 0, newStart: j, newCount: 0 };
      while (i < na && ca[i + 1]) i++;
      while (j < nb && cb[j + 1]) j++;
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

/** xdl_change_compact on one file's first `n` records `r` and flags `ch` (1-based with sentinels), `o` the other file's flags over `no` records. */
function compact<T>(r: readonly T[], n: number, ch: Uint8Array, o: Uint8Array, no: number): void {
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
      } else if (g.end !== earliestEnd && typeof r[0] === 'string') {
        // No change of the other file to line up with: the place whose two splits (before the
        // group and after it) score best by the indent heuristic, the last of equals.
        const indent = indents(r as readonly string[], n);
        let bestShift = -1;
        const best: SplitScore = { indent: 0, penalty: 0 };
        for (let shift = Math.max(earliestEnd, g.end - groupsize - 1, g.end - INDENT_MAX_SLIDING); shift <= g.end; shift++) {
          const score: SplitScore = { indent: 0, penalty: 0 };
          scoreSplit(indent, n, shift, score);
          scoreSplit(indent, n, shift - groupsize, score);
          const cmp = INDENT_WEIGHT * Math.sign(score.indent - best.indent) + (score.penalty - best.penalty);
          if (bestShift === -1 || cmp <= 0) {
            best.indent = score.indent;
            best.penalty = score.penalty;
            bestShift = shift;
          }
        }
        while (g.end > bestShift) {
          slideUp();
          previous(go, o);
        }
      }
    }
    if (!next(g, ch, n)) break;
    next(go, o, no);
  }
}

/**
 * git's indent heuristic (xdiff's, its weights and limits): a group of added or removed lines that
 * can slide makes two splits, above it and below it, each scored by the blank lines around it and
 * the indents of the lines at it; the lower sum wins.
 */
const INDENT_MAX_SLIDING = 100;
const MAX_INDENT = 200;
const MAX_BLANKS = 20;
const INDENT_WEIGHT = 60;
const START_OF_FILE_PENALTY = 1;
const END_OF_FILE_PENALTY = 21;
const TOTAL_BLANK_WEIGHT = -30;
const POST_BLANK_WEIGHT = 6;
const RELATIVE_INDENT_PENALTY = -4;
const RELATIVE_INDENT_WITH_BLANK_PENALTY = 10;
const RELATIVE_OUTDENT_PENALTY = 24;
const RELATIVE_OUTDENT_WITH_BLANK_PENALTY = 17;
const RELATIVE_DEDENT_PENALTY = 23;
const RELATIVE_DEDENT_WITH_BLANK_PENALTY = 17;

interface SplitScore {
  indent: number;
  penalty: number;
}

/** Each record's indent (a tab to the next multiple of 8; at most MAX_INDENT), -1 for a blank line; found when first asked. */
function indents(r: readonly string[], n: number): (i: number) => number {
  const known = new Int16Array(n).fill(-2);
  return (i) => {
    let v = known[i]!;
    if (v === -2) known[i] = v = indentOf(r[i]!);
    return v;
  };
}

/** git's `get_indent`: white space is a space, a tab or a carriage return (git's own isspace). */
function indentOf(record: string): number {
  const line = record.endsWith(NO_EOL) ? record.slice(0, -NO_EOL.length) : record;
  let indent = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) indent++;
    else if (c === 9) indent += 8 - (indent % 8);
    else if (c !== 13) return indent;
    if (indent >= MAX_INDENT) return MAX_INDENT;
  }
  return -1;
}

/** Adds to `score` the split before record `split` (git's `measure_split`, then `score_add_split`). */
function scoreSplit(indentAt: (i: number) => number, n: number, split: number, score: SplitScore): void {
  const endOfFile = split >= n;
  const indent0 = endOfFile ? -1 : indentAt(split);
  let preBlank = 0;
  let preIndent = -1;
  for (let i = split - 1; i >= 0; i--) {
    preIndent = indentAt(i);
    if (preIndent !== -1) break;
    if (++preBlank === MAX_BLANKS) {
      preIndent = 0;
      break;
    }
  }
  let postBlankAfter = 0;
  let postIndent = -1;
  for (let i = split + 1; i < n; i++) {
    postIndent = indentAt(i);
    if (postIndent !== -1) break;
    if (++postBlankAfter === MAX_BLANKS) {
      postIndent = 0;
      break;
    }
  }
  if (preIndent === -1 && preBlank === 0) score.penalty += START_OF_FILE_PENALTY;
  if (endOfFile) score.penalty += END_OF_FILE_PENALTY;
  const postBlank = indent0 === -1 ? 1 + postBlankAfter : 0;
  const totalBlank = preBlank + postBlank;
  score.penalty += TOTAL_BLANK_WEIGHT * totalBlank + POST_BLANK_WEIGHT * postBlank;
  const indent = indent0 !== -1 ? indent0 : postIndent;
  const anyBlanks = totalBlank !== 0;
  score.indent += indent;
  if (indent === -1 || preIndent === -1 || indent === preIndent) return;
  if (indent > preIndent) score.penalty += anyBlanks ? RELATIVE_INDENT_WITH_BLANK_PENALTY : RELATIVE_INDENT_PENALTY;
  else if (postIndent !== -1 && postIndent > indent) score.penalty += anyBlanks ? RELATIVE_OUTDENT_WITH_BLANK_PENALTY : RELATIVE_OUTDENT_PENALTY;
  else score.penalty += anyBlanks ? RELATIVE_DEDENT_WITH_BLANK_PENALTY : RELATIVE_DEDENT_PENALTY;
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
