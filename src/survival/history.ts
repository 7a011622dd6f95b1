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
}

/** Clock skew tolerated between an anchor commit and its descendants (seconds). */
export const CUTOFF_SLACK = 86_400;

/**
 * Walks the history of `at` newest first (by commit time, as git's date order does), not opening
 * parents older than `cutoff` (seconds since the epoch; null: walk everything). One read per commit;
 * commits in `known` (the survival cache's copy of an earlier walk: a commit never changes) are
 * taken from there instead of being read, so the walk is the same and only new commits cost a read.
 */
export async function walkHistory(
  repo: Repo,
  at: string,
  cutoff: number | null,
  known?: Map<string, HistCommit>,
): Promise<History> {
  const commits = new Map<string, HistCommit>();
  const missing = new Set<string>();
  const cut = new Set<string>();
  const queue: HistCommit[] = [];
  const seen = new Set<string>();
  let read = 0;
  const push = async (oid: string): Promise<void> => {
    if (seen.has(oid)) return;
    seen.add(oid);
    let hc = known?.get(oid);
    if (!hc) {
      let c;
      try {
        c = await readCommit(repo, oid);
      } catch {
        missing.add(oid);
        return;
      }
      read++;
      hc = {
        oid,
        tree: c.tree,
        parents: c.parents,
        authorEmail: c.author.email.toLowerCase(),
        authorTime: c.author.timestamp,
        commitTime: c.committer.timestamp,
        message: c.message,
      };
    }
    if (cutoff !== null && hc.commitTime < cutoff && oid !== at) {
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

/** Parents before children: an iterative depth-first post-order from `at`, first parents first. */
export function topoOrder(commits: Map<string, HistCommit>, at: string): string[] {
  const order: string[] = [];
  const state = new Map<string, number>();
  const roots = [at, ...[...commits.keys()].filter((o) => o !== at)];
  for (const root of roots) {
    if (state.has(root) || !commits.has(root)) continue;
    const stack: [string, number][] = [[root, 0]];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const c = commits.get(top[0])!;
      if (top[1] < c.parents.length) {
        const p = c.parents[top[1]++]!;
        if (commits.has(p) && !state.has(p)) {
          state.set(p, 1);
          stack.push([p, 0]);
        }
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

/** The first-parent chain of `at` within the walked history. */
export function firstParentChain(h: History): Set<string> {
  const out = new Set<string>();
  for (let c = h.commits.get(h.at); c && !out.has(c.oid); c = c.parents[0] ? h.commits.get(c.parents[0]) : undefined) out.add(c.oid);
  return out;
}
