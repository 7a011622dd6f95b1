import * as path from 'node:path';
import type { Repo } from '../git/repo.js';
import { isBinary, readBlob, readCommit } from '../git/objects.js';
import { entryAtPath } from '../git/objects.js';
import { splitLines } from '../diff/lines.js';
import type { BlameFileView, BlameLine, BlameStep } from '../model/views.js';
import { stepOf, type Trail } from '../store/trail.js';
import type { SurvivalReport } from '../survival/types.js';
import { usageError } from '../errors.js';

export interface FileSpec {
  /** Path in the repository, `/`-separated, relative to its root. */
  path: string;
  /** 1-based inclusive line range, or null for the whole file. */
  range: { start: number; end: number } | null;
}

/**
 * Parses `PATH[:LINE[-LINE]]` as typed by the user, relative to `cwd` inside the work tree at
 * `root`. A suffix that is not a line range stays part of the path.
 */
export function parseFileSpec(spec: string, cwd: string, root: string): FileSpec {
  let file = spec;
  let range: FileSpec['range'] = null;
  const m = /^(.+):(\d+)(?:-(\d+))?$/.exec(spec);
  if (m) {
    file = m[1]!;
    const start = Number(m[2]);
    const end = m[3] !== undefined ? Number(m[3]) : start;
    if (start < 1) throw usageError(`bad line range in '${spec}': lines are numbered from 1`, 'bad_range');
    if (end < start) throw usageError(`bad line range in '${spec}': ${end} comes before ${start}`, 'bad_range');
    range = { start, end };
  }
  if (!file) throw usageError(`name a file: '${spec}' has no path`, 'bad_path');
  const abs = path.resolve(cwd, file);
  const rel = path.relative(root, abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw usageError(`'${file}' is outside the repository at ${root}`, 'bad_path');
  return { path: rel.split(path.sep).join('/'), range };
}

/**
 * `ot trail blame file PATH[:LINE[-LINE]] [--at REV]`: every line of the file at the revision with
 * the trace, step and anchor commit of the patch it descends from (the survival engine's line
 * owners, judged at the same revision), or nothing for lines no step wrote.
 */
export async function buildBlameFile(repo: Repo, trail: Trail, at: string, spec: FileSpec, report: SurvivalReport): Promise<BlameFileView> {
  const commit = await readCommit(repo, at);
  const entry = await entryAtPath(repo, commit.tree, spec.path);
  if (!entry) throw usageError(`'${spec.path}' is not in ${at.slice(0, 7)}: no such file at that revision`, 'no_such_path');
  if (entry.type === 'tree') throw usageError(`'${spec.path}' is a directory at ${at.slice(0, 7)}: name a file`, 'not_a_file');
  if (entry.type !== 'blob') throw usageError(`'${spec.path}' is a submodule at ${at.slice(0, 7)}: name a file`, 'not_a_file');
  const buf = await readBlob(repo, entry.oid);
  const binary = isBinary(buf);
  const text = binary ? [] : splitLines(buf.toString('utf8')).lines;
  let from = 1;
  let to = text.length;
  if (spec.range) {
    if (binary) throw usageError(`'${spec.path}' is binary: it has no lines to choose from`, 'bad_range');
    if (spec.range.end > text.length) {
      throw usageError(`bad line range ${spec.range.start}-${spec.range.end}: '${spec.path}' has only ${text.length} line${text.length === 1 ? '' : 's'} at ${at.slice(0, 7)}`, 'bad_range');
    }
    from = spec.range.start;
    to = spec.range.end;
  }
  const owners = report.lines.get(spec.path) ?? [];
  const lines: BlameLine[] = [];
  const steps = new Map<string, BlameStep>();
  let traced = 0;
  for (let n = from; n <= to; n++) {
    const owner = owners[n - 1] ?? null;
    const patch = owner ? trail.patches.get(owner.patchId) : undefined;
    if (!owner || !patch || patch.unattributed) {
      lines.push({ line: n, text: text[n - 1]!, traceId: null, stepId: null, patchId: null, anchorCommit: null, edited: false });
      continue;
    }
    traced++;
    lines.push({ line: n, text: text[n - 1]!, traceId: patch.traceId, stepId: patch.stepId, patchId: patch.patchId, anchorCommit: owner.anchorCommit, edited: owner.edited });
    const key = `${patch.traceId}\0${patch.stepId}`;
    if (!steps.has(key)) {
      const step = stepOf(trail, patch);
      steps.set(key, {
        traceId: patch.traceId,
        stepId: patch.stepId,
        index: step?.index ?? 0,
        agent: step?.agent ?? trail.traces.get(patch.traceId)?.agent ?? null,
        tool: step?.tool ?? null,
        intent: step?.intent ?? null,
        startedAt: step?.startedAt ?? '',
      });
    }
  }
  return {
    path: spec.path,
    at,
    binary,
    range: spec.range ? { start: from, end: to } : null,
    totalLines: Math.max(0, to - from + 1),
    tracedLines: traced,
    lines,
    steps: [...steps.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.traceId.localeCompare(b.traceId) || a.index - b.index),
  };
}
