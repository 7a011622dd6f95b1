import type { Repo } from '../git/repo.js';
import { readCommit } from '../git/objects.js';
import type { BlameCommitView } from '../model/views.js';
import type { Trail } from '../store/trail.js';
import type { SurvivalReport } from '../survival/types.js';
import { attributeCommit, buildAnchorIndex } from './attribution.js';

/**
 * `ot trail blame commit REV`: each hunk of the commit (against its first parent) with the trace and
 * step that wrote it, or unattributed; the step's intent; the patch's survival in `report` (judged
 * at HEAD by the command); coverage as traced added lines over added lines. Plain data, no printing.
 */
export async function buildBlameCommit(repo: Repo, trail: Trail, commit: string, report: SurvivalReport | null): Promise<BlameCommitView> {
  const c = await readCommit(repo, commit);
  const { hunks, tracedLines, totalLines } = await attributeCommit(repo, trail, commit, buildAnchorIndex(trail, report), report);
  const traces = new Map<string, { traceId: string; agent: string | null; steps: Set<string> }>();
  for (const h of hunks) {
    if (h.attribution !== 'traced' || !h.traceId) continue;
    let t = traces.get(h.traceId);
    if (!t) traces.set(h.traceId, (t = { traceId: h.traceId, agent: trail.traces.get(h.traceId)?.agent ?? h.agent, steps: new Set() }));
    t.steps.add(h.stepId ?? '');
  }
  return {
    commit,
    shortCommit: commit.slice(0, 7),
    subject: subjectOf(c.message),
    author: { name: c.author.name, email: c.author.email },
    date: new Date(c.author.timestamp * 1000).toISOString(),
    parent: c.parents[0] ?? null,
    survivalAt: report?.at ?? null,
    coverage: { tracedLines, totalLines },
    hunks,
    traces: [...traces.values()].map((t) => ({ traceId: t.traceId, agent: t.agent, steps: t.steps.size })),
  };
}

export function subjectOf(message: string): string {
  return message.split('\n')[0]!.trim();
}
