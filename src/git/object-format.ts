import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';

/**
 * Git's object formats: the bytes of trees, commits and tags, read and written. `objects.ts` stores
 * and finds objects (through isomorphic-git); this file only turns bytes into values and back.
 */

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
export const MODE = { file: '100644', exec: '100755', symlink: '120000', tree: '40000', gitlink: '160000' } as const;

/** A malformed or damaged object: names the object and what is wrong with it. */
export class BadObjectError extends Error {
  constructor(
    readonly oid: string,
    what: string,
  ) {
    super(`object ${oid} ${what}`);
    this.name = 'BadObjectError';
  }
}

/** The object id git gives `content` of `type` (SHA-1 of the header and the bytes). */
export function hashObject(type: ObjectType, content: Uint8Array): string {
  const h = createHash('sha1');
  h.update(`${type} ${content.length}\0`);
  h.update(content);
  return h.digest('hex');
}

/**
 * A loose object's type and content from its file's bytes: inflated, checked against its id (the
 * hash of what was inflated) and its header's length. Synchronous, in node: isomorphic-git checks
 * the id with WebCrypto, off the main thread, and each read of an update's few new objects waited
 * on that hop.
 */
export function openLooseObject(oid: string, deflated: Uint8Array): { type: string; content: Buffer } {
  let wrapped: Buffer;
  try {
    wrapped = inflateSync(deflated);
  } catch (err) {
    throw new BadObjectError(oid, `cannot be inflated (${(err as Error).message})`);
  }
  const sum = createHash('sha1').update(wrapped).digest('hex');
  if (sum !== oid) throw new BadObjectError(oid, `is damaged: its bytes hash to ${sum}`);
  return unwrapObject(oid, wrapped);
}

/** An object's type and content from `type length\0content`. */
export function unwrapObject(oid: string, wrapped: Buffer): { type: string; content: Buffer } {
  const space = wrapped.indexOf(0x20);
  const nul = wrapped.indexOf(0);
  const length = nul > space && space > 0 ? Number(wrapped.toString('latin1', space + 1, nul)) : NaN;
  if (!(length === wrapped.length - nul - 1)) throw new BadObjectError(oid, 'has a malformed header');
  return { type: wrapped.toString('latin1', 0, space), content: wrapped.subarray(nul + 1) };
}

export interface ReadTreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

/** Entry modes as a tree is read (a tree's mode written with its leading zero, as isomorphic-git gives it). */
const READ_MODES: ReadonlyMap<string, [mode: string, type: ReadTreeEntry['type']]> = new Map([
  ['40000', ['040000', 'tree']],
  ['100644', ['100644', 'blob']],
  ['100755', ['100755', 'blob']],
  ['120000', ['120000', 'blob']],
  ['160000', ['160000', 'commit']],
]);

/**
 * A tree's entries, sorted by name in code point order (the order isomorphic-git gave them, which
 * readers of trees here rely on). Names are read as UTF-8. A name that would break a path (empty,
 * `.`, `..`, or holding a `/`) makes the tree malformed; nothing here writes a tree out to a
 * working directory, so names git's fsck only warns about (`.git`) are read as they are.
 */
export function parseTree(oid: string, content: Buffer): ReadTreeEntry[] {
  const out: ReadTreeEntry[] = [];
  let sorted = true;
  for (let at = 0; at < content.length; ) {
    const space = content.indexOf(0x20, at);
    const nul = space < 0 ? -1 : content.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > content.length) throw new BadObjectError(oid, `is a malformed tree (at byte ${at})`);
    const read = READ_MODES.get(content.toString('latin1', at, space));
    if (!read) throw new BadObjectError(oid, `is a tree with an entry of unknown mode ${content.toString('latin1', at, space)}`);
    const path = content.toString('utf8', space + 1, nul);
    if (path === '' || path === '.' || path === '..' || path.includes('/')) throw new BadObjectError(oid, `is a tree with an entry named ${JSON.stringify(path)}`);
    if (sorted && out.length && byCodePoints(out[out.length - 1]!.path, path) > 0) sorted = false;
    out.push({ mode: read[0], path, oid: content.toString('hex', nul + 1, nul + 21), type: read[1] });
    at = nul + 21;
  }
  // Git's order puts a tree `a` (compared as `a/`) after a file `a.b`: sort only when it differs.
  if (!sorted) out.sort((x, y) => byCodePoints(x.path, y.path));
  return out;
}

const SURROGATE = /[\uD800-\uDFFF]/;
/** Strings compared by code point (the order of their UTF-8 bytes), not by UTF-16 unit as `<` does. */
function byCodePoints(a: string, b: string): number {
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < x.length && i < y.length; i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** A tree entry to write. */
export interface TreeEntry {
  mode: string;
  /** Entry name as raw bytes (paths need not be UTF-8). */
  name: Buffer;
  oid: string;
}

/** Git's tree order: byte order of names, with trees compared as if their name ended in '/'. */
export function compareTreeEntries(a: TreeEntry, b: TreeEntry): number {
  const ka = a.mode === MODE.tree ? Buffer.concat([a.name, Buffer.from('/')]) : a.name;
  const kb = b.mode === MODE.tree ? Buffer.concat([b.name, Buffer.from('/')]) : b.name;
  return Buffer.compare(ka, kb);
}

/** The bytes of a tree object for already-sorted entries (one allocation: snapshots encode many). */
export function encodeTree(entries: TreeEntry[]): Buffer {
  let size = 0;
  for (const e of entries) size += e.mode.length + 1 + e.name.length + 1 + 20;
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (const e of entries) {
    off += out.write(e.mode, off, 'latin1');
    out[off++] = 0x20;
    off += e.name.copy(out, off);
    out[off++] = 0;
    off += out.write(e.oid, off, 'hex');
  }
  return out;
}

export interface Person {
  name: string;
  email: string;
  timestamp: number;
  /** Minutes behind UTC, as `Date#getTimezoneOffset` gives them (isomorphic-git's convention): -0 and positive values are west. */
  timezoneOffset: number;
}

export interface Commit {
  oid: string;
  tree: string;
  parents: string[];
  message: string;
  author: Person;
  committer: Person;
}

/** A commit's or a tag's headers (a line starting with a space continues the one before) and its message. */
function headersAndMessage(content: Buffer): { headers: string[]; message: string } {
  const text = content.toString('utf8');
  const blank = text.indexOf('\n\n');
  const headers: string[] = [];
  for (const line of (blank < 0 ? text.replace(/\n$/, '') : text.slice(0, blank)).split('\n')) {
    if (line[0] === ' ' && headers.length) headers[headers.length - 1] += '\n' + line.slice(1);
    else headers.push(line);
  }
  return { headers, message: normalMessage(blank < 0 ? '' : text.slice(blank + 2)) };
}

/** A message as commits are written and read here: CRs dropped, no leading newlines, one trailing newline. */
const normalMessage = (m: string) => m.replace(/\r/g, '').replace(/^\n+/, '').replace(/\n+$/, '') + '\n';

const keyOf = (h: string) => h.slice(0, h.indexOf(' '));
const valueOf = (h: string) => h.slice(h.indexOf(' ') + 1);

/**
 * A commit's tree, parents, people and message. As git reads a commit: the first header is its tree,
 * the `parent` headers right after it are its parents (one further down is not), and the first
 * `author` and `committer` headers count.
 */
export function parseCommit(oid: string, content: Buffer): Commit {
  const { headers, message } = headersAndMessage(content);
  if (keyOf(headers[0] ?? '') !== 'tree') throw new BadObjectError(oid, 'is a commit without a tree header first');
  let i = 1;
  const parents: string[] = [];
  for (; i < headers.length && keyOf(headers[i]!) === 'parent'; i++) parents.push(valueOf(headers[i]!));
  let author: Person | null = null;
  let committer: Person | null = null;
  for (; i < headers.length; i++) {
    const key = keyOf(headers[i]!);
    if (key === 'author') author ??= parsePerson(oid, headers[i]!);
    else if (key === 'committer') committer ??= parsePerson(oid, headers[i]!);
  }
  if (!author || !committer) throw new BadObjectError(oid, `is a commit without ${author ? 'a committer' : 'an author'}`);
  return { oid, tree: valueOf(headers[0]!), parents, message, author, committer };
}

/** `Name <email> 1700000000 +0100`. */
function parsePerson(oid: string, header: string): Person {
  const m = /^(.*) <(.*)> (.*) ([+-])(\d\d)(\d\d)$/.exec(valueOf(header));
  if (!m) throw new BadObjectError(oid, `has a malformed ${keyOf(header)} line`);
  const east = (m[4] === '+' ? 1 : -1) * (Number(m[5]) * 60 + Number(m[6]));
  return { name: m[1]!, email: m[2]!, timestamp: Number(m[3]), timezoneOffset: east === 0 ? east : -east };
}

/** The object an annotated tag points at. */
export function tagTarget(oid: string, content: Buffer): string {
  const first = headersAndMessage(content).headers[0] ?? '';
  if (keyOf(first) !== 'object') throw new BadObjectError(oid, 'is a tag without an object header first');
  return valueOf(first);
}

/** A commit object's text (no signature): headers, a blank line, the message (`normalMessage`). */
export function renderCommit(c: { tree: string; parents: string[]; message: string; author: Person; committer?: Person }): string {
  let text = `tree ${c.tree || EMPTY_TREE}\n`;
  for (const p of c.parents) text += `parent ${p}\n`;
  text += `author ${formatPerson(c.author)}\n`;
  text += `committer ${formatPerson(c.committer ?? c.author)}\n`;
  return `${text}\n${normalMessage(c.message)}`;
}

function formatPerson(p: Person): string {
  // The offset is minutes behind UTC: -0 and positive values are west.
  let minutes = p.timezoneOffset;
  const negated = minutes === 0 ? minutes : -minutes;
  const sign = Math.sign(negated) || (Object.is(negated, -0) ? -1 : 1);
  minutes = Math.abs(minutes);
  const hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  return `${p.name} <${p.email}> ${p.timestamp} ${sign === -1 ? '-' : '+'}${String(hours).padStart(2, '0')}${String(minutes).padStart(2, '0')}`;
}
