import { COLOR_SGR } from '../render/text-style.js';
import type { ExplorerModel, PrExplorerModel } from '../views/explorer.js';
import { HOW_TO_RECORD } from '../views/explorer.js';
import { PR_TABS, filterRows, patchRows, prRows, screenHeader, short, traceRows, tracesRows, type Row, type Screen, type Segment } from './rows.js';

/**
 * What the interface shows, as plain data and without Ink: the state of the screen stack, and the
 * whole screen composed from it, line by line. The Ink components (app.tsx) draw a composed screen;
 * screenText writes the same screen as terminal text, which is how the first frame goes out before
 * Ink and React have loaded (open.ts).
 */

export type AppData =
  | {
      kind: 'explorer';
      model: ExplorerModel;
      /** Screens to start on, above the traces list. */
      open?: Screen[];
      /** Reads the pull-request card of the current branch (`p`), when asked for. */
      loadPr?: () => Promise<PrExplorerModel>;
      /**
       * The same model with the patches' survival timelines, when `model` was built without them
       * (from the engine's cache, for a fast first frame). Asked for once the first frame is out.
       */
      timelines?: () => Promise<ExplorerModel>;
    }
  | { kind: 'pr'; model: ExplorerModel; pr: PrExplorerModel }
  | { kind: 'error'; title: string; message: string; hint?: string };

export interface Frame {
  screen: Screen;
  cursor: number;
  offset: number;
  filter: string;
}

export interface State {
  stack: Frame[];
  typing: boolean;
  note: string | null;
  /** q was pressed (outside the filter prompt). */
  quit?: boolean;
}

export const frame = (screen: Screen): Frame => ({ screen, cursor: 0, offset: 0, filter: '' });

export function initialState(data: AppData): State {
  if (data.kind === 'pr') return { stack: [frame({ kind: 'pr', tab: PR_TABS[0] })], typing: false, note: null };
  const stack = [frame({ kind: 'traces' }), ...(data.kind === 'explorer' ? (data.open ?? []).map(frame) : [])];
  return { stack, typing: false, note: null };
}

export function top(state: State): Frame {
  return state.stack[state.stack.length - 1]!;
}

/** The first row of the window: the stored one, moved just enough to show the cursor. */
export function windowStart(offset: number, cursor: number, rows: number, height: number): number {
  let o = Math.min(offset, cursor);
  if (cursor >= o + height) o = cursor - height + 1;
  return Math.max(0, Math.min(o, Math.max(0, rows - height)));
}

export type PrLoad = { status: 'idle' | 'loading' } | { status: 'ready'; pr: PrExplorerModel } | { status: 'error'; message: string };

/** What a screen is drawn from besides the stack: the data loaded, and what arrived after it. */
export interface ScreenContext {
  model: ExplorerModel | null;
  pr: PrExplorerModel | null;
  prLoad: PrLoad;
  timelineError: string | null;
  /** `p` can open the pull-request card. */
  canPr: boolean;
}

/** The context a screen starts with, from the data loaded. */
export function initialContext(data: AppData): ScreenContext {
  return {
    model: data.kind === 'error' ? null : data.model,
    pr: data.kind === 'pr' ? data.pr : null,
    prLoad: data.kind === 'pr' ? { status: 'ready', pr: data.pr } : { status: 'idle' },
    timelineError: null,
    canPr: data.kind === 'explorer' && Boolean(data.loadPr),
  };
}

export function rowsOf(screen: Screen, ctx: ScreenContext, width: number): Row[] {
  const { model, pr } = ctx;
  if (!model) return [];
  if (screen.kind === 'traces') return tracesRows(model, width);
  if (screen.kind === 'trace') return traceRows(model, screen.traceId);
  if (screen.kind === 'patch') return patchRows(model, screen.patchId, ctx.timelineError);
  return pr ? prRows(pr, screen.tab) : [];
}

/** The rows of a frame's screen, after its filter (`width` as composeScreen clamps it). */
export function frameRows(f: Frame, ctx: ScreenContext, width: number): Row[] {
  return filterRows(rowsOf(f.screen, ctx, width), f.filter);
}

/** The width a terminal of `columns` gives the screen. */
export const screenWidth = (columns: number): number => Math.max(20, columns);

function crumbs(stack: Frame[], model: ExplorerModel | null): string {
  return stack
    .map((f) => {
      const s = f.screen;
      if (s.kind === 'traces') return 'traces';
      if (s.kind === 'trace') return s.traceId;
      if (s.kind === 'pr') return 'pull request';
      return model?.patches.get(s.patchId)?.row.path ?? short(s.patchId);
    })
    .join(' › ');
}

function hints(screen: Screen, canPr: boolean): string {
  const move = '↑↓/jk move';
  if (screen.kind === 'traces') return `${move} · enter open · / filter${canPr ? ' · p pull request' : ''} · q quit`;
  if (screen.kind === 'trace') return `${move} · enter open patch · esc back · / filter · q quit`;
  if (screen.kind === 'patch') return `${move} scroll · esc back · / filter · q quit`;
  return `tab next tab · ${move} · enter open patch · esc back · / filter · q quit`;
}

function emptyText(screen: Screen, ctx: ScreenContext, filter: string): Segment[][] {
  const { prLoad, model } = ctx;
  if (screen.kind === 'pr' && prLoad.status === 'error') return [[{ text: 'cannot build the pull-request card', color: 'red', bold: true }], [{ text: prLoad.message }], [{ text: 'esc goes back', dim: true }]];
  if (screen.kind === 'pr' && prLoad.status !== 'ready') return [[{ text: 'reading the pull-request card…', dim: true }]];
  if (filter) return [[{ text: `nothing matches "${filter}"`, color: 'yellow' }], [{ text: 'esc clears the filter, / edits it', dim: true }]];
  if (screen.kind === 'traces') return HOW_TO_RECORD.map((l, i) => [{ text: l, bold: i === 0 }]);
  if (screen.kind === 'trace' && model && !model.details.has(screen.traceId)) return [[{ text: `no trace '${screen.traceId}' is recorded here`, color: 'red' }]];
  if (screen.kind === 'trace') return [[{ text: 'this trace has no steps yet (only prompts were recorded)', dim: true }]];
  if (screen.kind === 'patch') return [[{ text: 'this patch is not in the trail', color: 'red' }]];
  return [[{ text: 'nothing to show on this tab', dim: true }]];
}

export interface ScreenLine {
  key: string;
  segments: Segment[];
  selected?: boolean;
}

/** One screen, composed: top to bottom, crumbs, header, rule, body, rule, footer and position. */
export interface ComposedScreen {
  width: number;
  height: number;
  crumbs: ScreenLine;
  header: ScreenLine[];
  rule: string;
  /** The rows in the window (or what an empty screen says), at most bodyHeight of them. */
  body: ScreenLine[];
  bodyHeight: number;
  footer: Segment[];
  /** `cursor/rows`, right-aligned on the footer's line. */
  position: string;
  /** The screen's rows after its filter, and before it. */
  rows: Row[];
  all: Row[];
}

export const LOADING_TEXT = 'reading the trail…';

/** The whole screen for `state` on a terminal of `size`. */
export function composeScreen(state: State, ctx: ScreenContext, size: { columns: number; rows: number }): ComposedScreen {
  const t = top(state);
  const width = screenWidth(size.columns);
  const height = Math.max(6, size.rows - 1);
  const header = t.screen.kind === 'pr' && !ctx.pr ? [[{ text: 'pull request', bold: true }]] : screenHeader(t.screen, ctx.model, ctx.pr, width);
  const all = rowsOf(t.screen, ctx, width);
  const rows = filterRows(all, t.filter);
  // crumbs, header, rule, body, rule, footer
  const bodyHeight = Math.max(1, height - header.length - 4);
  const cursor = Math.min(t.cursor, Math.max(0, rows.length - 1));
  const start = windowStart(t.offset, cursor, rows.length, bodyHeight);
  const body: ScreenLine[] =
    rows.length === 0
      ? emptyText(t.screen, ctx, t.filter).map((segments, i) => ({ key: String(i), segments }))
      : rows.slice(start, start + bodyHeight).map((row, i) => ({ key: row.key, segments: row.segments, selected: start + i === cursor }));
  let footer: Segment[];
  if (state.typing) footer = [{ text: '/ ', color: 'yellow', bold: true }, { text: t.filter }, { text: '█' }, { text: `   ${rows.length} of ${all.length} · enter keeps · esc clears`, dim: true }];
  else if (state.note) footer = [{ text: state.note, color: 'yellow' }];
  else if (t.filter) footer = [{ text: `filter "${t.filter}": ${rows.length} of ${all.length}`, color: 'yellow' }, { text: ' · / edits · esc clears · ', dim: true }, { text: hints(t.screen, ctx.canPr), dim: true }];
  else footer = [{ text: hints(t.screen, ctx.canPr), dim: true }];
  return {
    width,
    height,
    crumbs: { key: 'crumbs', segments: [{ text: crumbs(state.stack, ctx.model), dim: true }] },
    header: header.map((segments, i) => ({ key: String(i), segments })),
    rule: '─'.repeat(width),
    body: body.slice(0, bodyHeight),
    bodyHeight,
    footer,
    position: rows.length ? `${cursor + 1}/${rows.length}` : '',
    rows,
    all,
  };
}

/**
 * The segments of one line cut to `width` columns (with an ellipsis where cut), so that every line
 * is exactly one line whatever the terminal; a selected line is padded to the width.
 */
export function cutLine(segments: Segment[], width: number, selected = false): Segment[] {
  let left = Math.max(0, width);
  const parts: Segment[] = [];
  for (const s of segments) {
    if (left <= 0) break;
    const text = s.text.length > left ? `${s.text.slice(0, Math.max(0, left - 1))}…` : s.text;
    left -= text.length;
    if (text) parts.push({ ...s, text });
  }
  if (selected && left > 0) parts.push({ text: ' '.repeat(left) });
  return parts;
}


function sgrLine(segments: Segment[], width: number, selected = false): string {
  return cutLine(segments, width, selected)
    .map((s) => {
      const codes = [selected ? 7 : 0, s.color ? COLOR_SGR[s.color] : 0, s.bold ? 1 : 0, s.dim && !selected ? 2 : 0].filter(Boolean);
      return codes.length ? `\x1b[${codes.join(';')}m${s.text}\x1b[0m` : s.text;
    })
    .join('');
}

/** A composed screen as terminal text: the lines Ink draws for it, in the same colours. */
export function screenText(c: ComposedScreen): string {
  const lines = [sgrLine(c.crumbs.segments, c.width), ...c.header.map((l) => sgrLine(l.segments, c.width)), sgrLine([{ text: c.rule, dim: true }], c.width)];
  for (let i = 0; i < c.bodyHeight; i++) {
    const l = c.body[i];
    lines.push(l ? sgrLine(l.segments, c.width, l.selected) : '');
  }
  lines.push(sgrLine([{ text: c.rule, dim: true }], c.width));
  const footerWidth = Math.max(1, c.width - c.position.length - 1);
  const footer = sgrLine(c.footer, footerWidth);
  const footerLength = cutLine(c.footer, footerWidth).reduce((n, s) => n + s.text.length, 0);
  lines.push(`${footer}${' '.repeat(Math.max(0, c.width - c.position.length - footerLength))}${c.position ? `\x1b[2m${c.position}\x1b[0m` : ''}`);
  return lines.join('\n');
}

/** The first frame of `data` as terminal text, or null when Ink must draw it (an error box). */
export function firstFrameText(data: AppData, size: { columns: number; rows: number }): string | null {
  if (data.kind === 'error') return null;
  return screenText(composeScreen(initialState(data), initialContext(data), size));
}
