import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import type { ExplorerModel } from '../views/explorer.js';
import { PR_TABS, type Row, type Segment } from './rows.js';
import { LOADING_TEXT, composeScreen, cutLine, frame, frameRows, initialContext, initialState, top, windowStart, type AppData, type Frame, type PrLoad, type ScreenContext, type State } from './screen.js';

export type { AppData } from './screen.js';

/**
 * The interface: one screen at a time on a stack (traces → trace → patch, or the PR card → patch),
 * every screen a list of one-line rows with a cursor, a filter and a window that follows the
 * terminal's size. What a screen shows is composed in screen.ts; these components draw it.
 */

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
  const parts = cutLine(segments, width, selected);
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
  const size = useTerminalSize();
  const [state, dispatch] = useReducer(reducer, data, initialState);
  useEffect(() => {
    if (state.quit) onQuit();
  }, [state.quit, onQuit]);
  const t = top(state);
  const start = initialContext(data);
  // The model on show: the one loaded, then the same with the survival timelines once computed.
  const [model, setModel] = useState<ExplorerModel | null>(start.model);
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
  const [prLoad, setPrLoad] = useState<PrLoad>(start.prLoad);
  const loadPr = data.kind === 'explorer' ? data.loadPr : undefined;
  useEffect(() => {
    if (t.screen.kind !== 'pr' || prLoad.status !== 'idle' || !loadPr) return;
    setPrLoad({ status: 'loading' });
    loadPr().then(
      (p) => setPrLoad({ status: 'ready', pr: p }),
      (err: unknown) => setPrLoad({ status: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  }, [t.screen.kind, prLoad.status, loadPr]);
  const ctx: ScreenContext = { model, pr: prLoad.status === 'ready' ? prLoad.pr : null, prLoad, timelineError, canPr: start.canPr };
  const screen = composeScreen(state, ctx, size);
  const { width } = screen;

  const view: View = { rows: (f) => frameRows(f, ctx, width), height: screen.bodyHeight, canPr: ctx.canPr };
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

  return (
    <Box flexDirection="column" width={width} height={screen.height}>
      <Line width={width} segments={screen.crumbs.segments} />
      {screen.header.map((l) => (
        <Line key={l.key} width={width} segments={l.segments} />
      ))}
      <Text dimColor>{screen.rule}</Text>
      <Box flexDirection="column" height={screen.bodyHeight}>
        {screen.body.map((l) => (
          <Line key={l.key} width={width} segments={l.segments} selected={l.selected} />
        ))}
      </Box>
      <Text dimColor>{screen.rule}</Text>
      <Box width={width}>
        <Box flexGrow={1}>
          <Line width={Math.max(1, width - screen.position.length - 1)} segments={screen.footer} />
        </Box>
        <Text dimColor>{screen.position}</Text>
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
      <Text dimColor>{LOADING_TEXT}</Text>
    </Box>
  );
}
