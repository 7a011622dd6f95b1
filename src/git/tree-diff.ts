import type { ReadTreeEntry } from './object-format.js';
import { readTree, readTreeIndex } from './objects.js';
import type { Repo } from './repo.js';

/** One path whose entry differs between two trees (submodules appear as mode 160000). */
export interface TreeDelta {
  path: string;
  oldOid: string | null;
  newOid: string | null;
  oldMode: string | null;
  newMode: string | null;
}

/**
 * Paths that differ between two trees (either may be null: empty). Subtrees with equal ids are
 * never opened, so the cost follows the size of the change, not of the tree.
 */
export async function diffTrees(repo: Repo, oldTree: string | null, newTree: string | null): Promise<TreeDelta[]> {
  const out: TreeDelta[] = [];
  await walk(repo, oldTree, newTree, '', out);
  return out;
}

const NO_ENTRIES: ReadonlyMap<string, Readonly<ReadTreeEntry>> = new Map<string, ReadTreeEntry>();

async function walk(repo: Repo, a: string | null, b: string | null, prefix: string, out: TreeDelta[]): Promise<void> {
  if (a === b) return;
  const ea = a ? await readTree(repo, a) : [];
  const eb = b ? await readTree(repo, b) : [];
  const mb = b ? await readTreeIndex(repo, b) : NO_ENTRIES;
  const seen = new Set<string>();
  for (const x of ea) {
    seen.add(x.path);
    const y = mb.get(x.path);
    const p = prefix + x.path;
    if (y && y.oid === x.oid && y.mode === x.mode) continue;
    const xTree = x.type === 'tree';
    const yTree = y?.type === 'tree';
    if (xTree || yTree) await walk(repo, xTree ? x.oid : null, yTree ? y!.oid : null, `${p}/`, out);
    if (!xTree || (y && !yTree)) {
      out.push({
        path: p,
        oldOid: xTree ? null : x.oid,
        newOid: y && !yTree ? y.oid : null,
        oldMode: xTree ? null : x.mode,
        newMode: y && !yTree ? y.mode : null,
      });
    }
  }
  for (const y of eb) {
    if (seen.has(y.path)) continue;
    const p = prefix + y.path;
    if (y.type === 'tree') await walk(repo, null, y.oid, `${p}/`, out);
    else out.push({ path: p, oldOid: null, newOid: y.oid, oldMode: null, newMode: y.mode });
  }
}

/** Every blob path of a tree with its id and mode. */
export async function listTreeFiles(repo: Repo, tree: string): Promise<Map<string, { oid: string; mode: string }>> {
  const out = new Map<string, { oid: string; mode: string }>();
  const rec = async (oid: string, prefix: string) => {
    for (const e of await readTree(repo, oid)) {
      if (e.type === 'tree') await rec(e.oid, `${prefix}${e.path}/`);
      else out.set(prefix + e.path, { oid: e.oid, mode: e.mode });
    }
  };
  await rec(tree, '');
  return out;
}
