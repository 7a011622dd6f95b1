import { createHash } from 'node:crypto';
import type { FileDiff } from '../diff/file-changes.js';
import type { Patch } from '../model/events.js';

/**
 * Content-derived patch id: the same change recorded twice (a retried hook, a replayed `step end`)
 * yields the same id. It covers the step, the file's before-content and the hunk itself.
 */
export function patchId(p: Omit<Patch, 'patchId' | 'unattributed'>): string {
  const h = createHash('sha1');
  h.update(JSON.stringify([p.traceId, p.stepId, p.path, p.oldPath, p.change, p.beforeBlob, p.oldStart, p.newStart, p.removed, p.added]));
  return h.digest('hex');
}

/**
 * One patch per hunk (zero context) of each changed file. A binary file, a pure rename or a mode
 * change is one patch without lines.
 */
export function patchesOfFile(traceId: string, stepId: string, fd: FileDiff): Patch[] {
  const common = {
    traceId,
    stepId,
    path: fd.path,
    oldPath: fd.oldPath,
    change: fd.change,
    binary: fd.binary,
    beforeBlob: fd.oldOid,
    afterBlob: fd.newOid,
  };
  const out: Patch[] = [];
  if (fd.binary || fd.hunks.length === 0) {
    const p = { ...common, oldStart: 0, oldLines: 0, newStart: 0, newLines: 0, removed: [], added: [] };
    return [{ ...p, patchId: patchId(p) }];
  }
  const oldL = fd.oldLines?.lines ?? [];
  const newL = fd.newLines?.lines ?? [];
  for (const h of fd.hunks) {
    const p = {
      ...common,
      oldStart: h.oldCount > 0 ? h.oldStart + 1 : h.oldStart,
      oldLines: h.oldCount,
      newStart: h.newCount > 0 ? h.newStart + 1 : h.newStart,
      newLines: h.newCount,
      removed: oldL.slice(h.oldStart, h.oldStart + h.oldCount),
      added: newL.slice(h.newStart, h.newStart + h.newCount),
    };
    out.push({ ...p, patchId: patchId(p) });
  }
  return out;
}
