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
 * Line diff of `a` to `b`, as git would align it: common prefix and suffix trimmed first, Myers in
 * between (bounded), then each pure insertion or deletion slid down as far as equal lines allow,
 * which is where git's xdiff places ambiguous groups. A missing final newline makes the last line
 * differ, as in git.
 */
export function diffLines(a: Lines, b: Lines): LineHunk[] {
  const ids = new Map<string, number>();
  const intern = (l: Lines): number[] =>
    l.lines.map((s, i) => {
      const key = i === l.lines.length - 1 && l.noEol ? `${s}\0noeol` : s;
      let id = ids.get(key);
      if (id === undefined) ids.set(key, (id = ids.size));
      return id;
    });
  return diffIds(intern(a), intern(b));
}

export function diffIds(a: number[], b: number[]): LineHunk[] {
  let pre = 0;
  const maxPre = Math.min(a.length, b.length);
  while (pre < maxPre && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < maxPre - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  if (am.length === 0 && bm.length === 0) return [];
  let hunks: LineHunk[];
  if (am.length === 0 || bm.length === 0) {
    hunks = [{ oldStart: pre, oldCount: am.length, newStart: pre, newCount: bm.length }];
  } else {
    const changes = diffArrays(am, bm, { maxEditLength: MAX_EDIT_LENGTH, timeout: TIMEOUT_MS });
    if (!changes) {
      hunks = [{ oldStart: pre, oldCount: am.length, newStart: pre, newCount: bm.length }];
    } else {
      hunks = [];
      let i = pre;
      let j = pre;
      let cur: LineHunk | null = null;
      for (const c of changes) {
        const n = c.count ?? c.value.length;
        if (!c.added && !c.removed) {
          if (cur) hunks.push(cur);
          cur = null;
          i += n;
          j += n;
          continue;
        }
        cur ??= { oldStart: i, oldCount: 0, newStart: j, newCount: 0 };
        if (c.removed) {
          cur.oldCount += n;
          i += n;
        } else {
          cur.newCount += n;
          j += n;
        }
      }
      if (cur) hunks.push(cur);
    }
  }
  return slideDown(hunks, a, b);
}

/** Slides pure insertions and deletions down past equal lines, as git's change compaction does. */
function slideDown(hunks: LineHunk[], a: number[], b: number[]): LineHunk[] {
  for (let k = 0; k < hunks.length; k++) {
    const h = hunks[k]!;
    const next = hunks[k + 1];
    if (h.oldCount === 0 && h.newCount > 0) {
      // Insertion b[newStart, newStart+newCount) before a[oldStart]: may shift while b[end] === b[start].
      while (
        h.newStart + h.newCount < b.length &&
        b[h.newStart + h.newCount] === b[h.newStart] &&
        (!next || h.oldStart + 1 <= next.oldStart - 0) &&
        (!next || h.newStart + h.newCount + 1 <= next.newStart)
      ) {
        h.newStart++;
        h.oldStart++;
      }
    } else if (h.newCount === 0 && h.oldCount > 0) {
      while (
        h.oldStart + h.oldCount < a.length &&
        a[h.oldStart + h.oldCount] === a[h.oldStart] &&
        (!next || h.oldStart + h.oldCount + 1 <= next.oldStart) &&
        (!next || h.newStart + 1 <= next.newStart)
      ) {
        h.oldStart++;
        h.newStart++;
      }
    }
  }
  // Sliding can make a hunk touch the next one; git would show them as one group.
  const merged: LineHunk[] = [];
  for (const h of hunks) {
    const last = merged[merged.length - 1];
    if (last && last.oldStart + last.oldCount === h.oldStart && last.newStart + last.newCount === h.newStart) {
      last.oldCount += h.oldCount;
      last.newCount += h.newCount;
    } else merged.push({ ...h });
  }
  return merged;
}

function bigrams(s: string): Map<string, number> {
  const m = new Map<string, number>();
  const t = s.replace(/\s+/g, ' ').trim();
  for (let i = 0; i < t.length - 1; i++) {
    const g = t.slice(i, i + 2);
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/**
 * Similarity of two lines in [0, 1]: the Dice coefficient of their character bigrams, white space
 * folded. 1 for equal lines; used to tell an edited line from a replaced one.
 */
export function lineSimilarity(x: string, y: string): number {
  if (x === y) return 1;
  const a = bigrams(x);
  const b = bigrams(y);
  let na = 0;
  let nb = 0;
  let common = 0;
  for (const v of a.values()) na += v;
  for (const [g, v] of b) {
    nb += v;
    const u = a.get(g);
    if (u) common += Math.min(u, v);
  }
  if (na + nb === 0) return x.trim() === y.trim() ? 1 : 0;
  return (2 * common) / (na + nb);
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
  const counts = new Map<string, number>();
  for (const l of a) counts.set(l, (counts.get(l) ?? 0) + 1);
  let shared = 0;
  for (const l of b) {
    const c = counts.get(l);
    if (c) {
      shared += l.length + 1;
      counts.set(l, c - 1);
    }
  }
  return shared / Math.max(sa, sb);
}
