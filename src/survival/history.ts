import type { Repo } from '../git/repo.js';
import { readCommit } from '../git/objects.js';

/** What the engine needs of one commit of the revision's history. */
export interface HistCommit {
  oid: string;
  tree: string;
  parents: string[];
  authorEmail: string;
  authorTime: number;
  commitTime: number;
  message: string;
}

export interface History {
  at: string;
  commits: Map<string, HistCommit>;
  /** Parents before children (a topological order of `commits`). */
  order: string[];
  /** Parents named by a walked commit that could not be read (shallow boundary, missing objects). */
  missing: Set<string>;
  /** Parents not walked because they are older than the cutoff (known to exist, outside the window). */
  cut: Set<string>;
  /** Commits read from the repository (the others came from `known`). */
  read: number;
  /**
   * When this walk extends an earlier one (the commits new since then join it only at its tip):
   * that tip, whose history is every commit here but the fresh ones.
   */
  extension?: { at: string; fresh: ReadonlySet<string> };
}

/** Clock skew tolerated between an anchor commit and its descendants (seconds). */
export const CUTOFF_SLACK = 86_400;

/** The commits of an earlier walk (the survival cache keeps them: a commit never changes). */
export interface KnownHistory {
  /** The tip and cutoff that walk started from. */
  at: string;
  cutoff: number | null;
  commits: Map<string, HistCommit>;
  /** `topoOrder` of `commits` from `at`. */
  order: string[];
  missing: string[];
  cut: string[];
  /**
   * The commits this history adds to the one the history file keeps, and that one's tip: written
   * on their own (`history-tail.bin`) while they are few, instead of the whole walk again.
   */
  tail?: { base: string; commits: HistCommit[] };
}

/**
 * Walks the history of `at` newest first (by commit time, as git's date order does), not opening
 * parents older than `cutoff` (seconds since the epoch; null: walk everything). One read per commit;
 * commits in `known` (an earlier walk) are taken from there instead of being read, so the walk is
 * the same and only new commits cost a read. When the new commits join that walk only at its tip,
 * with the same cutoff, the history is that walk plus them, and only they are walked.
 */
export async function walkHistory(repo: Repo, at: string, cutoff: number | null, known?: KnownHistory): Promise<History> {
  if (known) {
    const extended = await extendKnown(repo, at, cutoff, known);
    if (extended) return extended;
  }
  const commits = new Map<string, HistCommit>();
  const missing = new Set<string>();
  const cut = new Set<string>();
  const queue: HistCommit[] = [];
  const seen = new Set<string>();
  let read = 0;
  const push = async (oid: string): Promise<void> => {
    if (seen.has(oid)) return;
    seen.add(oid);
    let hc = known?.commits.get(oid);
    if (!hc) {
      const c = await readHistCommit(repo, oid);
      if (!c) {
        missing.add(oid);
        return;
      }
      read++;
      hc = c;
    }
    if (pastCutoff(hc, cutoff, at)) {
      cut.add(oid);
      return;
    }
    commits.set(oid, hc);
    queue.push(hc);
  };
  await push(at);
  while (queue.length) {
    // Newest first; the queue stays small (the walk's frontier).
    let best = 0;
    for (let i = 1; i < queue.length; i++) if (queue[i]!.commitTime > queue[best]!.commitTime) best = i;
    const c = queue[best]!;
    queue[best] = queue[queue.length - 1]!;
    queue.pop();
    for (const p of c.parents) await push(p);
  }
  return { at, commits, order: topoOrder(commits, at), missing, cut, read };
}

/** A commit the walk does not open (older than the cutoff; the tip always opens): both walks cut alike. */
const pastCutoff = (c: HistCommit, cutoff: number | null, at: string): boolean => cutoff !== null && c.commitTime < cutoff && c.oid !== at;

async function readHistCommit(repo: Repo, oid: string): Promise<HistCommit | null> {
  let c;
  try {
    c = await readCommit(repo, oid);
  } catch {
    return null;
  }
  return {
    oid,
    tree: c.tree,
    parents: c.parents,
    authorEmail: c.author.email.toLowerCase(),
    authorTime: c.author.timestamp,
    commitTime: c.committer.timestamp,
    message: c.message,
  };
}

/**
 * The history of `at` as `known` plus the commits it lacks, when those reach `known` only at its
 * tip (commits there have all their ancestors there, as far as the cutoff): null otherwise (a
 * rewrite, a merge of an older commit, another cutoff), and the caller walks it all. The history
 * returned takes `known`'s commits and order over: the caller's copy is not to be used after.
 */
async function extendKnown(repo: Repo, at: string, cutoff: number | null, known: KnownHistory): Promise<History | null> {
  // Objects missing then may be there now (a fetch into a partial clone): walk it all again.
  if (known.cutoff !== cutoff || known.missing.length > 0 || !known.commits.has(known.at)) return null;
  if (at === known.at) return { at, commits: known.commits, order: known.order, missing: new Set(), cut: new Set(known.cut), read: 0, extension: { at: known.at, fresh: new Set() } };
  if (known.commits.has(at)) return null;
  const fresh = new Map<string, HistCommit>();
  const missing = new Set<string>();
  const cut = new Set(known.cut);
  let joins = false;
  const stack = [at];
  while (stack.length) {
    const oid = stack.pop()!;
    if (fresh.has(oid) || missing.has(oid) || cut.has(oid)) continue;
    const c = await readHistCommit(repo, oid);
    if (!c) {
      missing.add(oid);
      continue;
    }
    if (pastCutoff(c, cutoff, at)) {
      cut.add(oid);
      continue;
    }
    fresh.set(oid, c);
    for (const p of c.parents) {
      if (p === known.at) joins = true;
      else if (known.commits.has(p)) return null;
      else stack.push(p);
    }
  }
  if (!joins) return null;
  return { at, ...joinAtTip(known, fresh.values(), at), missing, cut, read: fresh.size, extension: { at: known.at, fresh: new Set(fresh.keys()) } };
}

/**
 * `known`'s commits with `fresh` ones that reach them only at `known`'s tip, and their order from
 * `at` (`known`'s order taken whole where its tip is reached). `known`'s map is taken over (its
 * caller loaded it for this walk); `fresh` must not be in it.
 */
export function joinAtTip(known: KnownHistory, fresh: Iterable<HistCommit>, at: string): { commits: Map<string, HistCommit>; order: string[] } {
  const commits = known.commits;
  const added = new Set<string>();
  for (const c of fresh) {
    commits.set(c.oid, c);
    added.add(c.oid);
  }
  const block = { at: known.at, order: known.order, has: (o: string) => !added.has(o) };
  return { commits, order: topoOrder(commits, at, block) };
}

/**
 * Parents before children: an iterative depth-first post-order from `at`, first parents first.
 * `block`: an earlier walk (its tip, its order, which commits are its) whose commits are reached
 * only through its tip; its order is that post-order already and is taken whole where the tip is
 * reached.
 */
export function topoOrder(commits: Map<string, HistCommit>, at: string, block?: { at: string; order: string[]; has(oid: string): boolean }): string[] {
  const order: string[] = [];
  const state = new Map<string, number>();
  let blockTaken = false;
  const visited = (o: string) => state.has(o) || (blockTaken && block!.has(o));
  // From `at`, then (a walk reaches every commit from it; this is for any other caller) the rest.
  const roots = function* () {
    yield at;
    yield* commits.keys();
  };
  for (const root of roots()) {
    // Every commit placed (as after a walk from `at`): the other roots are all visited.
    if (order.length === commits.size) break;
    if (visited(root) || !commits.has(root)) continue;
    const stack: [string, number][] = [[root, 0]];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const c = commits.get(top[0])!;
      if (top[1] < c.parents.length) {
        const p = c.parents[top[1]++]!;
        if (!commits.has(p) || visited(p)) continue;
        if (block && p === block.at) {
          order.push(...block.order);
          blockTaken = true;
          continue;
        }
        state.set(p, 1);
        stack.push([p, 0]);
      } else {
        stack.pop();
        order.push(top[0]);
      }
    }
  }
  return order;
}

/** The ancestors of `tip` (itself included) within a walked history. */
export function ancestorsIn(commits: Map<string, HistCommit>, tip: string): Set<string> {
  const out = new Set<string>();
  const stack = [tip];
  while (stack.length) {
    const o = stack.pop()!;
    if (out.has(o) || !commits.has(o)) continue;
    out.add(o);
    stack.push(...commits.get(o)!.parents);
  }
  return out;
}

/** The first-parent chain of `at` within the walked history (its first `limit` commits). */
export function firstParentChain(h: History, limit = Number.POSITIVE_INFINITY): Set<string> {
  const out = new Set<string>();
  for (let c = h.commits.get(h.at); c && !out.has(c.oid) && out.size < limit; c = c.parents[0] ? h.commits.get(c.parents[0]) : undefined) out.add(c.oid);
  return out;
}
