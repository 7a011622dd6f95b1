import * as nodeFs from 'node:fs';
import { deflateSync } from 'node:zlib';
import git from 'isomorphic-git';
import { gitArgs, type Repo } from './repo.js';
import { atomicWriteFileSync, closeHeld, gitFs, keepOpenWith, openToRead, readAt, sync } from './fs.js';
import { BadObjectError, EMPTY_TREE, hashObject, openLooseObject, parseCommit, parseTree, renderCommit, tagTarget, unwrapObject, type Commit, type ObjectType, type Person, type ReadTreeEntry } from './object-format.js';

/**
 * Writes an object and returns its id. We hash and deflate with node (fast, synchronous) and hand
 * isomorphic-git the deflated bytes; it skips objects already stored loose. With the default client,
 * an object already stored loose is found before deflating, and isomorphic-git writes through the
 * synchronous client below (a snapshot writes thousands of small objects).
 */
export async function writeObject(repo: Repo, type: ObjectType, content: Uint8Array, knownOid?: string): Promise<string> {
  const oid = knownOid ?? hashObject(type, content);
  const fast = repo.fs === gitFs;
  if (fast && nodeFs.existsSync(`${repo.commonDir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`)) return oid;
  const header = `${type} ${content.length}\0`;
  const wrapped = Buffer.allocUnsafe(header.length + content.length);
  wrapped.write(header, 0, 'latin1');
  wrapped.set(content, header.length);
  await git.writeObject({ fs: fast ? writeFs : repo.fs, gitdir: repo.commonDir, type, object: deflateSync(wrapped, { level: 1 }), format: 'deflated', oid });
  return oid;
}

const NO_FILE = Promise.reject(Object.assign(new Error('no such file'), { code: 'ENOENT' }));
NO_FILE.catch(() => {});
const LOOSE = /[\\/]objects[\\/][0-9a-f]{2}[\\/][0-9a-f]{38}$/;
/** Loose-object reads of a command made by opening the file, before its directories are listed instead. */
const DIRECT_READS = 32;
const readFileSync = gitFs.promises.readFile;
/**
 * The client isomorphic-git writes objects through with the default client: its reads and stats
 * are synchronous already; so are its writes here (still atomic: temp file, then rename).
 */
const writeFs = {
  promises: {
    ...gitFs.promises,
    mkdir: sync(nodeFs.mkdirSync),
    writeFile: sync(atomicWriteFileSync as (...a: never[]) => void),
  },
} as unknown as Repo['fs'];

interface ParsedTree {
  entries: ReadTreeEntry[];
  byName: Map<string, ReadTreeEntry> | null;
}
interface ReadClient {
  base: Repo['fs'];
  fs: Repo['fs'];
  /** The same client without the listings kept for the command (for the retry of a miss). */
  direct: Repo['fs'];
  packs: Map<string, string[]>;
  commits: Map<string, Commit>;
  trees: Map<string, ParsedTree>;
  /** Pack files whose isomorphic-git index got a bounded object cache (see `tunePacks`). */
  tuned: Set<string>;
  /** Listings of the loose-object directories (`objects/ab`) read so far. */
  loose: Map<string, Set<string>>;
  /** isomorphic-git's pack indexes in the command's cache, once it has read a pack. */
  packIndexes: Map<unknown, unknown> | null;
}
/**
 * The client isomorphic-git reads objects through: `gitFs`'s synchronous calls, with listings kept
 * for the command (one Repo). The listing of `objects/pack` is dropped and read again when an object
 * is not found (a concurrent repack). Writes keep the atomic client. A repository opened with
 * another client (tests inject faults) keeps its own.
 */
const clients = new WeakMap<object, ReadClient>();
function readClient(repo: Repo): ReadClient {
  let c = clients.get(repo.cache);
  if (c && c.base === repo.fs) return c;
  const packs = new Map<string, string[]>();
  const { readdir, stat } = gitFs.promises;
  let gitdirStat: Promise<unknown> | null = null;
  const loose = new Map<string, Set<string>>();
  // Every read probes the loose objects first; most objects are packed, and a failed open costs a
  // system call and an exception. A loose-object directory is listed once per command instead (an
  // object written since then is found by the retry of `withReadClient`, which reads directly).
  // The command's first reads open the file directly: an update reads a few objects, new and loose,
  // and listing a directory for each costs more than the opens a command of many reads would waste.
  let directReads = 0;
  const readFile = (p: unknown, ...rest: unknown[]): Promise<unknown> => {
    if (typeof p !== 'string' || !LOOSE.test(p)) return readFileSync(p, ...rest);
    const d = p.slice(0, -39);
    let names = loose.get(d);
    if (!names && directReads < DIRECT_READS) {
      directReads++;
      return readFileSync(p, ...rest);
    }
    if (!names) {
      try {
        names = new Set(nodeFs.existsSync(d) ? nodeFs.readdirSync(d) : []);
      } catch {
        names = new Set();
      }
      loose.set(d, names);
    }
    return names.has(p.slice(-38)) ? readFileSync(p, ...rest) : NO_FILE;
  };
  const fs =
    repo.fs === gitFs
      ? ({
          promises: {
            ...gitFs.promises,
            readFile,
            // The git dir is looked up (stat) on every call; it does not change within a command.
            stat: (p: unknown, ...rest: unknown[]) => {
              if (p !== repo.commonDir || rest.length) return stat(p, ...rest);
              gitdirStat ??= stat(p);
              return gitdirStat;
            },
            readdir: async (p: unknown, ...rest: unknown[]) => {
              if (typeof p !== 'string' || !p.endsWith('objects/pack') || rest.length) return readdir(p, ...rest);
              let hit = packs.get(p);
              if (!hit) {
                packs.set(p, (hit = await readdir(p)));
                // The first look into the packs: a window on each before any object is read (`windowPacks`).
                if (hit.some((n) => n.endsWith('.idx'))) await windowPacks(repo, fs);
              }
              return hit;
            },
          },
        } as unknown as Repo['fs'])
      : repo.fs;
  const direct = repo.fs === gitFs ? ({ promises: { ...(fs as typeof gitFs).promises, readFile: readFileSync, readdir } } as unknown as Repo['fs']) : repo.fs;
  c = { base: repo.fs, fs, direct, packs, commits: new Map(), trees: new Map(), tuned: new Set(), loose, packIndexes: null };
  clients.set(repo.cache, c);
  return c;
}

/** One isomorphic-git read through the read client; a miss is retried once reading the directories again. */
async function withReadClient<T>(repo: Repo, f: (args: ReturnType<typeof gitArgs>) => Promise<T>): Promise<T> {
  const c = readClient(repo);
  try {
    return await f({ ...gitArgs(repo), fs: c.fs });
  } catch (err) {
    if (c.packs.size === 0 && c.loose.size === 0) throw err;
    c.packs.clear();
    return f({ ...gitArgs(repo), fs: c.direct });
  } finally {
    if (!c.packIndexes || c.packIndexes.size !== c.tuned.size) await tunePacks(repo, c);
  }
}

/** An object id no object has: looking it up loads every pack index, and reads no pack. */
const NO_OBJECT = '0'.repeat(40);
/** Objects read through a window before its pack is read whole (a command that reads this many reads many more). */
const WINDOW_READS = 512;
/** Objects read through a window before its pack's offsets are sorted (`PackWindow.#endOf`). */
const SORT_AFTER = 16;

interface PackIndexInternals {
  offsets: PackOffsets;
  packfileSha: string;
  readSlice: unknown;
  /** Unset until an object is read from the pack: isomorphic-git then reads the pack whole into it. */
  pack?: Promise<unknown> | null;
  _checksumVerification?: Promise<void>;
}

/**
 * isomorphic-git reads a pack whole the first time a command reads an object from it, copies it, and
 * hashes all of it to check it: on a clone's 200 MB pack that was half a second added to an update
 * that reads a blob or two of it. Each pack of this command's cache is given a window instead, before
 * the first object is read: its indexes are loaded (a lookup of an object no pack has), and each
 * index's pack is a `PackWindow`. The pack's trailer is checked against its index, as isomorphic-git
 * checks it first; the hash of its every byte is not (git does not check it on reads either: each
 * object's deflated stream carries a sum, and isomorphic-git checks each object's size). When the
 * internals are not as expected nothing is changed (packs are read whole).
 */
async function windowPacks(repo: Repo, fs: Repo['fs']): Promise<void> {
  await indexesReadInPlace();
  await git.readObject({ ...gitArgs(repo), fs, oid: NO_OBJECT }).catch(() => {});
  const indexes = packIndexes(repo);
  if (!indexes) return;
  for (const [file, pending] of indexes) {
    const p = (await Promise.resolve(pending).catch(() => null)) as Partial<PackIndexInternals> | null;
    if (typeof file !== 'string' || !file.endsWith('.idx') || !p || typeof p !== 'object') continue;
    const offsets = p.offsets;
    if (typeof offsets?.get !== 'function' || typeof offsets.values !== 'function' || typeof p.packfileSha !== 'string' || typeof p.readSlice !== 'function' || p.pack) continue;
    const window = PackWindow.open(file.replace(/idx$/, 'pack'), offsets, p.packfileSha);
    if (!window) continue;
    p.pack = Promise.resolve(window);
    p._checksumVerification = Promise.resolve();
    windows.set(repo.cache, [...packWindows(repo), window]);
  }
}

/**
 * A pack as isomorphic-git reads it (`slice(start)`: the bytes from an object's offset), read from
 * its file an object at a time: from the object's offset to the next object's, by the offsets of its
 * index. After WINDOW_READS objects the pack is read whole, once (a command reading that many, a full
 * survival pass, reads most of the pack). The file is read through one descriptor (a repack that
 * removes the pack meanwhile does not take its bytes away), closed when the pack is read whole or
 * the command's cache goes.
 */
export class PackWindow {
  #fd: number | null;
  #whole: Buffer | null = null;
  /**
   * The objects' offsets: an object ends where the next begins (the last, at the trailer). Sorted
   * once SORT_AFTER objects were read; before, the next offset is found by a scan (a sort of a
   * large pack's offsets, 200,000 of them, took 20 ms: more than an update's few reads).
   */
  #starts: Float64Array | null = null;
  #sorted = false;
  readonly #offsets: PackOffsets;
  readonly size: number;
  /** Objects read through the window, and their bytes (for the bench and tests). */
  reads = 0;
  bytesRead = 0;

  /** Whether its index is read in place (`IndexInPlace`), not parsed whole by isomorphic-git. */
  get indexInPlace(): boolean {
    return this.#offsets instanceof IndexInPlace;
  }

  /** Whether the pack has been read whole. */
  get readWhole(): boolean {
    return this.#whole !== null;
  }

  private constructor(fd: number, size: number, offsets: PackOffsets) {
    this.#fd = fd;
    this.size = size;
    this.#offsets = offsets;
    keepOpenWith(this, fd);
  }

  /** The window on the pack `file`, or null when it cannot be opened or its trailer is not `sha` (isomorphic-git reads it then, and says what is wrong). */
  static open(file: string, offsets: PackOffsets, sha: string): PackWindow | null {
    const fd = openToRead(file);
    if (fd === null) return null;
    try {
      const size = nodeFs.fstatSync(fd).size;
      if (size < 32 || readAt(fd, 20, size - 20).toString('hex') !== sha) {
        nodeFs.closeSync(fd);
        return null;
      }
      return new PackWindow(fd, size, offsets);
    } catch {
      nodeFs.closeSync(fd);
      return null;
    }
  }

  /** The pack's bytes from `start`: to the end of the object there (through the window), or to the end of the pack (once read whole). */
  slice(start: number): Buffer {
    if (this.#whole) return this.#whole.subarray(start);
    const fd = this.#fd!;
    if (this.reads >= WINDOW_READS) {
      this.#whole = readAt(fd, this.size, 0);
      this.#fd = null;
      closeHeld(this, fd);
      return this.#whole.subarray(start);
    }
    const end = this.#endOf(start);
    const bytes = readAt(fd, end - start, start);
    this.reads++;
    this.bytesRead += bytes.length;
    return bytes;
  }

  /** Where the object at `start` ends: the next offset of the index, or the trailer. */
  #endOf(start: number): number {
    const starts = (this.#starts ??= this.#offsets instanceof IndexInPlace ? this.#offsets.offsetTable() : Float64Array.from(this.#offsets.values()));
    if (!this.#sorted && this.reads < SORT_AFTER) {
      let next = this.size - 20;
      for (let i = 0; i < starts.length; i++) if (starts[i]! > start && starts[i]! < next) next = starts[i]!;
      return next;
    }
    if (!this.#sorted) {
      starts.sort();
      this.#sorted = true;
    }
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= start) lo = mid + 1;
      else hi = mid;
    }
    return lo < starts.length ? starts[lo]! : this.size - 20;
  }
}

/** A pack index's objects by id: their offsets in the pack (as isomorphic-git reads them: `has`, `get`, `keys`, `values`). */
interface PackOffsets {
  has(oid: string): boolean;
  get(oid: string): number | undefined;
  keys(): Iterable<string>;
  values(): Iterable<number>;
}

/**
 * A version 2 pack index read in place: an object's offset found by its id's first byte (the fanout
 * table) and a binary search of the sorted ids, as git finds it. isomorphic-git parses an index whole,
 * a hex string and a map entry for each object, on every command that reads a packed object (a
 * third of a second for 500,000 objects); this reads two or three dozen ids per object looked up.
 * Offsets past 2 GiB are read from the index's table of large offsets.
 */
export class IndexInPlace implements PackOffsets {
  readonly size: number;
  readonly packSha: string;
  readonly #idx: Buffer;
  readonly #ids: number;
  readonly #offsets: number;
  readonly #large: number;
  #lastId: string | null = null;
  #lastAt = -1;

  private constructor(idx: Buffer, size: number, large: number) {
    this.#idx = idx;
    this.size = size;
    this.#ids = 8 + 256 * 4;
    // After the ids (20 bytes each) and their CRCs (4 each).
    this.#offsets = this.#ids + 24 * size;
    this.#large = this.#offsets + 4 * size;
    this.packSha = idx.toString('hex', this.#large + 8 * large, this.#large + 8 * large + 20);
  }

  /** The index in `idx`, or null when it is not a whole version 2 index. */
  static of(idx: Uint8Array): IndexInPlace | null {
    const b = Buffer.from(idx.buffer, idx.byteOffset, idx.byteLength);
    if (b.length < 8 + 1024 + 40 || b.readUInt32BE(0) !== 0xff744f63 || b.readUInt32BE(4) !== 2) return null;
    const size = b.readUInt32BE(8 + 255 * 4);
    const offsets = 8 + 1024 + 24 * size;
    if (b.length < offsets + 4 * size + 40) return null;
    let large = 0;
    for (let i = 0; i < size; i++) if (b.readUInt32BE(offsets + 4 * i) & 0x80000000) large++;
    if (b.length !== offsets + 4 * size + 8 * large + 40) return null;
    return new IndexInPlace(b, size, large);
  }

  has(oid: string): boolean {
    return this.#find(oid) >= 0;
  }

  get(oid: string): number | undefined {
    const i = this.#find(oid);
    return i < 0 ? undefined : this.#offsetAt(i);
  }

  *keys(): Iterable<string> {
    for (let i = 0; i < this.size; i++) yield this.#idx.toString('hex', this.#ids + 20 * i, this.#ids + 20 * i + 20);
  }

  *values(): Iterable<number> {
    for (let i = 0; i < this.size; i++) yield this.#offsetAt(i);
  }

  /** Every offset, in the index's order (a loop over its table, not its iterator). */
  offsetTable(): Float64Array {
    const out = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.#offsetAt(i);
    return out;
  }

  #offsetAt(i: number): number {
    const x = this.#idx.readUInt32BE(this.#offsets + 4 * i);
    return x & 0x80000000 ? Number(this.#idx.readBigUInt64BE(this.#large + 8 * (x & 0x7fffffff))) : x;
  }

  /**
   * The index of `oid` among the sorted ids, or -1. Ids are compared by their first four bytes, the
   * rest only where those are equal. isomorphic-git looks an object up three times to read it: the
   * last lookup is kept.
   */
  #find(oid: string): number {
    if (oid === this.#lastId) return this.#lastAt;
    if (typeof oid !== 'string' || oid.length !== 40) return -1;
    const head = Number.parseInt(oid.slice(0, 8), 16);
    if (!(head >= 0)) return -1;
    const idx = this.#idx;
    const first = head >>> 24;
    let lo = first === 0 ? 0 : idx.readUInt32BE(8 + 4 * (first - 1));
    let hi = idx.readUInt32BE(8 + 4 * first);
    let rest: Buffer | null = null;
    let found = -1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.#ids + 20 * mid;
      const x = idx.readUInt32BE(at);
      let c = x < head ? -1 : x > head ? 1 : 0;
      if (c === 0) {
        if (!rest) {
          if (!/^[0-9a-f]{40}$/.test(oid)) return -1;
          rest = Buffer.from(oid.slice(8), 'hex');
        }
        c = idx.compare(rest, 0, 16, at + 4, at + 20);
      }
      if (c === 0) {
        found = mid;
        break;
      }
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    this.#lastId = oid;
    this.#lastAt = found;
    return found;
  }
}

/**
 * isomorphic-git's pack index class made to read version 2 indexes in place (`IndexInPlace`), once
 * a process: the class is taken from an index isomorphic-git makes of a minimal index file (an empty
 * repository of one empty pack index, read through a client of its own), and its `fromIdx` is
 * given the index in place. When the internals are not as expected nothing is changed.
 */
let readInPlace: Promise<void> | null = null;
function indexesReadInPlace(): Promise<void> {
  return (readInPlace ??= (async () => {
    const gitdir = '/ot-pack-index-probe';
    const empty = Buffer.alloc(8 + 1024 + 40);
    empty.writeUInt32BE(0xff744f63, 0);
    empty.writeUInt32BE(2, 4);
    const missing = () => Promise.reject(Object.assign(new Error('no such file'), { code: 'ENOENT' }));
    const promises = {
      ...gitFs.promises,
      readFile: (p: unknown) => (p === `${gitdir}/objects/pack/probe.idx` ? Promise.resolve(empty) : missing()),
      readdir: (p: unknown) => (p === `${gitdir}/objects/pack` ? Promise.resolve(['probe.idx']) : missing()),
      stat: (p: unknown) => (p === gitdir ? Promise.resolve({ isDirectory: () => true, isFile: () => false }) : missing()),
      lstat: missing,
    };
    const cache = {};
    await git.readObject({ fs: { promises } as unknown as Repo['fs'], gitdir, cache, oid: NO_OBJECT }).catch(() => {});
    const probe = { cache } as unknown as Repo;
    const pending = packIndexes(probe)?.get(`${gitdir}/objects/pack/probe.idx`);
    const p = (await Promise.resolve(pending).catch(() => null)) as object | null;
    const cls = p?.constructor as { fromIdx?: unknown; new (stuff: object): object } | undefined;
    if (typeof cls?.fromIdx !== 'function') return;
    const original = cls.fromIdx as (this: unknown, a: { idx: Uint8Array; getExternalRefDelta?: unknown }) => Promise<unknown>;
    cls.fromIdx = async function (this: unknown, a: { idx: Uint8Array; getExternalRefDelta?: unknown }) {
      const offsets = IndexInPlace.of(a.idx);
      if (!offsets) return original.call(this, a);
      const index = new cls({ crcs: {}, offsets, packfileSha: offsets.packSha, getExternalRefDelta: a.getExternalRefDelta });
      // Every id, made when asked for (isomorphic-git's writing of packs and indexes asks; reads do not).
      Object.defineProperty(index, 'hashes', { get: () => [...offsets.keys()], configurable: true, enumerable: true });
      return index;
    };
  })().catch(() => {}));
}

/** The windows given to the packs of each command's cache. */
const windows = new WeakMap<object, PackWindow[]>();

/** The windows on the packs of this repository's command (`PackWindow`), for the bench and tests. */
export function packWindows(repo: Repo): readonly PackWindow[] {
  return windows.get(repo.cache) ?? [];
}

/** isomorphic-git's pack indexes in the command's cache (index file to a promise of the index), once it has loaded one. */
function packIndexes(repo: Repo): Map<unknown, unknown> | null {
  const cache = repo.cache as Record<symbol, unknown>;
  const sym = Object.getOwnPropertySymbols(cache).find((x) => x.description === 'PackfileCache');
  const found = sym ? cache[sym] : null;
  return found instanceof Map ? found : null;
}

/**
 * isomorphic-git keeps the objects it un-deltifies from a pack (`offsetCache`) only for a pack index
 * it built itself (`readDepth`, which an index read from a `.idx` file lacks), so every read of a
 * deltified object inflates its whole delta chain again. The packs of this command's cache get a
 * bounded object cache instead: the same bytes, each delta base inflated once while it fits. When
 * the internals are not as expected nothing is changed (reads are only slower).
 */
const PACK_CACHE_BYTES = 64 * 1024 * 1024;
async function tunePacks(repo: Repo, c: ReadClient): Promise<void> {
  if (!c.packIndexes) {
    const found = packIndexes(repo);
    if (!found) return;
    c.packIndexes = found;
  }
  const packs = c.packIndexes;
  if (packs.size === c.tuned.size) return;
  for (const [file, pending] of packs as Map<string, unknown>) {
    if (c.tuned.has(file)) continue;
    c.tuned.add(file);
    const p = (await Promise.resolve(pending).catch(() => null)) as { offsetCache?: unknown; readDepth?: unknown; readSlice?: unknown } | null;
    if (!p || typeof p !== 'object' || typeof p.offsetCache !== 'object' || typeof p.readSlice !== 'function') continue;
    if (typeof p.readDepth !== 'number' || !Number.isFinite(p.readDepth)) p.readDepth = 3;
    p.offsetCache = boundedObjectCache(PACK_CACHE_BYTES);
  }
}

/** An object-keyed store (as `offsetCache` is used: get and set by offset) that empties itself past `limit` bytes. */
function boundedObjectCache(limit: number): object {
  let store = new Map<PropertyKey, unknown>();
  let bytes = 0;
  return new Proxy(
    {},
    {
      get: (_t, k) => store.get(k),
      has: (_t, k) => store.has(k),
      set: (_t, k, v) => {
        const n = (v as { object?: { byteLength?: number } } | null)?.object?.byteLength ?? 0;
        if (bytes + n > limit) {
          store = new Map();
          bytes = 0;
        }
        store.set(k, v);
        bytes += n;
        return true;
      },
    },
  );
}

/**
 * An object's type and content. isomorphic-git finds it and reads its bytes (a packed object comes
 * out inflated); a loose one is inflated and checked against its id here (`openLooseObject`).
 */
async function readObjectContent(repo: Repo, oid: string): Promise<{ type: string; content: Buffer }> {
  const r = await withReadClient(repo, (a) => git.readObject({ ...a, oid, format: 'deflated' }));
  const bytes = r.object as Uint8Array;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (r.format === 'deflated') return openLooseObject(oid, buf);
  // The empty tree, which isomorphic-git knows without reading it.
  if (r.format === 'wrapped') return unwrapObject(oid, buf);
  return { type: r.type, content: buf };
}

/** Tags peeled on the way to an object (more is a loop, or not worth following). */
const PEELS = 10;

/**
 * The object `oid` leads to, as isomorphic-git's readers peeled: itself, or what its tags point at
 * (and a commit's tree, when a tree is wanted); its id, type and content, whatever its type.
 */
export async function peel(repo: Repo, oid: string, want: 'blob' | 'tree' | 'commit'): Promise<{ oid: string; type: string; content: Buffer }> {
  let at = oid;
  for (let i = 0; i < PEELS; i++) {
    const { type, content } = await readObjectContent(repo, at);
    if (type === 'tag') at = tagTarget(at, content);
    else if (type === 'commit' && want === 'tree') at = parseCommit(at, content).tree;
    else return { oid: at, type, content };
  }
  throw new BadObjectError(oid, `is a chain of more than ${PEELS} tags`);
}

/** The content of `oid` as an object of type `want` (`peel`); throws when it leads to another type. */
async function readAs(repo: Repo, oid: string, want: 'blob' | 'tree' | 'commit'): Promise<{ oid: string; content: Buffer }> {
  const o = await peel(repo, oid, want);
  if (o.type !== want) throw new BadObjectError(oid, o.oid === oid ? `is a ${o.type}, not a ${want}` : `leads to ${o.oid}, a ${o.type}, not a ${want}`);
  return o;
}

/** A blob's bytes (a packed one's are shared with the command's object cache: do not change them). */
export async function readBlob(repo: Repo, oid: string): Promise<Buffer> {
  return (await readAs(repo, oid, 'blob')).content;
}

/** A tree's entries, parsed once per command (callers get their own array; the entries are shared and frozen). */
export async function readTree(repo: Repo, oid: string): Promise<ReadTreeEntry[]> {
  return (await treeOf(repo, oid)).entries.slice();
}

/** A tree's entries by name, parsed once per command (shared: do not change it). */
export async function readTreeIndex(repo: Repo, oid: string): Promise<ReadonlyMap<string, Readonly<ReadTreeEntry>>> {
  const t = await treeOf(repo, oid);
  t.byName ??= new Map(t.entries.map((e) => [e.path, e]));
  return t.byName;
}

/** The blob (or other entry) at `path` in a tree, or null when the path is absent. */
export async function entryAtPath(repo: Repo, tree: string, path: string): Promise<{ oid: string; mode: string; type: 'blob' | 'tree' | 'commit' } | null> {
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) return { oid: tree, mode: '40000', type: 'tree' };
  let current = tree;
  for (let i = 0; i < parts.length; i++) {
    const entry = (await readTreeIndex(repo, current)).get(parts[i]!);
    if (!entry) return null;
    if (i === parts.length - 1) return { oid: entry.oid, mode: entry.mode, type: entry.type };
    if (entry.type !== 'tree') return null;
    current = entry.oid;
  }
  return null;
}

async function treeOf(repo: Repo, oid: string): Promise<ParsedTree> {
  const memo = readClient(repo).trees;
  let t = memo.get(oid);
  if (!t) {
    const tree = await readAs(repo, oid, 'tree');
    t = { entries: parseTree(tree.oid, tree.content).map((e) => Object.freeze(e)), byName: null };
    if (memo.size >= 100_000) memo.clear();
    memo.set(oid, t);
  }
  return t;
}

/** A commit (read once per command: objects never change; callers get their own copy of the parents). */
export async function readCommit(repo: Repo, oid: string): Promise<Commit> {
  const memo = readClient(repo).commits;
  let c = memo.get(oid);
  if (!c) {
    const commit = await readAs(repo, oid, 'commit');
    c = { ...parseCommit(commit.oid, commit.content), oid };
    if (memo.size >= 200_000) memo.clear();
    memo.set(oid, c);
  }
  return { ...c, parents: [...c.parents], author: { ...c.author }, committer: { ...c.committer } };
}

/**
 * Writes a commit. The bytes are exactly those isomorphic-git's `writeCommit` renders
 * (`renderCommit`); the object goes through `writeObject`, pre-deflated, because isomorphic-git deflates through web
 * streams, whose first use loads node's fetch implementation (tens of milliseconds per command).
 */
export async function writeCommit(
  repo: Repo,
  c: { tree: string; parents: string[]; message: string; author: Person; committer?: Person },
): Promise<string> {
  return writeObject(repo, 'commit', Buffer.from(renderCommit(c), 'utf8'));
}

/** True when the object is in the repository (loose or packed). */
export async function hasObject(repo: Repo, oid: string): Promise<boolean> {
  if (repo.fs === gitFs && nodeFs.existsSync(`${repo.commonDir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`)) return true;
  try {
    await withReadClient(repo, (a) => git.readObject({ ...a, oid, format: 'deflated' }));
    return true;
  } catch {
    return false;
  }
}

/** Ensures the empty tree exists (git knows it virtually; isomorphic-git needs it stored). */
export async function ensureEmptyTree(repo: Repo): Promise<string> {
  return writeObject(repo, 'tree', Buffer.alloc(0), EMPTY_TREE);
}

/** True when a buffer looks binary the way git decides it: a NUL byte in the first 8000 bytes. */
export function isBinary(content: Uint8Array): boolean {
  const n = Math.min(content.length, 8000);
  for (let i = 0; i < n; i++) if (content[i] === 0) return true;
  return false;
}
