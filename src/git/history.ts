import type { Commit } from './object-format.js';
import { readCommit } from './objects.js';
import type { Repo } from './repo.js';

/**
 * Walks of the commit graph the views need (`base..head`, merge bases) and path lookups in a
 * commit's tree. Commits are read one at a time through isomorphic-git's object reader (packs are
 * read once per Repo cache); walks visit commits newest first by committer date, as git does, so
 * their cost follows the size of the range, not of the history.
 */

const IN_A = 1;
const IN_B = 2;
const STALE = 4;

interface Queued {
  oid: string;
  time: number;
}

/** A max-heap of commits by committer time (ties: larger oid first, for determinism). */
class CommitQueue {
  private heap: Queued[] = [];
  get size(): number {
    return this.heap.length;
  }
  items(): readonly Queued[] {
    return this.heap;
  }
  private before(a: Queued, b: Queued): boolean {
    return a.time > b.time || (a.time === b.time && a.oid > b.oid);
  }
  push(q: Queued): void {
    const h = this.heap;
    h.push(q);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Queued | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Reads commits once per walk. A commit that cannot be read (the boundary of a shallow clone) reads
 * as one without parents: walks stop there, as git's do at a graft.
 */
class CommitReader {
  private cache = new Map<string, Commit>();
  constructor(private repo: Repo) {}
  async get(oid: string): Promise<Commit> {
    let c = this.cache.get(oid);
    if (!c) {
      try {
        c = await readCommit(this.repo, oid);
      } catch (err) {
        if (!this.repo.shallow) throw err;
        c = { oid, tree: '', parents: [], message: '', author: NOBODY, committer: NOBODY };
      }
      this.cache.set(oid, c);
    }
    return c;
  }
}

const NOBODY = { name: '', email: '', timestamp: 0, timezoneOffset: 0 };

/**
 * The state of a walk that paints commits with flags (git's revision walk): each commit is queued,
 * newest first, when it gains a flag it did not have.
 */
function flaggedWalk(reader: CommitReader) {
  const flags = new Map<string, number>();
  const queue = new CommitQueue();
  const enqueue = async (oid: string, f: number) => {
    const old = flags.get(oid) ?? 0;
    if ((old | f) === old) return;
    flags.set(oid, old | f);
    const c = await reader.get(oid);
    queue.push({ oid, time: c.committer.timestamp });
  };
  return { flags, queue, enqueue };
}


/**
 * The commits reachable from `head` and not from `base` (git's `base..head`), oldest first in
 * topological order (parents before children, first parents before side branches). `base` null:
 * every ancestor of head.
 */
export async function commitsInRange(repo: Repo, base: string | null, head: string): Promise<Commit[]> {
  const reader = new CommitReader(repo);
  const { flags, queue, enqueue } = flaggedWalk(reader);
  await enqueue(head, IN_A);
  if (base) await enqueue(base, IN_B);
  // Stop once everything left to visit is reachable from base: nothing more can be in the range.
  const interestingLeft = () => queue.items().some((q) => !((flags.get(q.oid) ?? 0) & IN_B));
  while (queue.size > 0 && interestingLeft()) {
    const { oid } = queue.pop()!;
    const f = flags.get(oid)!;
    const c = await reader.get(oid);
    for (const p of c.parents) await enqueue(p, f);
  }
  const inRange = new Set([...flags].filter(([, f]) => f === IN_A).map(([oid]) => oid));
  // Topological order, oldest first: post-order of a depth-first walk over parents in order.
  const out: Commit[] = [];
  const done = new Set<string>();
  const stack: { oid: string; next: number }[] = inRange.has(head) ? [{ oid: head, next: 0 }] : [];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const c = await reader.get(top.oid);
    if (top.next < c.parents.length) {
      const p = c.parents[top.next++]!;
      if (inRange.has(p) && !done.has(p) && !stack.some((s) => s.oid === p)) stack.push({ oid: p, next: 0 });
      continue;
    }
    stack.pop();
    if (!done.has(top.oid)) {
      done.add(top.oid);
      if (c.tree) out.push(c);
    }
  }
  return out;
}

/**
 * The best common ancestor of two commits (git merge-base): a common ancestor no other common
 * ancestor descends from; among several, the most recent. Null when the histories are unrelated.
 */
export async function mergeBase(repo: Repo, a: string, b: string): Promise<string | null> {
  if (a === b) return a;
  const reader = new CommitReader(repo);
  const { flags, queue, enqueue } = flaggedWalk(reader);
  await enqueue(a, IN_A);
  await enqueue(b, IN_B);
  const candidates: string[] = [];
  const liveLeft = () => queue.items().some((q) => !((flags.get(q.oid) ?? 0) & STALE));
  while (queue.size > 0 && liveLeft()) {
    const { oid } = queue.pop()!;
    let f = flags.get(oid)!;
    if ((f & (IN_A | IN_B)) === (IN_A | IN_B) && !(f & STALE)) {
      candidates.push(oid);
      f |= STALE;
      flags.set(oid, f);
    }
    const c = await reader.get(oid);
    for (const p of c.parents) await enqueue(p, f);
  }
  // With clock skew a candidate can be an ancestor of another found later: keep the independent ones.
  const independent: string[] = [];
  for (const c of candidates) {
    let redundant = false;
    for (const other of candidates) {
      if (other !== c && (await isAncestor(repo, c, other, reader))) redundant = true;
    }
    if (!redundant) independent.push(c);
  }
  if (independent.length === 0) return null;
  let pick = independent[0]!;
  for (const c of independent.slice(1)) {
    const [x, y] = [await reader.get(c), await reader.get(pick)];
    if (x.committer.timestamp > y.committer.timestamp) pick = c;
  }
  return pick;
}

/** True when `ancestor` is reachable from `descendant` (a commit is its own ancestor). */
export async function isAncestor(repo: Repo, ancestor: string, descendant: string, reader = new CommitReader(repo)): Promise<boolean> {
  if (ancestor === descendant) return true;
  const target = await reader.get(ancestor);
  const seen = new Set<string>([descendant]);
  const queue = new CommitQueue();
  queue.push({ oid: descendant, time: (await reader.get(descendant)).committer.timestamp });
  while (queue.size > 0) {
    const { oid, time } = queue.pop()!;
    if (oid === ancestor) return true;
    // Older than the target by a day: no path can reach it (allowing for some clock skew).
    if (time < target.committer.timestamp - 86_400) continue;
    for (const p of (await reader.get(oid)).parents) {
      if (seen.has(p)) continue;
      seen.add(p);
      queue.push({ oid: p, time: (await reader.get(p)).committer.timestamp });
    }
  }
  return false;
}

