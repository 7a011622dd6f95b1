import type { Repo } from '../git/repo.js';
import { resolveRef, resolveRevision } from '../git/refs.js';
import { commitsInRange, mergeBase } from '../git/history.js';
import type { SurvivalState } from '../model/survival.js';
import { ALIVE_STATES, emptyCounts } from '../model/formats.js';
import type { BlameHunk, PrCardView, PrCommit } from '../model/views.js';
import { stepOf, type Step, type Trail } from '../store/trail.js';
import type { SurvivalReport } from '../survival/types.js';
import { usageError } from '../errors.js';
import { attributeCommit, buildAnchorIndex } from './attribution.js';
import { subjectOf } from './blame-commit.js';

/**
 * `ot trail blame pr render`: the pull-request card as plain data (contract section 5). Everything is
 * derived from git and the trail, nothing summarised by a model, so the same repository gives the
 * same card byte for byte. Renderers live in src/render/.
 */

export interface PrRange {
  base: string;
  head: string;
  baseRef: string;
  headRef: string;
  baseSource: PrCardView['baseSource'];
}

/**
 * Head defaults to HEAD. Base, when not given: the merge-base of head with the remote's default
 * branch (`refs/remotes/origin/HEAD`), else with `main`, `master`, `origin/main`, `origin/master`
 * (the first that exists). A usage error names what was tried when none does.
 */
export async function resolvePrRange(repo: Repo, options: { base?: string; head?: string }): Promise<PrRange> {
  const headRef = options.head ?? 'HEAD';
  const head = await resolveRevision(repo, headRef);
  if (options.base !== undefined) {
    return { base: await resolveRevision(repo, options.base), head, baseRef: options.base, headRef, baseSource: 'argument' };
  }
  const candidates: [PrRange['baseSource'], string][] = [
    ['origin-head', 'refs/remotes/origin/HEAD'],
    ['main', 'refs/heads/main'],
    ['master', 'refs/heads/master'],
    ['origin/main', 'refs/remotes/origin/main'],
    ['origin/master', 'refs/remotes/origin/master'],
  ];
  for (const [source, ref] of candidates) {
    const tip = await resolveRef(repo, ref);
    if (!tip) continue;
    const mb = await mergeBase(repo, head, tip);
    if (!mb) throw usageError(`head ${head.slice(0, 7)} shares no history with ${ref}: pass --base REV`, 'no_base');
    return { base: mb, head, baseRef: source === 'origin-head' ? 'origin/HEAD' : source, headRef, baseSource: source };
  }
  throw usageError('cannot tell the base of the branch: there is no origin/HEAD, main or master; pass --base REV', 'no_base');
}

function durationMs(steps: Step[]): number {
  let first = Infinity;
  let last = -Infinity;
  for (const s of steps) {
    const a = Date.parse(s.startedAt);
    const b = Date.parse(s.endedAt ?? s.startedAt);
    if (Number.isFinite(a)) first = Math.min(first, a);
    if (Number.isFinite(b)) last = Math.max(last, b);
    if (Number.isFinite(a)) last = Math.max(last, a);
  }
  return Number.isFinite(first) && last >= first ? last - first : 0;
}

/** The first line of an intent, for a title. */
function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
}

export async function buildPrCard(repo: Repo, trail: Trail, range: PrRange, report: SurvivalReport | null): Promise<PrCardView> {
  const commits = await commitsInRange(repo, range.base, range.head);
  const index = buildAnchorIndex(trail, report);
  const stateOf = (h: BlameHunk): SurvivalState => h.survival?.state ?? 'unknown';

  // Where each patch landed now: the engine's effective anchor, else the recorded one.
  const landedIn = new Map<string, string>();
  for (const [id, a] of trail.anchors) landedIn.set(id, a.commit);
  if (report) for (const ps of report.patches.values()) if (ps.anchor) landedIn.set(ps.patchId, ps.anchor.commit);

  const scope = { hunks: 0, aliveHunks: 0, tracedHunks: 0, untracedHunks: 0, byState: emptyCounts() };
  const coverage = { tracedLines: 0, totalLines: 0 };
  const involved = new Set<string>();
  const assigned = new Map<string, Set<number>>();
  const rows: PrCommit[] = [];
  const allIntents: string[] = [];

  for (const [i, c] of commits.entries()) {
    const merge = c.parents.length > 1;
    // A merge's diff against its first parent is the other branch's work: like `git log -p`, no hunks.
    const hunks = merge ? [] : (await attributeCommit(repo, trail, c.oid, index, report)).hunks;
    const patches = new Map<string, BlameHunk>();
    let traced = 0;
    let total = 0;
    for (const h of hunks) {
      scope.hunks++;
      total += h.addedLines;
      if (h.attribution !== 'traced' || !h.patchId) {
        scope.untracedHunks++;
        continue;
      }
      traced += h.addedLines;
      scope.tracedHunks++;
      const st = stateOf(h);
      scope.byState[st]++;
      if (ALIVE_STATES.has(st)) scope.aliveHunks++;
      if (!patches.has(h.patchId)) patches.set(h.patchId, h);
    }
    coverage.tracedLines += traced;
    coverage.totalLines += total;
    const byState = emptyCounts();
    let alive = 0;
    for (const h of patches.values()) {
      const st = stateOf(h);
      byState[st]++;
      if (ALIVE_STATES.has(st)) alive++;
    }
    // The commit's steps, and its intents in step order.
    const writing = new Map<string, Set<number>>();
    const stepRefs: Step[] = [];
    for (const h of patches.values()) {
      const trace = trail.traces.get(h.traceId!);
      const step = stepOf(trail, { patchId: h.patchId! });
      if (!trace || !step) continue;
      involved.add(trace.traceId);
      const set = writing.get(trace.traceId) ?? new Set<number>();
      if (!set.has(step.index)) stepRefs.push(step);
      set.add(step.index);
      writing.set(trace.traceId, set);
    }
    stepRefs.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.traceId.localeCompare(b.traceId) || a.index - b.index);
    const intents: string[] = [];
    for (const s of stepRefs) if (s.intent && !intents.includes(s.intent)) intents.push(s.intent);
    for (const it of intents) if (!allIntents.includes(it)) allIntents.push(it);

    // Trajectory: in each trace, the steps since the trace's previous step that landed elsewhere,
    // up to the commit's last writing step (each step counted for one commit only).
    let steps = 0;
    const turns = new Set<string>();
    for (const [traceId, idxs] of writing) {
      const trace = trail.traces.get(traceId)!;
      const first = Math.min(...idxs);
      const last = Math.max(...idxs);
      let prev = -1;
      for (const s of trace.steps) {
        if (s.index >= first) break;
        if (s.patchIds.some((p) => landedIn.has(p) && landedIn.get(p) !== c.oid)) prev = s.index;
      }
      const done = assigned.get(traceId) ?? new Set<number>();
      assigned.set(traceId, done);
      for (const s of trace.steps) {
        if (s.index <= prev || s.index > last || done.has(s.index)) continue;
        done.add(s.index);
        steps++;
        const turn = s.turnId ?? (s.intent ? `intent:${s.intent}` : null);
        if (turn) turns.add(`${traceId}\0${turn}`);
      }
    }
    rows.push({
      index: i + 1,
      sha: c.oid,
      shortSha: c.oid.slice(0, 7),
      subject: subjectOf(c.message),
      aligned: intents.length > 0,
      intent: intents[0] ?? null,
      intents,
      survival: { byState, alive, patches: patches.size },
      steps,
      turns: turns.size,
      traceIds: [...writing.keys()].sort(),
      hunks: hunks.length,
      tracedLines: traced,
      totalLines: total,
      merge,
    });
  }

  const traceIds = [...involved].sort();
  const allSteps = traceIds.flatMap((id) => trail.traces.get(id)?.steps ?? []);
  const agents = new Map<string, number>();
  for (const s of allSteps) {
    const name = s.agent ?? trail.traces.get(s.traceId)?.agent ?? 'unknown';
    agents.set(name, (agents.get(name) ?? 0) + 1);
  }
  const title = allIntents.length ? firstLine(allIntents[0]!) : rows.length ? rows[0]!.subject : 'No commits between base and head';
  return {
    base: range.base,
    head: range.head,
    baseRef: range.baseRef,
    headRef: range.headRef,
    baseSource: range.baseSource,
    title,
    intents: allIntents,
    alignment: { aligned: rows.filter((r) => r.aligned).length, total: rows.length },
    scope,
    coverage,
    wallTimeMs: durationMs(allSteps),
    steps: allSteps.length,
    traces: traceIds.length,
    traceIds,
    agents: [...agents].map(([name, steps]) => ({ name, steps })).sort((a, b) => b.steps - a.steps || a.name.localeCompare(b.name)),
    commits: rows,
  };
}
