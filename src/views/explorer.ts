import type { Anchor, FileChange, Patch, StepKind } from '../model/events.js';
import { emptyCounts, STATE_ORDER } from '../model/formats.js';
import type { Survival, SurvivalState } from '../model/survival.js';
import type { SurvivalReport } from '../survival/types.js';
import type { Step, Trail } from '../store/trail.js';
import type { Repo } from '../git/repo.js';
import { addedCount, removedCount } from '../store/stored-patch.js';

/**
 * The plain-data model of the interactive explorer (and of the text summary `ot trail` prints when
 * it is piped): traces → a trace's steps as a timeline → a patch's diff and survival timeline.
 * Built from the folded trail and the survival engine's report; no Ink, no React, no I/O here.
 */

export type StateCounts = Record<SurvivalState, number>;

export interface PatchRow {
  patchId: string;
  traceId: string;
  stepId: string;
  path: string;
  change: FileChange;
  added: number;
  removed: number;
  state: SurvivalState;
  /** The effective anchor commit (the engine's, else the recorded one), or null while unanchored. */
  anchorCommit: string | null;
  unattributed: string | null;
}

/** A step as the store folds it, with its duration and its patches' rows. */
export interface StepRow extends Pick<Step, 'traceId' | 'stepId' | 'index' | 'kind' | 'tool' | 'agent' | 'intent' | 'turnId' | 'startedAt' | 'endedAt'> {
  durationMs: number | null;
  patches: PatchRow[];
}

export interface TurnRow {
  turnId: string;
  intent: string;
  at: string;
  /** The steps of the turn, in order. */
  steps: StepRow[];
}

export interface TraceRow {
  traceId: string;
  agent: string | null;
  startedAt: string;
  endedAt: string;
  steps: number;
  turns: number;
  patches: number;
  /** Patches per survival state. */
  byState: StateCounts;
  /** The first prompt of the trace, for the list. */
  intent: string | null;
}

export interface TraceDetail {
  row: TraceRow;
  steps: StepRow[];
  turns: TurnRow[];
}

export interface TimelineRow {
  commit: string;
  state: SurvivalState;
  aliveLines: number;
  totalLines: number;
}

export interface PatchDetail {
  row: PatchRow;
  oldPath: string | null;
  binary: boolean;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  removed: string[];
  added: string[];
  /** Null when the engine has nothing on the patch (it is then `unknown`). */
  survival: Survival | null;
  anchor: Anchor | null;
  /**
   * The state at each commit where it changed, oldest first; null when the model was built from a
   * pass of the engine without timelines (loadTimelines adds them).
   */
  timeline: TimelineRow[] | null;
  step: { index: number; kind: StepKind; tool: string | null; intent: string | null } | null;
}

export interface ExplorerModel {
  /** The commit survival was judged at (null on an unborn branch). */
  at: string | null;
  traces: TraceRow[];
  details: Map<string, TraceDetail>;
  patches: Map<string, PatchDetail>;
  totals: { traces: number; steps: number; patches: number; byState: StateCounts };
}

function durationMs(start: string, end: string | null): number | null {
  if (!end) return null;
  const d = Date.parse(end) - Date.parse(start);
  return Number.isFinite(d) && d >= 0 ? d : null;
}

function patchRow(patch: Patch, report: SurvivalReport, trail: Trail): PatchRow {
  const s = report.patches.get(patch.patchId);
  return {
    patchId: patch.patchId,
    traceId: patch.traceId,
    stepId: patch.stepId,
    path: patch.path,
    change: patch.change,
    added: addedCount(patch),
    removed: removedCount(patch),
    state: s?.survival.state ?? 'unknown',
    anchorCommit: s?.anchor?.commit ?? trail.anchors.get(patch.patchId)?.commit ?? null,
    unattributed: patch.unattributed ?? null,
  };
}

/** Folds the trail and the survival report into the explorer's model (traces newest first). */
export function buildExplorer(trail: Trail, report: SurvivalReport): ExplorerModel {
  const details = new Map<string, TraceDetail>();
  const patches = new Map<string, PatchDetail>();
  const totals = { traces: 0, steps: 0, patches: 0, byState: emptyCounts() };
  for (const trace of trail.traces.values()) {
    // Traces with neither steps nor turns (only anchor events survived a gc) are not worth a row.
    if (trace.steps.length === 0 && trace.turns.length === 0) continue;
    const byState = emptyCounts();
    let patchCount = 0;
    const steps: StepRow[] = trace.steps.map((step) => {
      const rows: PatchRow[] = [];
      for (const id of step.patchIds) {
        const patch = trail.patches.get(id);
        if (!patch) continue;
        const row = patchRow(patch, report, trail);
        rows.push(row);
        byState[row.state]++;
        patchCount++;
        const s = report.patches.get(id);
        patches.set(id, {
          row,
          oldPath: patch.oldPath,
          binary: patch.binary,
          oldStart: patch.oldStart,
          oldLines: patch.oldLines,
          newStart: patch.newStart,
          newLines: patch.newLines,
          removed: patch.removed,
          added: patch.added,
          survival: s?.survival ?? null,
          anchor: s?.anchor ?? trail.anchors.get(id) ?? null,
          timeline: !s ? [] : s.timeline ? s.timeline.map((p) => ({ commit: p.commit, state: p.state, aliveLines: p.survival.aliveLines, totalLines: p.survival.totalLines })) : null,
          step: { index: step.index, kind: step.kind, tool: step.tool, intent: step.intent },
        });
      }
      return {
        traceId: trace.traceId,
        stepId: step.stepId,
        index: step.index,
        kind: step.kind,
        tool: step.tool,
        agent: step.agent,
        intent: step.intent,
        turnId: step.turnId,
        startedAt: step.startedAt,
        endedAt: step.endedAt,
        durationMs: durationMs(step.startedAt, step.endedAt),
        patches: rows,
      };
    });
    const turns: TurnRow[] = trace.turns.map((t) => ({ ...t, steps: steps.filter((s) => s.turnId === t.turnId) }));
    // Steps outside any recorded turn still belong in the conversation, under no prompt.
    const loose = steps.filter((s) => !s.turnId || !trace.turns.some((t) => t.turnId === s.turnId));
    if (loose.length) turns.unshift({ turnId: '', intent: '', at: loose[0]!.startedAt, steps: loose });
    const row: TraceRow = {
      traceId: trace.traceId,
      agent: trace.agent,
      startedAt: trace.startedAt,
      endedAt: trace.endedAt,
      steps: trace.steps.length,
      turns: trace.turns.length,
      patches: patchCount,
      byState,
      intent: trace.turns[0]?.intent ?? trace.steps.find((s) => s.intent)?.intent ?? null,
    };
    details.set(trace.traceId, { row, steps, turns });
    totals.traces++;
    totals.steps += row.steps;
    totals.patches += patchCount;
    for (const st of STATE_ORDER) totals.byState[st] += byState[st];
  }
  const traces = [...details.values()].map((d) => d.row).sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.traceId.localeCompare(b.traceId));
  return { at: report.at, traces, details, patches, totals };
}

/** A survival bar `width` cells wide: one run per non-empty state, each at least one cell when it fits. */
export function survivalBar(byState: StateCounts, width: number): { state: SurvivalState; cells: number }[] {
  const present = STATE_ORDER.filter((s) => byState[s] > 0);
  const total = present.reduce((n, s) => n + byState[s], 0);
  if (total === 0 || width <= 0) return [];
  if (present.length >= width) return present.slice(0, width).map((state) => ({ state, cells: 1 }));
  // Largest remainder over the cells left after each present state has its one.
  const spare = width - present.length;
  const exact = present.map((s) => (byState[s] / total) * spare);
  const cells = exact.map((x) => Math.floor(x));
  let left = spare - cells.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    cells[i]!++;
    left--;
  }
  return present.map((state, i) => ({ state, cells: cells[i]! + 1 }));
}

/** `3 alive_on_path, 1 reverted`: the non-zero counts in state order, or `no patches`. */
export function countsText(byState: StateCounts): string {
  const parts = STATE_ORDER.filter((s) => byState[s] > 0).map((s) => `${byState[s]} ${s}`);
  return parts.length ? parts.join(', ') : 'no patches';
}

export const HOW_TO_RECORD = [
  'No traces are recorded in this repository yet. To record one:',
  '  ot trail hooks install --agent claude-code   then work with Claude Code and commit as usual, or',
  '  ot trail turn start --trace T --intent "..."  and  ot trail step start/end --trace T --step S  around any agent\'s steps.',
];

/** Pads or cuts `s` to exactly `n` columns (with an ellipsis when cut). */
export function fit(s: string, n: number): string {
  if (n <= 0) return '';
  const flat = s.replace(/\s+/g, ' ');
  if (flat.length <= n) return flat.padEnd(n);
  return n === 1 ? '…' : `${flat.slice(0, n - 1)}…`;
}

/** The text `ot trail` prints when it cannot open the interface (piped, or under CI). */
export function explorerSummaryText(model: ExplorerModel): string {
  if (model.traces.length === 0) return `${HOW_TO_RECORD.join('\n')}\n`;
  const t = model.totals;
  const lines = [
    `${t.traces} trace${t.traces === 1 ? '' : 's'}, ${t.steps} step${t.steps === 1 ? '' : 's'}, ${t.patches} patch${t.patches === 1 ? '' : 'es'}${model.at ? ` (survival at ${model.at.slice(0, 7)})` : ''}`,
    '',
  ];
  const idW = Math.max(5, ...model.traces.map((r) => r.traceId.length));
  const agW = Math.max(5, ...model.traces.map((r) => (r.agent ?? '-').length));
  lines.push(`${'TRACE'.padEnd(idW)}  ${'AGENT'.padEnd(agW)}  ${'STEPS'.padStart(5)}  ${'PATCHES'.padStart(7)}  SURVIVAL`);
  for (const r of model.traces) {
    lines.push(`${r.traceId.padEnd(idW)}  ${(r.agent ?? '-').padEnd(agW)}  ${String(r.steps).padStart(5)}  ${String(r.patches).padStart(7)}  ${countsText(r.byState)}`);
  }
  lines.push('', `all: ${countsText(t.byState)}`, 'ot trail track [TRACE] lists every patch; on a terminal, ot trail opens the interactive explorer.');
  return `${lines.join('\n')}\n`;
}

/* ------------------------------------------------------------------------------------------------
 * The pull-request card, explorable: the card of src/views/pr.ts (contract section 5, its JSON
 * fields) joined with the conversation and the diff of the commits it covers.
 * ---------------------------------------------------------------------------------------------- */

/** The fields of the card the explorer shows (the `ot.trail.blame.pr` JSON of contract section 5). */
export interface PrCardData {
  title?: string;
  summary?: string;
  base?: string;
  head?: string;
  alignment: { aligned: number; total: number };
  scope: { hunks: number; aliveHunks: number };
  wallTimeMs: number;
  steps: number;
  traces: number;
  agents: { name: string; steps: number }[];
  commits: {
    sha: string;
    subject: string;
    aligned: boolean;
    intent: string | null;
    survival: { byState: Partial<Record<string, number>> };
    steps: number;
    turns: number;
  }[];
}

export interface PrCommitDetail {
  sha: string;
  subject: string;
  /** The patches anchored to the commit, in trail order, each with its step. */
  patches: PatchDetail[];
  /** The steps that produced them, in trace then step order. */
  steps: StepRow[];
}

export interface PrExplorerModel {
  card: PrCardData;
  commits: PrCommitDetail[];
  /** The turns (prompts) of the traces behind the card's commits, with their steps, oldest first. */
  conversation: (TurnRow & { traceId: string; agent: string | null })[];
}

export function buildPrExplorer(card: PrCardData, model: ExplorerModel): PrExplorerModel {
  const byCommit = new Map<string, PatchDetail[]>();
  for (const p of model.patches.values()) {
    const c = p.anchor?.commit;
    if (!c) continue;
    const list = byCommit.get(c) ?? [];
    list.push(p);
    byCommit.set(c, list);
  }
  const traceIds = new Set<string>();
  const commits = card.commits.map((c) => {
    const patches = byCommit.get(c.sha) ?? [];
    const stepKeys = new Set(patches.map((p) => `${p.row.traceId}\0${p.row.stepId}`));
    const steps: StepRow[] = [];
    for (const p of patches) traceIds.add(p.row.traceId);
    for (const id of [...new Set(patches.map((p) => p.row.traceId))]) {
      for (const s of model.details.get(id)?.steps ?? []) if (stepKeys.has(`${s.traceId}\0${s.stepId}`)) steps.push(s);
    }
    return { sha: c.sha, subject: c.subject, patches, steps };
  });
  const conversation: PrExplorerModel['conversation'] = [];
  for (const id of traceIds) {
    const d = model.details.get(id);
    if (!d) continue;
    for (const t of d.turns) conversation.push({ ...t, traceId: id, agent: d.row.agent });
  }
  conversation.sort((a, b) => a.at.localeCompare(b.at));
  return { card, commits, conversation };
}

/** Filters rows whose text contains every word of `query` (case-insensitive). */
export function matchesFilter(query: string, ...fields: (string | null | undefined)[]): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = fields.filter(Boolean).join(' ').toLowerCase();
  return words.every((w) => hay.includes(w));
}

/* ------------------------------------------------------------------------------------------------
 * Loading: the trail and its survival, for the interface and the text summary.
 * ---------------------------------------------------------------------------------------------- */

export interface ExplorerData {
  repo: Repo;
  trail: Trail;
  report: SurvivalReport;
  model: ExplorerModel;
}

/**
 * Reads the trail of the repository at `repoDir` and judges every patch's survival at HEAD. Without
 * `timeline` the engine is served by its cache; with it, the engine walks the whole history again
 * to record each patch's state at every commit (the patches' `timeline` is null without it).
 */
export async function loadExplorer(repoDir: string, options: { traceId?: string; timeline?: boolean; /** Revision to judge survival at (default HEAD). */ at?: string } = {}): Promise<ExplorerData> {
  const { openRepo } = await import('../git/repo.js');
  const { loadTrail, loadTraceTrail } = await import('../store/trail.js');
  const repo = await openRepo(repoDir);
  const trail = options.traceId ? await loadTraceTrail(repo, options.traceId) : await loadTrail(repo);
  const { computeSurvival } = await import('../survival/engine.js');
  const report = await computeSurvival(repo, trail, { timeline: options.timeline ?? true, at: options.at });
  return { repo, trail, report, model: buildExplorer(trail, report) };
}

/**
 * The model of `data` with every patch's survival timeline: the engine again, over the same trail
 * and at the same commit, with `timeline`. The interface shows the traces from the cached pass and
 * asks for this once its first frame is out; only a patch's screen needs it.
 */
export async function loadTimelines(data: ExplorerData): Promise<ExplorerModel> {
  if ([...data.model.patches.values()].every((p) => p.timeline !== null)) return data.model;
  const { computeSurvival } = await import('../survival/engine.js');
  const report = await computeSurvival(data.repo, data.trail, { timeline: true, at: data.report.at ?? undefined });
  return buildExplorer(data.trail, report);
}
