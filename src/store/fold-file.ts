import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../git/repo.js';
import { otDataDir } from '../git/repo.js';
import { openToRead, overwriteFileSync, readAt } from '../git/fs.js';
import type { Anchor, Patch } from '../model/events.js';
import type { RecordStream } from './binary-json.js';
import { openEventsFileAt, type EventsFile } from './log.js';
import { align4, SEALED_HEAD, sealValueAndInts, unsealValueAndInts } from './sealed.js';
import { decodeBinaryJson, encodeBinaryJson } from './binary-json.js';
import { StoredAnchor } from './stored-anchor.js';
import { corruptError } from '../errors.js';
import { StoredPatch, withUnattributed } from './stored-patch.js';
import type { Places, Step, Trace } from './trail.js';

/**
 * The trail as folded, kept for the next command while its events stay the same: a long trail is
 * then not decoded and folded again, event by event, by every command that reads it (jsdiff's
 * replayed history: 1,500 events, 9,000 patches and as many anchors, on every `ot trail track`).
 * It holds no event: the traces and their steps, and, for each patch and anchor (every anchor
 * recorded, in event order, besides each patch's current one), its place in the events file it was
 * read from. Those files are opened as they are now, and each patch and anchor is made from its
 * place there, as the decode made it (`recordAt`).
 *
 * The steps (a thousand steps of a long trail take a millisecond or more to decode) are decoded when
 * first read: the survival engine reads few or none.
 *
 * Derived data, never the only copy: a fold is used only under the name of the events it folded
 * (the trace refs and their tips: new events, a new name) and while each events file it names has
 * the sum and size it had (a file written again since is another file). Anything else, and the
 * trail is read and folded from its events.
 */
const MAGIC = 'OTFD';
const FORMAT = 3;
/**
 * A sealed value and integers (`sealValueAndInts`): the head below, then the columns. Its lead is
 * the name of the events folded (40 characters: a fold of other events is told without reading
 * the rest).
 */
const NAME_LENGTH = 40;

/** What the fold keeps beside the traces: each patch and its anchor by the fold's place, the places each step lists, and the order of `orderedPatches`. */
export interface FoldParts {
  traces: Map<string, Trace>;
  list: Patch[];
  anchorOf: (Anchor | undefined)[];
  stepPlaces: Map<Step, Places>;
  /** The fold's places in the order of `orderedPatches`. */
  order: ArrayLike<number>;
  /** Every anchor recorded, in event order. */
  anchors: readonly Anchor[];
}

/** A fold read back: its parts (its order read in place), and the events files it was read from, in the order of their events. */
export interface KeptFold extends Omit<FoldParts, 'anchors'> {
  order: Int32Array;
  files: EventsFile[];
  /** Every anchor recorded, made from their places when called. */
  anchors: () => Anchor[];
}

export function foldFile(repo: Repo): string {
  return path.join(otDataDir(repo), 'events', `fold.v${FORMAT}.bin`);
}

/**
 * Keeps the fold of the events named `name`, read from `files`; nothing when a patch or an anchor
 * was not read from one of them (events read from the chain are cached first: the next command
 * keeps its fold). The file is optional: a write that fails is left.
 */
export function saveFold(repo: Repo, name: string, files: EventsFile[], parts: FoldParts): void {
  if (name.length !== NAME_LENGTH || !/^[0-9a-f]+$/.test(name)) return;
  const fileOf = new Map<RecordStream | null, number>(files.map((f, i) => [f.records, i]));
  const n = parts.list.length;
  const steps = [...parts.traces.values()].flatMap((t) => t.steps);
  let placed = 0;
  for (const s of steps) placed += parts.stepPlaces.get(s)?.length ?? 0;
  // The columns: each patch's file and place, its anchor's (-1: none), the order, each step's count
  // of places (-1: none listed), the places, every anchor's file and place.
  const m = parts.anchors.length;
  const ints = new Int32Array(5 * n + steps.length + placed + 2 * m);
  const unattributed: [number, string][] = [];
  // An anchor's file and place, at ints[i] and ints[j]; false when it was not read from one of the files.
  const putAnchor = (a: Anchor, i: number, j: number): boolean => {
    const file = fileOf.get(StoredAnchor.streamOf(a));
    if (file === undefined) return false;
    ints[i] = file;
    ints[j] = StoredAnchor.placeOf(a as StoredAnchor);
    return true;
  };
  for (let at = 0; at < n; at++) {
    const p = parts.list[at]!;
    const file = fileOf.get(StoredPatch.streamOf(p));
    if (file === undefined) return;
    ints[at] = file;
    ints[n + at] = StoredPatch.placeOf(p as StoredPatch);
    if (p.unattributed !== undefined) unattributed.push([at, p.unattributed]);
    const a = parts.anchorOf[at];
    if (!a) ints[2 * n + at] = -1;
    else if (!putAnchor(a, 2 * n + at, 3 * n + at)) return;
  }
  for (let i = 0; i < n; i++) ints[4 * n + i] = parts.order[i]!;
  let x = 5 * n;
  let y = x + steps.length;
  for (const s of steps) {
    const places = parts.stepPlaces.get(s);
    ints[x++] = places ? places.length : -1;
    if (places) for (let i = 0; i < places.length; i++) ints[y++] = places[i]!;
  }
  for (const a of parts.anchors) {
    if (!putAnchor(a, y, y + 1)) return;
    y += 2;
  }
  // The steps without their ids (the places say which patches), the key kept where it is, as binary
  // JSON after the columns; each trace says how many of them are its own.
  const stepBytes = encodeBinaryJson(steps.map((s) => ({ ...s, patchIds: null })));
  const withSteps = new Int32Array(ints.length + (align4(stepBytes.length) >> 2));
  withSteps.set(ints);
  Buffer.from(withSteps.buffer).set(stepBytes, 4 * ints.length);
  const traces = [...parts.traces.values()].map((t) => ({ ...t, steps: t.steps.length }));
  const head = {
    v: FORMAT,
    files: files.map((f) => [path.basename(f.path), f.sum, f.size]),
    patches: n,
    steps: steps.length,
    placed,
    anchors: m,
    stepBytes: stepBytes.length,
    unattributed,
    traces,
  };
  try {
    // In place: a reader that catches it half written refuses it by its sum, and folds the events.
    overwriteFileSync(foldFile(repo), sealValueAndInts(MAGIC, head, withSteps, Buffer.from(name, 'latin1')));
    // The folds of the formats before go.
    for (let v = 1; v < FORMAT; v++) fs.rmSync(path.join(path.dirname(foldFile(repo)), `fold.v${v}.bin`), { force: true });
  } catch {
    /* the fold is optional */
  }
}

interface FoldHead {
  v: number;
  files: [string, number, number][];
  patches: number;
  steps: number;
  placed: number;
  anchors: number;
  /** The length of the steps' binary JSON, after the columns. */
  stepBytes: number;
  unattributed: [number, string][];
  /** Each trace, with the count of its steps for its steps. */
  traces: (Omit<Trace, 'steps'> & { steps: number })[];
}

/** The bytes of a fold file of the events named `name` (its name read first, the rest only then); null when absent or of others; throws when it ends early. */
function readIfNamed(file: string, name: string): Buffer | null {
  const fd = openToRead(file);
  if (fd === null) return null;
  try {
    const head = readAt(fd, SEALED_HEAD + NAME_LENGTH, 0);
    if (head.toString('latin1', 0, 4) !== MAGIC || head.toString('latin1', SEALED_HEAD) !== name) return null;
    return readAt(fd, fs.fstatSync(fd).size, 0);
  } finally {
    fs.closeSync(fd);
  }
}

/** The fold kept for the events named `name`; null when there is none, or none that checks out against its events files. */
export function loadFold(repo: Repo, name: string): KeptFold | null {
  try {
    return readFold(repo, name);
  } catch {
    return null;
  }
}

function readFold(repo: Repo, name: string): KeptFold | null {
  const bytes = readIfNamed(foldFile(repo), name);
  const read = bytes && unsealValueAndInts(MAGIC, bytes, NAME_LENGTH);
  if (!read) return null;
  const head = read.value as FoldHead;
  if (head?.v !== FORMAT) return null;
  const { patches: n, steps: stepCount, placed, anchors: m, stepBytes } = head;
  const { ints } = read;
  const columns = 5 * n + stepCount + placed + 2 * m;
  if (!Number.isInteger(m) || m < 0 || !Number.isInteger(stepBytes) || stepBytes < 0 || ints.length !== columns + (align4(stepBytes) >> 2)) return null;
  const events = path.join(otDataDir(repo), 'events');
  const files: EventsFile[] = [];
  for (const [file, sum, size] of head.files) {
    if (path.basename(file) !== file) return null;
    const opened = openEventsFileAt(path.join(events, file));
    if (!opened || opened.sum !== sum || opened.size !== size) return null;
    files.push(opened);
  }
  const fileAt = (i: number): EventsFile => {
    const f = files[i];
    if (!f) throw new Error('no such events file');
    return f;
  };
  // The anchor made from its place in an events file; null when the file holds none there.
  const anchorAt = (file: number, place: number): StoredAnchor | null => {
    const a = fileAt(file).recordAt(place);
    return a instanceof StoredAnchor ? a : null;
  };
  const list: Patch[] = new Array(n);
  const anchorOf: (Anchor | undefined)[] = new Array(n);
  for (let at = 0; at < n; at++) {
    const p = fileAt(ints[at]!).recordAt(ints[n + at]!);
    if (!(p instanceof StoredPatch)) return null;
    list[at] = p;
    const file = ints[2 * n + at]!;
    if (file < 0) continue;
    const a = anchorAt(file, ints[3 * n + at]!);
    if (!a) return null;
    anchorOf[at] = a;
  }
  for (const [at, reason] of head.unattributed) {
    const p = list[at];
    if (!p || typeof reason !== 'string') return null;
    if (p.unattributed !== reason) list[at] = withUnattributed(p, reason);
  }
  // The order: every place once.
  const order = ints.subarray(4 * n, 5 * n);
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const at = order[i]!;
    if (!(at >= 0 && at < n) || seen[at]) return null;
    seen[at] = 1;
  }
  // Each step's count of places (-1: none listed) and its places, checked now.
  const counts = ints.subarray(5 * n, 5 * n + stepCount);
  let listed = 0;
  for (let i = 0; i < stepCount; i++) listed += Math.max(counts[i]!, 0);
  if (listed !== placed || head.traces.reduce((k, t) => k + t.steps, 0) !== stepCount) return null;
  const stepPlaceList = ints.subarray(5 * n + stepCount, 5 * n + stepCount + placed);
  for (let i = 0; i < placed; i++) if (!(stepPlaceList[i]! >= 0 && stepPlaceList[i]! < n)) return null;
  // The traces, each with its steps decoded when first read (any trace's: all of them at once).
  const traces = new Map<string, Trace>();
  // Each trace and how many of the steps are its own, in the order of the steps.
  const stepCounts: [Trace, number][] = [];
  let stepPlaces: Map<Step, Places> | null = null;
  const decodeSteps = (): Map<Step, Places> => {
    if (stepPlaces) return stepPlaces;
    const bytes = Buffer.from(ints.buffer, ints.byteOffset + 4 * columns, stepBytes);
    const all = decodeBinaryJson(bytes) as Step[];
    if (!Array.isArray(all) || all.length !== stepCount) throw corruptError(`the trail's fold ${foldFile(repo)} does not hold the steps it counts; remove it and run the command again`);
    const made = new Map<Step, Places>();
    let k = 0;
    let y = 0;
    for (const [t, ownCount] of stepCounts) {
      const own = all.slice(k, (k += ownCount));
      for (const [j, step] of own.entries()) {
        const count = counts[k - own.length + j]!;
        // Its ids from its patches: the strings are the ones every command reads (a survival report
        // names each patch), so only the lists are made here.
        const ids: string[] = new Array(Math.max(count, 0));
        step.patchIds = ids;
        if (count < 0) continue;
        const places = stepPlaceList.subarray(y, (y += count));
        for (let i = 0; i < count; i++) ids[i] = list[places[i]!]!.patchId;
        made.set(step, places);
      }
      Object.defineProperty(t, 'steps', { value: own, writable: true, enumerable: true, configurable: true });
    }
    return (stepPlaces = made);
  };
  for (const h of head.traces) {
    if (!Number.isInteger(h.steps) || h.steps < 0 || traces.has(h.traceId)) return null;
    const t: Trace = { ...h, steps: [] };
    Object.defineProperty(t, 'steps', {
      get: () => {
        decodeSteps();
        return t.steps;
      },
      enumerable: true,
      configurable: true,
    });
    traces.set(t.traceId, t);
    stepCounts.push([t, h.steps]);
  }
  // Every anchor's file checked now; each is made from its place when first asked for.
  const anchorPlaces = ints.subarray(5 * n + stepCount + placed, columns);
  for (let k = 0; k < anchorPlaces.length; k += 2) fileAt(anchorPlaces[k]!);
  const anchors = (): Anchor[] => {
    const out: Anchor[] = new Array(m);
    for (let k = 0; k < m; k++) {
      const a = anchorAt(anchorPlaces[2 * k]!, anchorPlaces[2 * k + 1]!);
      if (!a) throw corruptError(`the trail's fold ${foldFile(repo)} names an anchor its events file does not hold; remove it and run the command again`);
      out[k] = a;
    }
    return out;
  };
  return {
    traces,
    list,
    anchorOf,
    get stepPlaces() {
      return decodeSteps();
    },
    order,
    files,
    anchors,
  };
}
