import type { Repo } from '../git/repo.js';
import { MODE } from '../git/object-format.js';
import { entryAtPath, isBinary, readBlob } from '../git/objects.js';
import { diffTrees, type TreeDelta } from '../git/tree-diff.js';
import { bigramProfile, diffLines, lineSimilarity, profileSimilarity, similarityBound, splitLines, type BigramProfile, type LineHunk, type Lines } from '../diff/lines.js';
import { renameSources } from '../diff/file-changes.js';
import type { Anchor, Patch } from '../model/events.js';
import type { HistCommit, History } from './history.js';
import type { PatchRecords } from './records.js';
import { addedCount, removedCount } from '../store/stored-patch.js';

/**
 * The owner of one line while history is replayed forward. Immutable: a change makes a new owner.
 * `prev` links to the line of an older patch that this line is an edit (or a move) of, when a newer
 * patch claimed it, so the older patch still counts it as edited (or moved).
 */
export interface Owner {
  p: number;
  k: number;
  edited: boolean;
  moved: boolean;
  /** Some edit of this line was made by someone else (another author, another trace). */
  other: boolean;
  prev: Owner | null;
}

/** One file of the state: its content (loaded lazily by id) and the owner of each line. */
export interface FileState {
  oid: string;
  text: Lines | null;
  owners: (Owner | null)[];
  /** Number of non-null owners. */
  owned: number;
  /** Patches waiting for lines to come back in this file: pure deletions (then reverted), reverted patches (then revived). */
  watch: number[];
}

export interface LineState {
  files: Map<string, FileState>;
  /**
   * Paths deleted by a revert, with the patches waiting for the file to come back (a revert of the
   * revert): kept apart from `files`, which holds only files present at the commit.
   */
  gone?: Map<string, number[]>;
}

export const EMPTY_STATE: LineState = { files: new Map() };

/** The patches whose effective anchor is at each commit, as indexes into the pass's patches, in their order. */
export type AnchorsAt = Map<string, number[]>;

export interface PassInput {
  repo: Repo;
  history: History;
  patches: Patch[];
  /** The patches anchored at each commit (indexes into `patches`, in order). */
  anchorsAt: AnchorsAt;
  /** Each patch's effective anchor (null: none). */
  anchors: readonly (Anchor | null)[];
  /** Author email of each patch's anchor commit (lower case), '' when unanchored. */
  anchorEmail: string[];
  /** Commits whose revert reverts patch p (its anchor commits, old and new). */
  revertTargets: (p: number) => readonly string[];
  records: PatchRecords;
}

interface Source {
  path: string;
  oid: string;
  fs: FileState | null;
  identical: boolean;
}

interface Removed {
  o: Owner;
  text: string;
  /** Where the line was (parent side) and the lineage of that file in the commit (null: file deleted). */
  from: string;
  i: number;
  lineage: string | null;
  hunkAdded: string[] | null;
  fileDeleted: boolean;
}

class MissingObject extends Error {
  constructor(readonly oid: string) {
    super(`missing object ${oid}`);
  }
}

const alnum = (s: string) => (s.match(/[A-Za-z0-9]/g) ?? []).length;
const MOVE_MIN_LINES = 3;
const MOVE_MIN_ALNUM = 40;
const EDIT_SIMILARITY = 0.5;
const REVERT_RE = /This reverts commit ([0-9a-f]{7,40})/g;
/** Blobs whose lines a pass keeps for a re-read: re-reads hit it nearly as often as a cache of 4,000 (541 against 546 on jsdiff's history, 212 against 221 on the generated one). */
const BLOB_CACHE = 256;

/** The lines of every binary blob: none (one object, so a binary blob is told from an empty text). */
const BINARY: Lines = { lines: [], noEol: false };

/** A tree entry's mode that holds a file's content (not a directory, not a submodule). */
const isFile = (mode: string | null) => mode !== null && mode !== MODE.gitlink && mode !== MODE.tree;

/** Replays history forward once for every patch, keeping the line owners of each file. */
export class ForwardPass {
  readonly states = new Map<string, LineState>();
  /**
   * The lines of the blobs read last, least recently used first. Most re-reads come soon after the
   * first (the same commit, the next one); a cache of up to 4,000 blobs (every blob of most
   * histories) kept every version of a large file alive to the end of the pass, for the garbage
   * collector to copy and mark (jsdiff's history, three full passes: a peak of 375-467 MB, against
   * 304-359 MB with this bound).
   */
  private blobCache = new Map<string, Lines>();
  /** Commits processed by this pass. */
  processed = 0;
  /** Commits whose state (and the records at that point) must be kept, for the cache. */
  keep = new Set<string>();
  readonly recordsAt = new Map<string, PatchRecords>();
  /** Optional hook called after each commit with its old (first parent) and new state. */
  onCommit?: (c: HistCommit, before: LineState, after: LineState) => void;

  constructor(private readonly input: PassInput) {}

  async lines(oid: string): Promise<Lines> {
    const hit = this.blobCache.get(oid);
    if (hit) {
      this.blobCache.delete(oid);
      this.blobCache.set(oid, hit);
      return hit;
    }
    let buf: Buffer;
    try {
      buf = await readBlob(this.input.repo, oid);
    } catch {
      throw new MissingObject(oid);
    }
    const l = isBinary(buf) ? BINARY : splitLines(buf.toString('utf8'));
    if (this.blobCache.size >= BLOB_CACHE) this.blobCache.delete(this.blobCache.keys().next().value!);
    this.blobCache.set(oid, l);
    return l;
  }

  async text(fs: FileState): Promise<Lines> {
    fs.text ??= await this.lines(fs.oid);
    return fs.text;
  }

  private async blobAt(tree: string, path: string): Promise<string | null> {
    const e = await entryAtPath(this.input.repo, tree, path);
    return e?.type === 'blob' ? e.oid : null;
  }

  /** Runs the pass over `order` (parents before children); states of commits outside are taken as given. */
  async run(order: string[]): Promise<void> {
    const { history } = this.input;
    const remaining = new Map<string, number>();
    for (const oid of order) for (const p of history.commits.get(oid)!.parents) remaining.set(p, (remaining.get(p) ?? 0) + 1);
    for (const oid of order) {
      const c = history.commits.get(oid)!;
      const state = await this.commit(c);
      this.states.set(oid, state);
      // (The tip's records are the pass's own, final ones: no copy.)
      if (this.keep.has(oid) && oid !== history.at) this.recordsAt.set(oid, this.input.records.clone());
      // A state is kept until its last child in this pass is done (and always for the tip).
      for (const p of c.parents) {
        const n = (remaining.get(p) ?? 1) - 1;
        remaining.set(p, n);
        if (n <= 0 && p !== history.at && !this.keep.has(p)) this.states.delete(p);
      }
    }
  }

  private sameAuthor(c: HistCommit, p: number): boolean {
    return c.authorEmail === this.input.anchorEmail[p];
  }

  private isRevert(c: HistCommit, p: number, hunkAdded: string[] | null, fileDeleted: boolean): boolean {
    for (const m of c.message.matchAll(REVERT_RE)) {
      const h = m[1]!;
      if (this.input.revertTargets(p).some((t) => t.startsWith(h))) return true;
    }
    const patch = this.input.patches[p]!;
    if (fileDeleted) return patch.beforeBlob === null;
    if (!hunkAdded) return false;
    const before = patch.removed;
    if (before.length === 0) return hunkAdded.length === 0;
    return containsRun(hunkAdded, before) >= 0;
  }

  private async commit(c: HistCommit): Promise<LineState> {
    this.processed++;
    const { history, patches, records, anchors } = this.input;
    const parents = c.parents.filter((p) => history.commits.has(p));
    const pstates = parents.map((p) => this.states.get(p) ?? EMPTY_STATE);
    const here = this.input.anchorsAt.get(c.oid) ?? [];
    const priorGone = pstates[0]?.gone;
    const active = pstates.some((s) => s.files.size > 0) || Boolean(priorGone?.size);
    if (!active && here.length === 0) {
      this.onCommit?.(c, EMPTY_STATE, EMPTY_STATE);
      return EMPTY_STATE;
    }
    const merge = parents.length > 1;
    // Tree deltas against each parent that matters (every parent of a merge).
    const deltas: (Map<string, TreeDelta> | null)[] = [];
    for (let j = 0; j < parents.length; j++) {
      if (pstates[j]!.files.size > 0 || merge || (j === 0 && priorGone?.size)) {
        const ptree = history.commits.get(parents[j]!)!.tree;
        deltas.push(new Map((await diffTrees(this.input.repo, ptree, c.tree)).map((d) => [d.path, d])));
      } else deltas.push(null);
    }

    // 1. Sources of each target path, per parent (renames followed for tracked files). With one
    // parent, the state starts as the parent's (same files, same order) and only the tracked files
    // the commit touches, renamed files and anchored paths become targets: a file the commit does not
    // touch is carried over as is, with no work per file and commit.
    const single = parents.length === 1;
    const files = new Map<string, FileState>();
    // (Copied by forEach: the Map constructor and for-of make an entry array per file, per commit.)
    if (single) pstates[0]!.files.forEach((fs, q) => files.set(q, fs));
    const targets = new Map<string, (Source | null)[]>();
    const addSource = (t: string, j: number, s: Source) => {
      let arr = targets.get(t);
      if (!arr) targets.set(t, (arr = parents.map(() => null)));
      if (!arr[j]) arr[j] = s;
    };
    const deletedFiles: { path: string; fs: FileState }[] = [];
    for (let j = 0; j < parents.length; j++) {
      const st = pstates[j]!;
      const d = deltas[j];
      if (!d || st.files.size === 0) continue;
      const gone: [string, FileState][] = [];
      if (single) {
        // The tracked paths the commit touches, in the state's order.
        let touched: string[] = [];
        for (const q of d.keys()) if (st.files.has(q)) touched.push(q);
        if (touched.length > 1) {
          const set = new Set(touched);
          touched = [];
          for (const q of st.files.keys()) if (set.has(q)) touched.push(q);
        }
        for (const q of touched) {
          const fs = st.files.get(q)!;
          const delta = d.get(q)!;
          if (delta.newOid && isFile(delta.newMode)) addSource(q, j, { path: q, oid: fs.oid, fs, identical: delta.newOid === fs.oid });
          else {
            gone.push([q, fs]);
            files.delete(q);
          }
        }
      } else {
        for (const [q, fs] of st.files) {
          const delta = d.get(q);
          if (!delta) addSource(q, j, { path: q, oid: fs.oid, fs, identical: true });
          else if (delta.newOid && isFile(delta.newMode)) addSource(q, j, { path: q, oid: fs.oid, fs, identical: delta.newOid === fs.oid });
          else gone.push([q, fs]);
        }
      }
      if (gone.length) {
        const tracked = new Map(gone);
        const sourceOf = await this.renames(d, tracked);
        const followed = new Set<string>();
        for (const [to, q] of sourceOf) {
          const fs = tracked.get(q);
          if (!fs) continue;
          addSource(to, j, { path: q, oid: fs.oid, fs, identical: d.get(to)!.newOid === fs.oid });
          followed.add(q);
        }
        if (j === 0) for (const [q, fs] of gone) if (!followed.has(q)) deletedFiles.push({ path: q, fs });
      }
    }
    for (const p of here) {
      const { path } = anchors[p]!;
      if (!targets.has(path) && !files.has(path)) targets.set(path, parents.map(() => null));
    }
    // Untracked sides (merges need every parent's version to decide where a line came from).
    for (const [t, srcs] of targets) {
      for (let j = 0; j < parents.length; j++) {
        if (srcs[j] || !deltas[j]) continue;
        const delta = deltas[j]!.get(t);
        if (!delta) {
          if (!pstates[j]!.files.size && !merge) continue;
          const oid = await this.blobAt(c.tree, t);
          if (oid) srcs[j] = { path: t, oid, fs: null, identical: true };
        } else if (delta.oldOid && isFile(delta.oldMode)) srcs[j] = { path: t, oid: delta.oldOid, fs: null, identical: false };
      }
    }

    // 2. Each target's owners (files carried over have no fresh lines: no entry in `fresh`).
    const removed: Removed[] = [];
    const fresh = new Map<string, LineSet>();
    const editBase = new Map<Owner, Owner>();
    const mine = new Set<FileState>();
    for (const [t, srcs] of targets) {
      try {
        const r = await this.target(c, t, srcs, deltas, editBase);
        if (!r) {
          files.delete(t);
          continue;
        }
        files.set(t, r.fs);
        fresh.set(t, r.fresh);
        if (!r.shared) mine.add(r.fs);
        removed.push(...r.removed);
      } catch (err) {
        if (!(err instanceof MissingObject)) throw err;
        files.delete(t);
        for (const s of srcs) for (const o of s?.fs?.owners ?? []) if (o) records.noteUnknown(o.p, `missing object ${err.oid} (${t} at ${c.oid.slice(0, 12)})`);
        for (const p of here) if (anchors[p]!.path === t) records.noteUnknown(p, `missing object ${err.oid} (${t} at ${c.oid.slice(0, 12)})`);
      }
    }
    for (const { path, fs } of deletedFiles) {
      const text = fs.owned ? (await this.text(fs).catch(() => null))?.lines ?? [] : [];
      fs.owners.forEach((o, i) => {
        if (o) removed.push({ o, text: text[i] ?? '', from: path, i, lineage: null, hunkAdded: null, fileDeleted: true });
      });
    }

    const mutable = (t: string): FileState => {
      const fs = files.get(t)!;
      if (mine.has(fs)) return fs;
      const copy = { ...fs, owners: [...fs.owners], watch: [...fs.watch] };
      files.set(t, copy);
      mine.add(copy);
      return copy;
    };

    // 3. Anchors recorded at this commit claim their lines.
    const claimed = new Set<Owner>();
    for (const p of here) {
      const anchor = anchors[p]!;
      const patch = patches[p]!;
      if (!files.has(anchor.path)) continue;
      const fs = mutable(anchor.path);
      // Read once: a stored patch's lines are behind a getter.
      const added = patch.added;
      if (added.length === 0) {
        if (patch.removed.length > 0 && !fs.watch.includes(p)) fs.watch.push(p);
        continue;
      }
      // A fuzzy anchor's lines need not be the step's text: a line the commit holds differently was
      // edited before it landed, by whoever made the commit (no step wrote that text).
      const committed = anchor.firmness === 'exact' ? null : (await this.text(fs)).lines;
      anchor.lines.forEach((line, j) => {
        // Entry j holds added line k (only some of the lines may have landed).
        const k = anchor.addedIndex?.[j] ?? j;
        const idx = line - 1;
        if (idx < 0 || idx >= fs.owners.length || k >= added.length) return;
        const differs = committed !== null && committed[idx] !== added[k];
        const cur = fs.owners[idx] ?? null;
        let prev: Owner | null = null;
        if (cur && cur.p !== p) {
          const base = editBase.get(cur) ?? cur;
          prev = { ...base, edited: true, other: base.other || patches[base.p]!.traceId !== patch.traceId };
        }
        const o: Owner = { p, k, edited: differs, moved: false, other: differs, prev };
        claimed.add(o);
        if (!cur) fs.owned++;
        fs.owners[idx] = o;
        let fr = fresh.get(anchor.path);
        if (!fr) fresh.set(anchor.path, (fr = new LineSet(fs.owners.length)));
        fr.add(idx);
      });
    }

    // 4. Blocks moved across files (removed here, added in another file of the same commit).
    const consumed = new Set<Removed>();
    if (removed.length && !merge) await this.moves(c, removed, consumed, files, fresh, deltas[0] ?? null, claimed, mutable, mine);

    // 5. Removals: a revert or a deletion.
    let gone = priorGone;
    const watchGone = (path: string, p: number) => {
      const list = gone?.get(path) ?? [];
      if (list.includes(p)) return;
      gone = new Map(gone ?? []);
      gone.set(path, [...list, p]);
    };
    let present: Set<number> | null = null;
    // Whether a removal reverts its patch: once per hunk (or deleted file) and patch, not per line.
    const reverts = new Map<string[] | boolean, Map<number, boolean>>();
    for (const r of removed) {
      if (consumed.has(r)) continue;
      if (merge) {
        present ??= presentKeys(files);
        if (present.has(r.o.p * 2 ** 21 + r.o.k)) continue;
      }
      const where = r.hunkAdded ?? r.fileDeleted;
      let byPatch = reverts.get(where);
      if (!byPatch) reverts.set(where, (byPatch = new Map()));
      let revert = byPatch.get(r.o.p);
      if (revert === undefined) byPatch.set(r.o.p, (revert = this.isRevert(c, r.o.p, r.hunkAdded, r.fileDeleted)));
      records.setRemoval(r.o.p, c.oid, r.fileDeleted, revert);
      records.setRevived(r.o.p, null);
      if (revert && r.lineage && files.has(r.lineage)) {
        const fs = mutable(r.lineage);
        if (!fs.watch.includes(r.o.p)) fs.watch.push(r.o.p);
      } else if (revert && r.fileDeleted) watchGone(r.from, r.o.p);
    }

    // 6. Lines coming back: pure deletions undone, reverted patches revived (in watched files with
    // fresh lines, in the order of the files).
    const watched: string[] = [];
    files.forEach((fs, t) => {
      if (fs.watch.length && fresh.get(t)?.size) watched.push(t);
    });
    for (const t of watched) {
      const fs0 = files.get(t)!;
      const fr = fresh.get(t)!;
      // Copied (`mutable`) only once a patch comes back: most commits bring none back.
      let fs = fs0;
      const text = (await this.text(fs)).lines;
      const freshHere: FreshLines = { set: fr, byText: null };
      // The list as it was: a patch that comes back is filtered into a new list, never spliced out of this one.
      for (const p of fs0.watch) {
        const patch = patches[p]!;
        // Only a run of as many fresh lines as the patch has can be it: counted first, so a commit
        // with fewer fresh lines does not read the patch's (a stored patch's are read from its file).
        const n = addedCount(patch) || removedCount(patch);
        if (n === 0 || n > fr.size) continue;
        // Read once: a stored patch's lines are behind a getter.
        const added = patch.added;
        const want = added.length ? added : patch.removed;
        const at = findFreshRun(text, want, freshHere, added.length ? fs.owners : null);
        if (at < 0) continue;
        fs = mutable(t);
        fs.watch = fs.watch.filter((x) => x !== p);
        if (added.length === 0) {
          records.setComeback(p, c.oid);
          continue;
        }
        // The run was found on lines no one owned.
        for (let k = 0; k < want.length; k++) fs.owners[at + k] = { p, k, edited: false, moved: false, other: false, prev: null };
        fs.owned += want.length;
        records.setRevived(p, c.oid);
        records.setRemoval(p, null);
      }
    }

    // 6b. A file a revert deleted, created again (a revert of the revert): its patches come back.
    if (gone?.size && !merge) {
      for (const [path, waiting] of [...gone]) {
        const delta = deltas[0]?.get(path);
        if (!delta?.newOid || delta.oldOid || !isFile(delta.newMode)) continue;
        const text = await this.lines(delta.newOid);
        let fs = files.get(path) ?? null;
        let left = waiting;
        for (const p of waiting) {
          const added = patches[p]!.added;
          if (!added.length) continue;
          // Every line of a file created again is new.
          const at = findFreshRun(text.lines, added, null, fs?.owners ?? null);
          if (at < 0) continue;
          if (!fs) {
            fs = { oid: delta.newOid, text, owners: new Array(text.lines.length).fill(null), owned: 0, watch: [] };
            files.set(path, fs);
            mine.add(fs);
          } else fs = mutable(path);
          for (let k = 0; k < added.length; k++) fs.owners[at + k] = { p, k, edited: false, moved: false, other: false, prev: null };
          fs.owned += added.length;
          records.setRevived(p, c.oid);
          records.setRemoval(p, null);
          left = left.filter((x) => x !== p);
        }
        if (left.length !== waiting.length) {
          gone = new Map(gone);
          if (left.length) gone.set(path, left);
          else gone.delete(path);
        }
      }
    }

    // Unchanged tracked files of the first parent are carried over by `targets` (identical sources).
    files.forEach((fs, t) => {
      if (fs.owned === 0 && fs.watch.length === 0) files.delete(t);
    });
    const out: LineState = gone?.size ? { files, gone } : { files };
    this.onCommit?.(c, pstates[0] ?? EMPTY_STATE, out);
    return out;
  }

  /** The deleted file each new path of a commit came from, by path (`renameSources`, as git blame finds it), where one of the `tracked` files could be. */
  private async renames(d: Map<string, TreeDelta>, tracked: ReadonlyMap<string, FileState>): Promise<Map<string, string>> {
    const added = [...d.values()].filter((x) => x.newOid && isFile(x.newMode) && !(x.oldOid && isFile(x.oldMode)));
    const deleted = [...d.values()].filter((x) => x.oldOid && isFile(x.oldMode) && !(x.newOid && isFile(x.newMode)));
    // (A binary blob has no lines to compare: only an exact rename follows it, as in capture's diff.)
    const found = await renameSources(
      added,
      deleted,
      async (x, side) => {
        const l = await this.lines(side === 'old' ? x.oldOid! : x.newOid!);
        return l === BINARY ? null : l.lines;
      },
      (x) => tracked.has(x.path),
    );
    return new Map([...found].map(([to, from]) => [to.path, from.path]));
  }

  private async target(
    c: HistCommit,
    t: string,
    srcs: (Source | null)[],
    deltas: (Map<string, TreeDelta> | null)[],
    editBase: Map<Owner, Owner>,
  ): Promise<{ fs: FileState; fresh: LineSet; removed: Removed[]; shared: boolean } | null> {
    // git blame: a parent holding the very same blob takes the whole file.
    const same = srcs.find((s) => s?.identical);
    if (same) {
      if (same.fs) return { fs: same.fs, fresh: new LineSet(), removed: [], shared: true };
      const text = await this.lines(same.oid);
      return { fs: { oid: same.oid, text, owners: new Array(text.lines.length).fill(null), owned: 0, watch: [] }, fresh: new LineSet(), removed: [], shared: false };
    }
    let newOid: string | null = null;
    for (const d of deltas) {
      const x = d?.get(t);
      if (x?.newOid) {
        newOid = x.newOid;
        break;
      }
    }
    newOid ??= await this.blobAt(c.tree, t);
    if (!newOid) return null;
    const text = await this.lines(newOid);
    const n = text.lines.length;
    const owners: (Owner | null | undefined)[] = new Array(n).fill(undefined);
    const sides: { src: Source; old: Lines; hunks: LineHunk[]; kept: Uint8Array }[] = [];
    for (const s of srcs) {
      if (!s) continue;
      const old = s.fs ? await this.text(s.fs) : await this.lines(s.oid);
      const hunks = diffLines(old, text);
      const kept = new Uint8Array(old.lines.length);
      let i = 0;
      let j = 0;
      const so = s.fs?.owners ?? null;
      const keep = (until: number) => {
        while (j < until) {
          if (owners[j] === undefined) {
            owners[j] = so?.[i] ?? null;
            kept[i] = 1;
          }
          i++;
          j++;
        }
      };
      for (const h of hunks) {
        keep(h.newStart);
        i += h.oldCount;
        j += h.newCount;
      }
      keep(n);
      sides.push({ src: s, old, hunks, kept });
    }
    // Edited lines: a changed line paired with a removed owned line of the same hunk.
    for (const side of sides) {
      const so = side.src.fs?.owners;
      if (!so || !side.src.fs!.owned) continue;
      for (const h of side.hunks) {
        // A hunk that restores a patch's before-content undoes it: its lines are removed, not edited.
        const undone = new Set<number>();
        const checked = new Set<number>();
        // The hunk's new lines, copied for the first patch with before-content to look for.
        let hunkNew: string[] | null = null;
        for (let i = h.oldStart; i < h.oldStart + h.oldCount; i++) {
          const o = so[i];
          if (!o || checked.has(o.p)) continue;
          checked.add(o.p);
          const before = this.input.patches[o.p]!.removed;
          if (before.length && containsRun((hunkNew ??= text.lines.slice(h.newStart, h.newStart + h.newCount)), before) >= 0) undone.add(o.p);
        }
        const rem: number[] = [];
        for (let i = h.oldStart; i < h.oldStart + h.oldCount; i++) if (so[i] && !side.kept[i] && !undone.has(so[i]!.p)) rem.push(i);
        const add: number[] = [];
        for (let j = h.newStart; j < h.newStart + h.newCount; j++) if (owners[j] === undefined) add.push(j);
        if (!rem.length || !add.length) continue;
        const pair = (j: number, i: number) => {
          const o = so[i]!;
          const e: Owner = { ...o, edited: true, other: o.other || !this.sameAuthor(c, o.p) };
          editBase.set(e, o);
          owners[j] = e;
          side.kept[i] = 1;
          this.input.records.setChange(o.p, c.oid);
        };
        if (rem.length * add.length > 4000) {
          for (let x = 0; x < Math.min(rem.length, add.length); x++) {
            if (lineSimilarity(side.old.lines[rem[x]!]!, text.lines[add[x]!]!) >= EDIT_SIMILARITY) pair(add[x]!, rem[x]!);
          }
          continue;
        }
        let lo = 0;
        // Each line's bigrams once, for every line it is compared with.
        const removedBigrams: BigramProfile[] = [];
        for (const j of add) {
          // Every removed line is behind the last pairing: no later added line can pair.
          if (lo >= rem.length) break;
          let best = -1;
          let bs = EDIT_SIMILARITY;
          const added = bigramProfile(text.lines[j]!);
          for (let r = lo; r < rem.length; r++) {
            const removedProfile = (removedBigrams[r] ??= bigramProfile(side.old.lines[rem[r]!]!));
            // A line too unlike in length to reach (or, once one is found, beat) the best is not compared.
            const most = similarityBound(removedProfile, added);
            if (most < bs || (best >= 0 && most <= bs)) continue;
            const s = profileSimilarity(removedProfile, added);
            if (s >= bs && (best < 0 || s > bs)) {
              best = r;
              bs = s;
              if (s === 1) break;
            }
          }
          if (best >= 0) {
            pair(j, rem[best]!);
            lo = best + 1;
          }
        }
      }
    }
    const fresh = new LineSet(n);
    let owned = 0;
    for (let j = 0; j < n; j++) {
      if (owners[j] === undefined) {
        owners[j] = null;
        fresh.add(j);
      } else if (owners[j]) owned++;
    }
    const removed: Removed[] = [];
    const first = sides[0];
    if (first && first.src === srcs[0] && first.src.fs) {
      const so = first.src.fs.owners;
      for (const h of first.hunks) {
        // The hunk's added lines, copied once for all its removed lines, and only for a hunk that removed owned lines.
        let added: string[] | null = null;
        for (let i = h.oldStart; i < h.oldStart + h.oldCount; i++) {
          const o = so[i];
          if (o && !first.kept[i]) removed.push({ o, text: first.old.lines[i]!, from: first.src.path, i, lineage: t, hunkAdded: (added ??= text.lines.slice(h.newStart, h.newStart + h.newCount)), fileDeleted: false });
        }
      }
    }
    // A file's watch list holds each patch once: only lists of several sources are merged.
    const watches = srcs.flatMap((s) => (s?.fs?.watch.length ? [s.fs.watch] : []));
    const watch = watches.length > 1 ? [...new Set(watches.flat())] : [...(watches[0] ?? [])];
    return {
      fs: { oid: newOid, text, owners: owners as (Owner | null)[], owned, watch },
      fresh,
      removed,
      shared: false,
    };
  }

  private async moves(
    c: HistCommit,
    removed: Removed[],
    consumed: Set<Removed>,
    files: Map<string, FileState>,
    fresh: Map<string, LineSet>,
    delta: Map<string, TreeDelta> | null,
    claimed: Set<Owner>,
    mutable: (t: string) => FileState,
    mine: Set<FileState>,
  ): Promise<void> {
    // Every file this commit added lines to is a possible destination.
    if (delta) {
      for (const d of delta.values()) {
        if (!d.newOid || d.newMode === MODE.gitlink || files.has(d.path)) continue;
        try {
          const text = await this.lines(d.newOid);
          const old = d.oldOid ? await this.lines(d.oldOid) : { lines: [], noEol: false };
          const fr = new LineSet(text.lines.length);
          for (const h of diffLines(old, text)) for (let j = h.newStart; j < h.newStart + h.newCount; j++) fr.add(j);
          if (!fr.size) continue;
          const nfs: FileState = { oid: d.newOid, text, owners: new Array(text.lines.length).fill(null), owned: 0, watch: [] };
          files.set(d.path, nfs);
          mine.add(nfs);
          fresh.set(d.path, fr);
        } catch {
          /* an unreadable destination is no destination */
        }
      }
    }
    // Removed lines in order per source file, indexed by text.
    removed.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.i - b.i));
    const byText = new Map<string, number[]>();
    removed.forEach((r, x) => {
      const l = byText.get(r.text);
      if (l) l.push(x);
      else byText.set(r.text, [x]);
    });
    // A line moves to another file: the file all removed lines come from, when they all come from
    // one, is no destination (a commit that rewrites one file is not searched line by line for
    // moves into itself).
    const lineage = removed[0]!.lineage;
    const onlyFrom = removed.every((r) => r.lineage === lineage) ? lineage : undefined;
    // In the order of the files (files carried over have no fresh lines).
    const destinations: string[] = [];
    files.forEach((_, t) => {
      if (fresh.get(t)?.size && t !== onlyFrom) destinations.push(t);
    });
    for (const t of destinations) {
      const fs0 = files.get(t)!;
      const fr = fresh.get(t)!;
      const text = (await this.text(fs0)).lines;
      const idx = fr.ordered();
      for (let s = 0; s < idx.length; s++) {
        const j = idx[s]!;
        const o = fs0.owners[j];
        if (o && !(claimed.has(o) && !o.prev)) continue;
        let best = -1;
        let bestLen = 0;
        for (const x of byText.get(text[j]!) ?? []) {
          const r = removed[x]!;
          if (r.lineage === t || consumed.has(r)) continue;
          let len = 1;
          while (
            x + len < removed.length &&
            fr.has(j + len) &&
            removed[x + len]!.from === r.from &&
            removed[x + len]!.i === r.i + len &&
            !consumed.has(removed[x + len]!) &&
            removed[x + len]!.text === text[j + len]
          ) {
            const on = files.get(t)!.owners[j + len];
            if (on && !(claimed.has(on) && !on.prev)) break;
            len++;
          }
          if (len > bestLen) {
            best = x;
            bestLen = len;
          }
        }
        if (best < 0) continue;
        let chars = 0;
        for (let q = 0; q < bestLen; q++) chars += alnum(removed[best + q]!.text);
        if (bestLen < MOVE_MIN_LINES && chars < MOVE_MIN_ALNUM) continue;
        const fs = mutable(t);
        for (let q = 0; q < bestLen; q++) {
          const r = removed[best + q]!;
          consumed.add(r);
          const mv: Owner = { ...r.o, moved: true };
          const cur = fs.owners[j + q];
          fs.owners[j + q] = cur ? { ...cur, prev: mv } : mv;
          if (!cur) fs.owned++;
          this.input.records.setChange(r.o.p, c.oid);
        }
        s += bestLen - 1;
      }
    }
  }
}

/** Every (patch, line) still held somewhere in the files (a merge may keep a line through another parent). */
function presentKeys(files: Map<string, FileState>): Set<number> {
  const out = new Set<number>();
  for (const fs of files.values()) for (const x of fs.owners) for (let y: Owner | null = x; y; y = y.prev) out.add(y.p * 2 ** 21 + y.k);
  return out;
}

/** Index of the first occurrence of `want` as a contiguous run in `lines`, or -1. */
export function containsRun(lines: string[], want: string[]): number {
  if (!want.length) return -1;
  const last = lines.length - want.length;
  return firstAt(lines, want[0]!, (i) => i <= last && runAt(lines, want, i));
}

/** Whether `want` is at `i` of `lines` (its first line known to be). */
function runAt(lines: string[], want: string[], i: number): boolean {
  let k = 1;
  while (k < want.length && lines[i + k] === want[k]) k++;
  return k === want.length;
}

/**
 * The first position of `line` in `lines` that `fits`, or -1: by the array's index when it has one
 * (`linePositions`), else by the engine's own search (much faster than a loop here).
 */
function firstAt(lines: string[], line: string, fits: (i: number) => boolean): number {
  const at = linePositions(lines);
  if (at) {
    for (const i of at.get(line) ?? []) if (fits(i)) return i;
    return -1;
  }
  for (let i = lines.indexOf(line); i >= 0; i = lines.indexOf(line, i + 1)) if (fits(i)) return i;
  return -1;
}

/** Lines past which an array searched again is indexed (below, a scan is as fast). */
const INDEX_FROM = 256;
const positions = new WeakMap<string[], Map<string, number[]> | null>();
/**
 * The positions of each line of `lines`, by text, for a long array searched more than once (a
 * rewritten file's hunk is searched for the before-content of every patch it replaces, hundreds
 * of scans of thousands of lines); null on the first search, as most arrays get only one. The
 * arrays searched are never changed once made (a file's lines, a hunk's).
 */
function linePositions(lines: string[]): Map<string, number[]> | null {
  if (lines.length < INDEX_FROM) return null;
  const known = positions.get(lines);
  if (known) return known;
  if (known === undefined) {
    positions.set(lines, null);
    return null;
  }
  const at = positionsByText(lines, lines.keys());
  positions.set(lines, at);
  return at;
}

/** The positions `at` (ascending) of `lines`, by their line's text. */
function positionsByText(lines: string[], at: Iterable<number>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const i of at) {
    const xs = out.get(lines[i]!);
    if (xs) xs.push(i);
    else out.set(lines[i]!, [i]);
  }
  return out;
}

/** The first run of `want` on lines new in the commit (every line when `fresh` is null), none of them owned (when `owners` is given), or -1. */
function findFreshRun(lines: string[], want: string[], fresh: FreshLines | null, owners: (Owner | null)[] | null): number {
  if (!want.length) return -1;
  const fits = (start: number): boolean => {
    if (start + want.length > lines.length) return false;
    for (let k = 0; k < want.length; k++) {
      if ((fresh && !fresh.set.has(start + k)) || lines[start + k] !== want[k] || (owners && owners[start + k])) return false;
    }
    return true;
  };
  if (!fresh) return firstAt(lines, want[0]!, fits);
  fresh.byText ??= positionsByText(lines, fresh.set.ordered());
  for (const start of fresh.byText.get(want[0]!) ?? []) if (fits(start)) return start;
  return -1;
}

/**
 * Line indexes of one file, as a flag per line: the lines a commit added to a file (a few in a long
 * file, or all of a short one), asked about line by line and listed in order.
 */
class LineSet {
  private flags: Uint8Array;
  size = 0;
  /** `lines`: the file's length, when known (the set grows to any index added). */
  constructor(lines = 0) {
    this.flags = new Uint8Array(lines);
  }

  has(j: number): boolean {
    return this.flags[j] === 1;
  }

  add(j: number): void {
    if (j >= this.flags.length) {
      const grown = new Uint8Array(Math.max(j + 1, 2 * this.flags.length));
      grown.set(this.flags);
      this.flags = grown;
    }
    if (this.flags[j] === 0) {
      this.flags[j] = 1;
      this.size++;
    }
  }

  /** The indexes, ascending. */
  ordered(): number[] {
    const out: number[] = [];
    for (let j = 0; out.length < this.size; j++) if (this.flags[j] === 1) out.push(j);
    return out;
  }
}

/**
 * A file's lines new in a commit: as a set, and by their text in order (made on the first search,
 * once for all the patches looked for there).
 */
interface FreshLines {
  set: LineSet;
  byText: Map<string, number[]> | null;
}
