const FILE_DELETED = 1;
const REVERT = 2;

/**
 * What the forward pass records of each patch (by the pass's patch index): the last commit that
 * removed lines of it (whether it deleted the file, whether it was a revert), the last that edited
 * or moved them (`change`), the revert of the revert that brought them back (`revived`), the commit
 * that brought a pure deletion's lines back (`comeback`), and why it cannot be judged (`unknown`).
 *
 * Kept in columns of integers naming commits by index, not as an object per patch: a checkpoint's
 * records (thousands, in an update) are copied in from its integers and out again, and a pass
 * keeps a copy of all of them at each checkpoint commit.
 */
export class PatchRecords {
  /** The commits the records name, and each one's index. */
  readonly #commits: string[];
  readonly #commitIndex: Map<string, number>;
  /** Commit index of each patch's removal, change, revival, comeback; -1 for none. */
  readonly #removal: Int32Array;
  readonly #flags: Uint8Array;
  readonly #change: Int32Array;
  readonly #revived: Int32Array;
  readonly #comeback: Int32Array;
  /** Why a patch cannot be judged, for the few that cannot. */
  readonly #unknown: Map<number, string>;
  /** 1 for each patch whose record was set since `track` (null: not tracked). */
  #touched: Uint8Array | null = null;

  constructor(
    /** How many patches. */
    readonly size: number,
    from?: PatchRecords,
  ) {
    if (from) {
      this.#commits = [...from.#commits];
      this.#commitIndex = new Map(from.#commitIndex);
      this.#removal = from.#removal.slice();
      this.#flags = from.#flags.slice();
      this.#change = from.#change.slice();
      this.#revived = from.#revived.slice();
      this.#comeback = from.#comeback.slice();
      this.#unknown = new Map(from.#unknown);
      return;
    }
    this.#commits = [];
    this.#commitIndex = new Map();
    this.#removal = new Int32Array(size).fill(-1);
    this.#flags = new Uint8Array(size);
    this.#change = new Int32Array(size).fill(-1);
    this.#revived = new Int32Array(size).fill(-1);
    this.#comeback = new Int32Array(size).fill(-1);
    this.#unknown = new Map();
  }

  /** A copy, as the records are now. */
  clone(): PatchRecords {
    return new PatchRecords(this.size, this);
  }

  /** The index of a commit in the records' table, added when new. */
  commitIndex(commit: string): number {
    let x = this.#commitIndex.get(commit);
    if (x === undefined) {
      this.#commitIndex.set(commit, (x = this.#commits.length));
      this.#commits.push(commit);
    }
    return x;
  }

  #at(x: number): string | null {
    return x < 0 ? null : this.#commits[x]!;
  }
  /** The index of a commit, -1 for none (`#at`'s inverse). */
  #indexOf(commit: string | null): number {
    return commit === null ? -1 : this.commitIndex(commit);
  }

  /** The commit of the patch's last removal (null: none). */
  removalCommit(p: number): string | null {
    return this.#at(this.#removal[p]!);
  }
  /** Whether the last removal was a revert (false: none, or not a revert). */
  removedByRevert(p: number): boolean {
    return this.#removal[p]! >= 0 && (this.#flags[p]! & REVERT) !== 0;
  }
  /** Whether the last removal deleted the file (false: none, or not). */
  removedWithFile(p: number): boolean {
    return this.#removal[p]! >= 0 && (this.#flags[p]! & FILE_DELETED) !== 0;
  }
  change(p: number): string | null {
    return this.#at(this.#change[p]!);
  }
  revived(p: number): string | null {
    return this.#at(this.#revived[p]!);
  }
  comeback(p: number): string | null {
    return this.#at(this.#comeback[p]!);
  }
  unknown(p: number): string | null {
    return this.#unknown.get(p) ?? null;
  }

  /** Sets patch p's removal (a null commit: none). */
  setRemoval(p: number, commit: string | null, fileDeleted = false, revert = false): void {
    this.#touch(p);
    this.#removal[p] = this.#indexOf(commit);
    this.#flags[p] = commit === null ? 0 : (fileDeleted ? FILE_DELETED : 0) | (revert ? REVERT : 0);
  }
  setChange(p: number, commit: string | null): void {
    this.#touch(p);
    this.#change[p] = this.#indexOf(commit);
  }
  setRevived(p: number, commit: string | null): void {
    this.#touch(p);
    this.#revived[p] = this.#indexOf(commit);
  }
  setComeback(p: number, commit: string | null): void {
    this.#touch(p);
    this.#comeback[p] = this.#indexOf(commit);
  }
  /** Marks a patch as one that cannot be judged, for `reason`, unless it already is (the first reason stays). */
  noteUnknown(p: number, reason: string): void {
    if (!this.#unknown.has(p)) this.#unknown.set(p, reason);
  }

  /** Whether any record of patch p names `commit` (its removal, revival or comeback). */
  names(p: number, commit: string): boolean {
    const x = this.#commitIndex.get(commit);
    return x !== undefined && (this.#removal[p] === x || this.#revived[p] === x || this.#comeback[p] === x);
  }

  /**
   * Each patch that has a record, in patch order: its removal, change, revival and comeback as
   * commit indexes (-1: none; `commitAt` gives the commit) and its removal's flags (1 the file
   * deleted, 2 a revert).
   */
  eachRecorded(visit: (p: number, removal: number, flags: number, change: number, revived: number, comeback: number) => void): void {
    for (let p = 0; p < this.size; p++) {
      const r = this.#removal[p]!;
      const ch = this.#change[p]!;
      const rv = this.#revived[p]!;
      const cb = this.#comeback[p]!;
      if (r >= 0 || ch >= 0 || rv >= 0 || cb >= 0) visit(p, r, this.#flags[p]!, ch, rv, cb);
    }
  }
  #touch(p: number): void {
    if (this.#touched) this.#touched[p] = 1;
  }
  /** From now on, note each patch whose record is set (`eachTouched`). */
  track(): void {
    this.#touched = new Uint8Array(this.size);
  }
  /** Whether `track` was called (on these records: a copy does not track). */
  get tracked(): boolean {
    return this.#touched !== null;
  }
  /** Each patch whose record was set since `track` (to the same value or not), in patch order, as `eachRecorded` gives it (-1s: none). */
  eachTouched(visit: (p: number, removal: number, flags: number, change: number, revived: number, comeback: number) => void): void {
    const t = this.#touched;
    if (!t) return;
    for (let p = 0; p < this.size; p++) if (t[p]) visit(p, this.#removal[p]!, this.#flags[p]!, this.#change[p]!, this.#revived[p]!, this.#comeback[p]!);
  }
  /** How many patches `eachTouched` visits. */
  get touchedCount(): number {
    let n = 0;
    if (this.#touched) for (let p = 0; p < this.size; p++) n += this.#touched[p]!;
    return n;
  }
  /** How many commits the table holds (indexes are below it). */
  get commitCount(): number {
    return this.#commits.length;
  }
  /** The commit of an index `eachRecorded` gave. */
  commitAt(x: number): string {
    return this.#commits[x]!;
  }
  /** The patches that cannot be judged, and why. */
  get unknowns(): ReadonlyMap<number, string> {
    return this.#unknown;
  }

  /**
   * Puts in patch p's record as a checkpoint stores it: commit indexes into `table` (the indexes
   * of its commits in these records, `commitIndex`), -1 for none. Throws on an index out of range.
   */
  put(p: number, table: Int32Array, removal: number, flags: number, change: number, revived: number, comeback: number): void {
    const n = table.length;
    if (removal >= n || change >= n || revived >= n || comeback >= n) throw new Error('commit index out of range');
    this.#touch(p);
    this.#removal[p] = removal < 0 ? -1 : table[removal]!;
    this.#flags[p] = removal < 0 ? 0 : flags & (FILE_DELETED | REVERT);
    this.#change[p] = change < 0 ? -1 : table[change]!;
    this.#revived[p] = revived < 0 ? -1 : table[revived]!;
    this.#comeback[p] = comeback < 0 ? -1 : table[comeback]!;
  }
}
