import { plural, STATE_COLOR, type ColorName } from '../render/text-style.js';
import { aliveCount, STATE_ORDER } from '../model/formats.js';
import type { SurvivalState } from '../model/survival.js';
import {
  countsText,
  fit,
  matchesFilter,
  survivalBar,
  type ExplorerModel,
  type PatchDetail,
  type PatchRow,
  type PrExplorerModel,
  type StepRow,
} from '../views/explorer.js';

/**
 * What each screen of the interface shows, as plain data: lines of styled segments. The Ink
 * components only paint these, so what a screen says is decided (and tested) here.
 */

export type Color = ColorName;

export interface Segment {
  text: string;
  color?: Color;
  bold?: boolean;
  dim?: boolean;
}

export type Screen =
  | { kind: 'traces' }
  | { kind: 'trace'; traceId: string }
  | { kind: 'patch'; patchId: string }
  | { kind: 'pr'; tab: PrTab };

export const PR_TABS = ['intent alignment', 'trail', 'conversation', 'diff'] as const;
export type PrTab = (typeof PR_TABS)[number];

export interface Row {
  key: string;
  segments: Segment[];
  /** Rows sharing a group are filtered together with their header. */
  group?: string;
  header?: boolean;
  /** Where enter leads from this row. */
  open?: Screen;
  /** Said in the footer when enter is pressed on a row that opens nothing. */
  note?: string;
}

export const short = (sha: string | null | undefined): string => (sha ? sha.slice(0, 7) : '-');

function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}

function day(iso: string): string {
  return iso.slice(0, 10);
}

export function duration(ms: number | null): string {
  if (ms === null) return 'open';
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The survival bar as coloured block segments, `width` cells wide (blank when there are no patches). */
export function barSegments(byState: Record<SurvivalState, number>, width: number): Segment[] {
  const runs = survivalBar(byState, width);
  if (runs.length === 0) return [{ text: '·'.repeat(Math.max(0, width)), dim: true }];
  return runs.map((r) => ({ text: '█'.repeat(r.cells), color: STATE_COLOR[r.state] }));
}

function stateSegment(state: SurvivalState): Segment {
  return { text: state, color: STATE_COLOR[state] };
}

/* ------------------------------------------------------------------------------------------------
 * Rows per screen.
 * ---------------------------------------------------------------------------------------------- */

export function tracesRows(model: ExplorerModel, width: number): Row[] {
  const idW = Math.min(28, Math.max(5, ...model.traces.map((t) => t.traceId.length)));
  const agW = Math.min(14, Math.max(5, ...model.traces.map((t) => (t.agent ?? '-').length)));
  const barW = width >= 90 ? 20 : width >= 60 ? 10 : 0;
  return model.traces.map((t) => ({
    key: t.traceId,
    open: { kind: 'trace', traceId: t.traceId },
    segments: [
      { text: fit(t.traceId, idW), bold: true },
      { text: '  ' },
      { text: fit(t.agent ?? '-', agW), color: 'cyan' },
      { text: `  ${String(t.steps).padStart(3)} ${t.steps === 1 ? 'step ' : 'steps'}  ${String(t.patches).padStart(3)} ${t.patches === 1 ? 'patch  ' : 'patches'}  ` },
      ...(barW ? [...barSegments(t.byState, barW), { text: '  ' }] : []),
      { text: `${aliveCount(t.byState)}/${t.patches} alive  `, dim: t.patches === 0 },
      { text: `${day(t.startedAt)}  ` , dim: true },
      { text: t.intent ? `"${t.intent.replace(/\s+/g, ' ')}"` : '', dim: true },
    ],
  }));
}

function patchSegments(p: PatchRow, indent: string): Segment[] {
  return [
    { text: `${indent}${p.change === 'added' ? '+' : p.change === 'deleted' ? '-' : '~'} ` , dim: true },
    { text: p.path },
    { text: `  +${p.added} -${p.removed}  `, dim: true },
    stateSegment(p.state),
    { text: p.anchorCommit ? `  @ ${short(p.anchorCommit)}` : '  not committed', dim: true },
    ...(p.unattributed ? [{ text: `  unattributed: ${p.unattributed}`, color: 'yellow' as const }] : []),
  ];
}

function stepSegments(s: StepRow): Segment[] {
  const states = STATE_ORDER.filter((st) => s.patches.some((p) => p.state === st));
  return [
    { text: `#${String(s.index + 1).padStart(3, '0')} `, bold: true },
    { text: `${clock(s.startedAt)} `, dim: true },
    { text: fit(s.kind, 5), color: s.kind === 'write' ? 'yellow' : s.kind === 'user' ? 'magenta' : 'cyan' },
    { text: ` ${fit(s.tool ?? '-', 12)} ` },
    { text: `${duration(s.durationMs).padStart(6)}  `, dim: true },
    { text: s.patches.length ? `${s.patches.length} patch${s.patches.length === 1 ? '' : 'es'} ` : 'no change ', dim: s.patches.length === 0 },
    ...states.map((st) => ({ text: '●', color: STATE_COLOR[st] })),
    { text: s.intent ? `  "${s.intent.replace(/\s+/g, ' ')}"` : '', dim: true },
  ];
}

/** A trace's steps as a timeline, each followed by its patches (enter on a patch opens it). */
export function traceRows(model: ExplorerModel, traceId: string): Row[] {
  const d = model.details.get(traceId);
  if (!d) return [];
  const rows: Row[] = [];
  let turn: string | null | undefined;
  for (const s of d.steps) {
    const group = `${s.stepId}#${s.index}`;
    if (s.turnId !== turn) {
      turn = s.turnId;
      const t = d.turns.find((x) => x.turnId === s.turnId);
      if (t?.intent) rows.push({ key: `turn:${group}`, group, header: true, segments: [{ text: '▸ prompt ', color: 'magenta' }, { text: `"${t.intent.replace(/\s+/g, ' ')}"`, bold: true }] });
    }
    rows.push({
      key: `step:${group}`,
      group,
      header: true,
      segments: stepSegments(s),
      open: s.patches[0] ? { kind: 'patch', patchId: s.patches[0].patchId } : undefined,
      note: s.patches.length ? undefined : `step ${s.index + 1} (${s.kind}${s.tool ? `, ${s.tool}` : ''}) changed no files`,
    });
    s.patches.forEach((p, i) =>
      rows.push({ key: `patch:${p.patchId}`, group, open: { kind: 'patch', patchId: p.patchId }, segments: patchSegments(p, i === s.patches.length - 1 ? '     └ ' : '     ├ ') }),
    );
  }
  return rows;
}

export function diffRows(p: PatchDetail, keyPrefix: string, group?: string): Row[] {
  const rows: Row[] = [];
  const oldAt = p.oldPath && p.oldPath !== p.row.path ? `${p.oldPath} → ` : '';
  rows.push({
    key: `${keyPrefix}hunk`,
    group,
    segments: [{ text: `@@ -${p.oldStart},${p.oldLines} +${p.newStart},${p.newLines} @@ `, color: 'cyan' }, { text: `${oldAt}${p.row.path}`, dim: true }],
  });
  if (p.binary) rows.push({ key: `${keyPrefix}bin`, group, segments: [{ text: '  (binary file: no lines to show)', dim: true }] });
  p.removed.forEach((l, i) => rows.push({ key: `${keyPrefix}-${i}`, group, segments: [{ text: `-${l}`, color: 'red' }] }));
  p.added.forEach((l, i) => rows.push({ key: `${keyPrefix}+${i}`, group, segments: [{ text: `+${l}`, color: 'green' }] }));
  if (!p.binary && p.removed.length + p.added.length === 0) rows.push({ key: `${keyPrefix}empty`, group, segments: [{ text: '  (no line changes: a mode or rename only)', dim: true }] });
  return rows;
}

/**
 * A patch: its survival now, its survival timeline, then its diff. A model built without timelines
 * says the timeline is being computed, or `timelineError` when that failed.
 */
export function patchRows(model: ExplorerModel, patchId: string, timelineError: string | null = null): Row[] {
  const p = model.patches.get(patchId);
  if (!p) return [];
  const rows: Row[] = [];
  const s = p.survival;
  rows.push({ key: 'state', segments: [{ text: 'survival  ', dim: true }, stateSegment(p.row.state), { text: s?.reason ? `  (${s.reason})` : '', dim: true }] });
  if (s) {
    rows.push({
      key: 'counts',
      segments: [{ text: 'lines     ', dim: true }, { text: `${s.totalLines} added: ${s.aliveLines} alive, ${s.movedLines} moved, ${s.editedLines} edited, ${s.deletedLines} deleted` }, { text: s.byCommit ? `  by ${short(s.byCommit)}` : '', dim: true }, { text: s.lostKind ? `  (${s.lostKind})` : '', color: 'red' }],
    });
  }
  rows.push({
    key: 'anchor',
    segments: [{ text: 'anchor    ', dim: true }, { text: p.anchor ? `${short(p.anchor.commit)} ${p.anchor.firmness}, ${p.anchor.path}${p.anchor.lines.length ? `:${p.anchor.lines[0]}${p.anchor.lines.length > 1 ? `-${p.anchor.lines[p.anchor.lines.length - 1]}` : ''}` : ''}` : 'none: not committed yet' }],
  });
  rows.push({ key: 'tl-head', segments: [{ text: 'timeline', bold: true }] });
  const timeline = p.timeline;
  if (timeline === null) {
    rows.push(
      timelineError
        ? { key: 'tl-error', segments: [{ text: `  cannot compute the timeline: ${timelineError}`, color: 'red' }] }
        : { key: 'tl-loading', segments: [{ text: '  computing the state at each commit…', dim: true }] },
    );
  } else if (timeline.length === 0) rows.push({ key: 'tl-none', segments: [{ text: '  no state change recorded at any commit yet', dim: true }] });
  timeline?.forEach((t, i) =>
    rows.push({ key: `tl:${i}`, segments: [{ text: `  ${i === timeline.length - 1 ? '└' : '├'} ${short(t.commit)}  `, dim: true }, stateSegment(t.state), { text: `  ${t.aliveLines}/${t.totalLines} alive`, dim: true }] }),
  );
  rows.push({ key: 'diff-head', segments: [{ text: 'diff', bold: true }] });
  rows.push(...diffRows(p, 'd'));
  return rows;
}

function quote(text: string | null): string {
  return text ? `"${text.replace(/\s+/g, ' ')}"` : '(no intent recorded)';
}

function byStateText(byState: Partial<Record<string, number>>): string {
  const total = Object.values(byState).reduce((a: number, b) => a + (b ?? 0), 0);
  const parts = STATE_ORDER.filter((s) => (byState[s] ?? 0) > 0).map((s) => `${byState[s]}/${total} ${s}`);
  return parts.length ? parts.join(', ') : 'no traced patches';
}

/** The rows of one tab of the PR card. */
export function prRows(pr: PrExplorerModel, tab: PrTab): Row[] {
  const rows: Row[] = [];
  const n = pr.card.commits.length;
  const idx = (i: number) => `${String(i + 1).padStart(2, '0')} / ${String(n).padStart(2, '0')}`;
  if (tab === 'intent alignment') {
    pr.card.commits.forEach((c, i) => {
      const g = c.sha;
      const first = pr.commits[i]?.patches[0];
      rows.push({
        key: `c:${c.sha}`,
        group: g,
        header: true,
        open: first ? { kind: 'patch', patchId: first.row.patchId } : undefined,
        note: first ? undefined : `${short(c.sha)} has no traced patch to open`,
        segments: [
          { text: `${idx(i)}  `, dim: true },
          { text: c.subject, bold: true },
          { text: `  ${short(c.sha)}  `, dim: true },
          c.aligned ? { text: 'aligned', color: 'green' } : { text: 'not aligned', color: 'yellow' },
          { text: ` · ${byStateText(c.survival.byState)}`, dim: true },
        ],
      });
      rows.push({ key: `i:${c.sha}`, group: g, segments: [{ text: '       ' }, { text: quote(c.intent), color: c.intent ? 'magenta' : 'gray' }] });
      rows.push({ key: `t:${c.sha}`, group: g, segments: [{ text: `       trajectory · ${c.steps} step${c.steps === 1 ? '' : 's'} · ${c.turns} turn${c.turns === 1 ? '' : 's'}`, dim: true }] });
    });
    if (n === 0) rows.push({ key: 'none', segments: [{ text: 'no commits between base and head', dim: true }] });
  } else if (tab === 'trail') {
    pr.commits.forEach((c, i) => {
      const g = c.sha;
      rows.push({ key: `c:${c.sha}`, group: g, header: true, segments: [{ text: `${idx(i)}  `, dim: true }, { text: c.subject, bold: true }, { text: `  ${short(c.sha)}`, dim: true }] });
      if (c.steps.length === 0) rows.push({ key: `none:${c.sha}`, group: g, segments: [{ text: '       no agent step behind this commit (unattributed)', dim: true }] });
      for (const s of c.steps) {
        const sg = `${s.traceId}/${s.stepId}#${s.index}`;
        rows.push({ key: `s:${c.sha}:${sg}`, group: g, segments: [{ text: `       ${s.traceId}  `, color: 'cyan' }, ...stepSegments(s)] });
        const mine = c.patches.filter((p) => p.row.traceId === s.traceId && p.row.stepId === s.stepId);
        mine.forEach((p, j) =>
          rows.push({ key: `p:${c.sha}:${p.row.patchId}`, group: g, open: { kind: 'patch', patchId: p.row.patchId }, segments: patchSegments(p.row, j === mine.length - 1 ? '           └ ' : '           ├ ') }),
        );
      }
    });
  } else if (tab === 'conversation') {
    if (pr.conversation.length === 0) rows.push({ key: 'none', segments: [{ text: 'no recorded conversation behind these commits', dim: true }] });
    pr.conversation.forEach((t, i) => {
      const g = `${t.traceId}/${t.turnId}/${i}`;
      rows.push({
        key: `turn:${g}`,
        group: g,
        header: true,
        segments: [{ text: `${day(t.at)} ${clock(t.at)}  `, dim: true }, { text: `${t.agent ?? 'agent'} · ${t.traceId}  `, color: 'cyan' }, { text: t.intent ? quote(t.intent) : '(steps outside any prompt)', bold: true }],
      });
      for (const s of t.steps) {
        rows.push({ key: `s:${g}:${s.stepId}#${s.index}`, group: g, open: s.patches[0] ? { kind: 'patch', patchId: s.patches[0].patchId } : undefined, note: s.patches.length ? undefined : 'this step changed no files', segments: [{ text: '    ' }, ...stepSegments({ ...s, intent: null })] });
      }
    });
  } else {
    pr.commits.forEach((c, i) => {
      const g = c.sha;
      rows.push({ key: `c:${c.sha}`, group: g, header: true, segments: [{ text: `${idx(i)}  `, dim: true }, { text: c.subject, bold: true }, { text: `  ${short(c.sha)}`, dim: true }] });
      if (c.patches.length === 0) rows.push({ key: `none:${c.sha}`, group: g, segments: [{ text: '  no traced patch in this commit', dim: true }] });
      for (const p of c.patches) {
        rows.push({ key: `f:${c.sha}:${p.row.patchId}`, group: g, open: { kind: 'patch', patchId: p.row.patchId }, segments: [{ text: `  ${p.row.path}  `, bold: true }, stateSegment(p.row.state), { text: `  ${p.row.traceId} step ${(p.step?.index ?? 0) + 1}`, dim: true }] });
        rows.push(...diffRows(p, `d:${c.sha}:${p.row.patchId}:`, g).map((r) => ({ ...r, open: { kind: 'patch' as const, patchId: p.row.patchId }, segments: [{ text: '  ' }, ...r.segments] })));
      }
    });
  }
  return rows;
}

export function rowText(row: Row): string {
  return row.segments.map((s) => s.text).join('');
}

/**
 * Keeps the rows matching `query`: a group whose header matches shows whole; otherwise its header
 * stays as context above the rows of it that match.
 */
export function filterRows(rows: Row[], query: string): Row[] {
  if (!query.trim()) return rows;
  const groupHit = new Set<string>();
  const headerHit = new Set<string>();
  for (const r of rows) {
    if (!matchesFilter(query, rowText(r))) continue;
    if (r.group === undefined) continue;
    groupHit.add(r.group);
    if (r.header) headerHit.add(r.group);
  }
  return rows.filter((r) => {
    if (r.group === undefined) return matchesFilter(query, rowText(r));
    if (headerHit.has(r.group)) return true;
    if (!groupHit.has(r.group)) return false;
    return r.header || matchesFilter(query, rowText(r));
  });
}

/** The lines above a screen's rows. */
export function screenHeader(screen: Screen, model: ExplorerModel | null, pr: PrExplorerModel | null, width: number): Segment[][] {
  if (screen.kind === 'traces' && model) {
    const t = model.totals;
    return [
      [{ text: 'ot trail', bold: true }, { text: ` · ${t.traces} trace${t.traces === 1 ? '' : 's'} · ${t.steps} steps · ${t.patches} patches`, dim: false }, { text: model.at ? ` · survival at ${short(model.at)}` : '', dim: true }],
      [...barSegments(t.byState, Math.max(10, Math.min(40, width - 60))), { text: `  ${countsText(t.byState)}`, dim: true }],
    ];
  }
  if (screen.kind === 'trace' && model) {
    const d = model.details.get(screen.traceId);
    if (!d) return [[{ text: `trace ${screen.traceId}`, bold: true }]];
    const r = d.row;
    return [
      [{ text: r.traceId, bold: true }, { text: `  ${r.agent ?? 'unknown agent'}`, color: 'cyan' }, { text: `  ${plural(r.steps, 'step')} · ${plural(r.turns, 'turn')} · ${plural(r.patches, 'patch', 'patches')} · ${day(r.startedAt)} ${clock(r.startedAt)}–${clock(r.endedAt)}`, dim: true }],
      [...barSegments(r.byState, Math.max(10, Math.min(30, width - 60))), { text: `  ${countsText(r.byState)}`, dim: true }],
    ];
  }
  if (screen.kind === 'patch' && model) {
    const p = model.patches.get(screen.patchId);
    if (!p) return [[{ text: `patch ${short(screen.patchId)}`, bold: true }]];
    return [
      [{ text: p.row.path, bold: true }, { text: `  ${p.row.change}  +${p.row.added} -${p.row.removed}  patch ${short(p.row.patchId)}`, dim: true }],
      [{ text: `${p.row.traceId}`, color: 'cyan' }, { text: p.step ? ` · step ${p.step.index + 1} ${p.step.kind}${p.step.tool ? ` ${p.step.tool}` : ''}` : '', dim: true }, { text: p.step?.intent ? `  "${p.step.intent.replace(/\s+/g, ' ')}"` : '', color: 'magenta' }],
    ];
  }
  if (screen.kind === 'pr' && pr) {
    const c = pr.card;
    const agents = c.agents.map((a) => `${a.name} (${a.steps})`).join(', ') || 'none';
    return [
      [{ text: c.title ?? 'pull request', bold: true }, { text: c.base || c.head ? `  ${short(c.base)}..${short(c.head)}` : '', dim: true }],
      ...(c.summary ? [[{ text: c.summary, dim: true } as Segment]] : []),
      [
        { text: '✓ intent alignment ', dim: true },
        { text: `${c.alignment.aligned} / ${c.alignment.total}`, bold: true, color: c.alignment.aligned === c.alignment.total ? 'green' : 'yellow' },
        { text: '   ⌥ code scope ', dim: true },
        { text: `${c.scope.hunks} hunks, ${c.scope.aliveHunks} alive`, bold: true },
        { text: '   ◷ wall time ', dim: true },
        { text: duration(c.wallTimeMs), bold: true },
        { text: `   ${c.steps} steps · ${c.traces} traces`, dim: true },
      ],
      [{ text: '⚇ agents ', dim: true }, { text: agents, color: 'cyan' }],
      PR_TABS.flatMap((t, i): Segment[] => [...(i ? [{ text: '  ' }] : []), t === screen.tab ? { text: `[${t}]`, bold: true, color: 'yellow' } : { text: ` ${t} `, dim: true }]),
    ];
  }
  return [];
}
