import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import type { ExplorerModel, PrExplorerModel } from '../views/explorer.js';
import { HOW_TO_RECORD } from '../views/explorer.js';
import {
  PR_TABS,
  filterRows,
  patchRows,
  prRows,
  screenHeader,
  short,
  traceRows,
  tracesRows,
  type Row,
  type Screen,
  type Segment,
} from './rows.js';

/**
 * The interface: one screen at a time on a stack (traces → trace → patch, or the PR card → patch),
 * every screen a list of one-line rows with a cursor, a filter and a window that follows the
 * terminal's size.
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

interface State {
  stack: Frame[];
  typing: boolean;
  note: string | null;
  /** q was pressed (outside the filter prompt). */
  quit?: boolean;
}

const frame = (screen: Screen): Frame => ({ screen, cursor: 0, offset: 0, filter: '' });

function initialState(data: AppData): State {
  if (data.kind === 'pr') return { stack: [frame({ kind: 'pr', tab: PR_TABS[0] })], typing: false, note: null };
  const stack = [frame({ kind: 'traces' }), ...(data.kind === 'explorer' ? (data.open ?? []).map(frame) : [])];
  return { stack, typing: false, note: null };
}

export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

/** What the reducer needs to know of the screen: its (filtered) rows and the body's height. */
export interface View {
  rows(frame: Frame): Row[];
  height: number;
  /** `p` can open the pull-request card. */
  canPr?: boolean;
}

type Action = { type: 'key'; input: string; key: KeyInfo; view: View } | { type: 'note'; text: string | null };

/** The first row of the window: the stored one, moved just enough to show the cursor. */
export function windowStart(offset: number, cursor: number, rows: number, height: number): number {
  let o = Math.min(offset, cursor);
  if (cursor >= o + height) o = cursor - height + 1;
  return Math.max(0, Math.min(o, Math.max(0, rows - height)));
}

function top(state: State): Frame {
  return state.stack[state.stack.length - 1]!;
}

function withTop(state: State, f: Partial<Frame>): State {
  return { ...state, stack: [...state.stack.slice(0, -1), { ...top(state), ...f }] };
}

function move(state: State, to: (cursor: number, n: number) => number, view: View): State {
  const t = top(state);
  const n = view.rows(t).length;
  if (n === 0) return { ...state, note: null };
  const cur = Math.min(t.cursor, n - 1);
  const cursor = Math.max(0, Math.min(n - 1, to(cur, n)));
  return { ...withTop(state, { cursor, offset: windowStart(t.offset, cursor, n, view.height) }), note: null };
}

function setFilter(state: State, filter: string): State {
  return { ...withTop(state, { filter, cursor: 0, offset: 0 }), note: null };
}

/**
 * Every key goes through here, against the state as it is (keys arriving in one chunk are applied
 * one after the other, never to a stale screen).
 */
export function reducer(state: State, action: Action): State {
  if (action.type === 'note') return { ...state, note: action.text };
  const { input, key, view } = action;
  const t = top(state);
  const h = view.height;
  if (state.typing) {
    if (key.return) return { ...state, typing: false, note: null };
    if (key.escape) return { ...setFilter(state, ''), typing: false };
    if (key.backspace || key.delete) return setFilter(state, t.filter.slice(0, -1));
    if (key.upArrow) return move(state, (c) => c - 1, view);
    if (key.downArrow) return move(state, (c) => c + 1, view);
    if (input && !key.ctrl && !key.meta && !key.tab && !key.leftArrow && !key.rightArrow) return setFilter(state, t.filter + input);
    return state;
  }
  if (input === 'q') return { ...state, quit: true };
  if (key.upArrow || input === 'k') return move(state, (c) => c - 1, view);
  if (key.downArrow || input === 'j') return move(state, (c) => c + 1, view);
  if (key.pageUp || (key.ctrl && input === 'u')) return move(state, (c) => c - h, view);
  if (key.pageDown || (key.ctrl && input === 'd') || input === ' ') return move(state, (c) => c + h, view);
  if (key.home || input === 'g') return move(state, () => 0, view);
  if (key.end || input === 'G') return move(state, (_c, n) => n - 1, view);
  if (key.return || key.rightArrow) {
    const rows = view.rows(t);
    const row = rows[Math.min(t.cursor, rows.length - 1)];
    if (row?.open) return { ...state, stack: [...state.stack, frame(row.open)], typing: false, note: null };
    return { ...state, note: row ? (row.note ?? 'nothing to open on this line') : null };
  }
  if (key.escape || key.leftArrow) {
    if (key.escape && t.filter) return setFilter(state, '');
    return state.stack.length > 1 ? { ...state, stack: state.stack.slice(0, -1), note: null } : { ...state, note: 'this is the first screen: q quits' };
  }
  if (key.tab) {
    if (t.screen.kind !== 'pr') return { ...state, note: 'tab switches the tabs of the pull-request card; this screen has none' };
    const i = PR_TABS.indexOf(t.screen.tab);
    const tab = PR_TABS[(i + (key.shift ? -1 : 1) + PR_TABS.length) % PR_TABS.length]!;
    return { ...withTop(state, { screen: { kind: 'pr', tab }, cursor: 0, offset: 0, filter: '' }), typing: false, note: null };
  }
  if (input === '/') return { ...state, typing: true, note: null };
  if (input === 'p' && view.canPr && t.screen.kind !== 'pr') return { ...state, stack: [...state.stack, frame({ kind: 'pr', tab: PR_TABS[0] })], note: null };
  return state;
}

/** The terminal's size, following resizes. */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout]);
  return size;
}

function Line({ segments, width, selected }: { segments: Segment[]; width: number; selected?: boolean }) {
  // Cut to the width by hand so every row is exactly one line, whatever the terminal.
  let left = Math.max(0, width);
  const parts: Segment[] = [];
  for (const s of segments) {
    if (left <= 0) break;
    const text = s.text.length > left ? `${s.text.slice(0, Math.max(0, left - 1))}…` : s.text;
    left -= text.length;
    if (text) parts.push({ ...s, text });
  }
  if (selected && left > 0) parts.push({ text: ' '.repeat(left) });
  return (
    <Text wrap="truncate-end" inverse={selected}>
      {parts.length === 0 ? ' ' : parts.map((s, i) => (
        <Text key={i} color={s.color} bold={s.bold} dimColor={s.dim && !selected}>
          {s.text}
        </Text>
      ))}
    </Text>
  );
}

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

function rowsOf(screen: Screen, model: ExplorerModel | null, pr: PrExplorerModel | null, width: number, timelineError: string | null): Row[] {
  if (!model) return [];
  if (screen.kind === 'traces') return tracesRows(model, width);
  if (screen.kind === 'trace') return traceRows(model, screen.traceId);
  if (screen.kind === 'patch') return patchRows(model, screen.patchId, timelineError);
  return pr ? prRows(pr, screen.tab) : [];
}

type PrLoad = { status: 'idle' | 'loading' } | { status: 'ready'; pr: PrExplorerModel } | { status: 'error'; message: string };

function emptyText(screen: Screen, model: ExplorerModel | null, filter: string, prLoad: PrLoad): Segment[][] {
  if (screen.kind === 'pr' && prLoad.status === 'error') return [[{ text: 'cannot build the pull-request card', color: 'red', bold: true }], [{ text: prLoad.message }], [{ text: 'esc goes back', dim: true }]];
  if (screen.kind === 'pr' && prLoad.status !== 'ready') return [[{ text: 'reading the pull-request card…', dim: true }]];
  if (filter) return [[{ text: `nothing matches "${filter}"`, color: 'yellow' }], [{ text: 'esc clears the filter, / edits it', dim: true }]];
  if (screen.kind === 'traces') return HOW_TO_RECORD.map((l, i) => [{ text: l, bold: i === 0 }]);
  if (screen.kind === 'trace' && model && !model.details.has(screen.traceId)) return [[{ text: `no trace '${screen.traceId}' is recorded here`, color: 'red' }]];
  if (screen.kind === 'trace') return [[{ text: 'this trace has no steps yet (only prompts were recorded)', dim: true }]];
  if (screen.kind === 'patch') return [[{ text: 'this patch is not in the trail', color: 'red' }]];
  return [[{ text: 'nothing to show on this tab', dim: true }]];
}

export function ErrorScreen({ title, message, hint, width }: { title: string; message: string; hint?: string; width: number }) {
  return (
    <Box flexDirection="column" width={width} borderStyle="round" borderColor="red" paddingX={1}>
      <Text color="red" bold>
        {title}
      </Text>
      <Text>{message}</Text>
      {hint ? <Text dimColor>{hint}</Text> : null}
      <Text dimColor>q quits</Text>
    </Box>
  );
}

type InputHandler = (input: string, key: KeyInfo) => void;

/** What a control character typed among others stands for (Ink names it only when it comes alone). */
function controlKey(ch: string): [string, KeyInfo] {
  if (ch === '\r' || ch === '\n') return ['', { return: true }];
  if (ch === '\t') return ['', { tab: true }];
  if (ch === '\x7f' || ch === '\b') return ['', { backspace: true }];
  const code = ch.charCodeAt(0);
  if (code < 0x20) return [String.fromCharCode(code + 0x60), { ctrl: true }];
  return [ch, {}];
}

/**
 * The keys in one input event. Keys typed quickly (or pasted, or read in one chunk when the
 * interface was busy) arrive as one string: each character is a key of its own, and a control
 * character among them (enter, tab, backspace, ctrl+letter) is that key, not text. A line feed
 * alone is enter too (what a terminal not yet in raw mode turns enter into).
 */
export function splitKeys(input: string, key: KeyInfo): [string, KeyInfo][] {
  const flagged = key.ctrl || key.meta || key.return || key.escape || key.tab || key.backspace || key.delete || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end;
  if (flagged) return [[input, key]];
  const chars = [...input];
  if (chars.length === 1 && controlKey(input)[0] === input) return [[input, key]];
  return chars.map(controlKey);
}

function Explorer({ data, onQuit, input }: { data: AppData; onQuit: () => void; /** Where the root's one input listener sends keys. */ input: { current: InputHandler | null } }) {
  const { columns, rows: termRows } = useTerminalSize();
  const [state, dispatch] = useReducer(reducer, data, initialState);
  useEffect(() => {
    if (state.quit) onQuit();
  }, [state.quit, onQuit]);
  const t = top(state);
  const width = Math.max(20, columns);
  const height = Math.max(6, termRows - 1);
  // The model on show: the one loaded, then the same with the survival timelines once computed.
  const [model, setModel] = useState<ExplorerModel | null>(data.kind === 'error' ? null : data.model);
  const [timelineError, setTimelineError] = useState<string | null>(null);
  const loadTimelines = data.kind === 'explorer' ? data.timelines : undefined;
  useEffect(() => {
    if (!loadTimelines) return;
    let live = true;
    // Effects run once the frame is written: the timelines never delay the first one.
    loadTimelines().then(
      (m) => live && setModel(m),
      (err: unknown) => live && setTimelineError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [loadTimelines]);
  const [prLoad, setPrLoad] = useState<PrLoad>(data.kind === 'pr' ? { status: 'ready', pr: data.pr } : { status: 'idle' });
  const pr = prLoad.status === 'ready' ? prLoad.pr : null;
  const loadPr = data.kind === 'explorer' ? data.loadPr : undefined;
  useEffect(() => {
    if (t.screen.kind !== 'pr' || prLoad.status !== 'idle' || !loadPr) return;
    setPrLoad({ status: 'loading' });
    loadPr().then(
      (p) => setPrLoad({ status: 'ready', pr: p }),
      (err: unknown) => setPrLoad({ status: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  }, [t.screen.kind, prLoad.status, loadPr]);
  const header = data.kind === 'error' ? [] : t.screen.kind === 'pr' && !pr ? [[{ text: 'pull request', bold: true }]] : screenHeader(t.screen, model, pr, width);
  const all = rowsOf(t.screen, model, pr, width, timelineError);
  const rows = filterRows(all, t.filter);
  // crumbs, header, rule, body, rule, footer
  const bodyHeight = Math.max(1, height - header.length - 4);
  const cursor = Math.min(t.cursor, Math.max(0, rows.length - 1));
  const start = windowStart(t.offset, cursor, rows.length, bodyHeight);
  const visible = rows.slice(start, start + bodyHeight);

  const view: View = { rows: (f) => filterRows(rowsOf(f.screen, model, pr, width, timelineError), f.filter), height: bodyHeight, canPr: Boolean(loadPr) };
  input.current = (input, key) => {
    if (data.kind === 'error') {
      if (splitKeys(input, key).some(([ch, k]) => ch === 'q' || k.escape || k.return)) onQuit();
      return;
    }
    for (const [ch, k] of splitKeys(input, key)) {
      if (k.ctrl && ch === 'c') onQuit();
      else dispatch({ type: 'key', input: ch, key: k, view });
    }
  };

  if (data.kind === 'error') return <ErrorScreen title={data.title} message={data.message} hint={data.hint} width={Math.min(width, 100)} />;

  const rule = '─'.repeat(width);
  let footer: Segment[];
  if (state.typing) footer = [{ text: '/ ', color: 'yellow', bold: true }, { text: t.filter }, { text: '█' }, { text: `   ${rows.length} of ${all.length} · enter keeps · esc clears`, dim: true }];
  else if (state.note) footer = [{ text: state.note, color: 'yellow' }];
  else if (t.filter) footer = [{ text: `filter "${t.filter}": ${rows.length} of ${all.length}`, color: 'yellow' }, { text: ' · / edits · esc clears · ', dim: true }, { text: hints(t.screen, Boolean(loadPr)), dim: true }];
  else footer = [{ text: hints(t.screen, Boolean(loadPr)), dim: true }];
  const position = rows.length ? `${cursor + 1}/${rows.length}` : '';

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Line width={width} segments={[{ text: crumbs(state.stack, model), dim: true }]} />
      {header.map((segments, i) => (
        <Line key={i} width={width} segments={segments} />
      ))}
      <Text dimColor>{rule}</Text>
      <Box flexDirection="column" height={bodyHeight}>
        {rows.length === 0
          ? emptyText(t.screen, model, t.filter, prLoad).map((segments, i) => <Line key={i} width={width} segments={segments} />)
          : visible.map((row, i) => <Line key={row.key} width={width} segments={row.segments} selected={start + i === cursor} />)}
      </Box>
      <Text dimColor>{rule}</Text>
      <Box width={width}>
        <Box flexGrow={1}>
          <Line width={Math.max(1, width - position.length - 1)} segments={footer} />
        </Box>
        <Text dimColor>{position}</Text>
      </Box>
    </Box>
  );
}

/** The root: waits for the data (a promise while the trail loads), then explores it. */
export function App({ data, onQuit, onReady }: { data: AppData | Promise<AppData>; onQuit?: () => void; /** Called once the data is on screen. */ onReady?: () => void }) {
  const { exit } = useApp();
  const [loaded, setLoaded] = useState<AppData | null>(data instanceof Promise ? null : data);
  useEffect(() => {
    if (!(data instanceof Promise)) return;
    let live = true;
    data.then(
      (d) => live && setLoaded(d),
      (err: unknown) => live && setLoaded({ kind: 'error', title: 'cannot read the trail', message: err instanceof Error ? err.message : String(err), hint: 'ot trail verify checks the store' }),
    );
    return () => {
      live = false;
    };
  }, [data]);
  useEffect(() => {
    if (loaded) onReady?.();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded]);
  const quit = onQuit ?? (() => exit());
  const { columns } = useTerminalSize();
  // One input listener for the whole life of the interface (raw mode is never toggled between
  // screens, so no key typed during a switch is lost); the screen on show handles the keys.
  const handler = useRef<InputHandler | null>(null);
  // Keys typed while the trail loads, for the screen that shows it (q still quits at once).
  const typedAhead = useRef<[string, KeyInfo][]>([]);
  const quitRef = useRef(quit);
  quitRef.current = quit;
  // One handler for the life of the interface: Ink re-subscribes useInput's listener whenever it changes.
  const onInput = useCallback((input: string, key: KeyInfo) => {
    if (handler.current) handler.current(input, key);
    else if (input === 'q' && !key.ctrl && !key.meta) quitRef.current();
    else typedAhead.current.push([input, key]);
  }, []);
  useInput(onInput);
  useEffect(() => {
    if (!loaded || !handler.current) return;
    for (const [input, key] of typedAhead.current.splice(0)) handler.current(input, key);
  }, [loaded]);
  if (!loaded) return <LoadingScreen width={columns} />;
  return <Explorer data={loaded} onQuit={quit} input={handler} />;
}

function LoadingScreen({ width }: { width: number }) {
  return (
    <Box width={width}>
      <Text dimColor>reading the trail…</Text>
    </Box>
  );
}
