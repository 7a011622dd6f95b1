import type { AppData } from './screen.js';

/**
 * The one way into the interactive interface. Ink and React are imported here, dynamically, so no
 * plain command pays for them; callers must only call this on a terminal (IO.interactive: stdout
 * and stdin are TTYs and CI is unset) and must themselves import this module lazily.
 */
export type TuiTarget = { kind: 'traces' } | { kind: 'pr'; base?: string; head?: string } | { kind: 'trace'; traceId: string };

/** Reads what the target needs; failures become an error screen, not a crash. */
export async function loadTarget(target: TuiTarget, repoDir: string): Promise<AppData> {
  const { loadExplorer, loadTimelines } = await import('../views/explorer.js');
  try {
    // The lists from the engine's cache; the survival timelines (a patch's screen) after the first frame.
    if (target.kind === 'traces') {
      const data = await loadExplorer(repoDir, { timeline: false });
      return { kind: 'explorer', model: data.model, timelines: () => loadTimelines(data), loadPr: async () => (await (await import('./pr-data.js')).loadPrModel(repoDir)).pr };
    }
    if (target.kind === 'trace') {
      const data = await loadExplorer(repoDir, { traceId: target.traceId, timeline: false });
      return { kind: 'explorer', model: data.model, timelines: () => loadTimelines(data), open: [{ kind: 'trace', traceId: target.traceId }] };
    }
    const { loadPrModel } = await import('./pr-data.js');
    return (await loadPrModel(repoDir, target.base, target.head)).data;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: string }).code;
    const hint =
      code === 'not_a_repository' || code === 'no_directory'
        ? 'run ot trail inside a git repository, or pass -C DIR'
        : code === 'unknown_trace'
          ? 'ot trail (on its own) lists the recorded traces'
          : code === 'unknown_revision'
            ? 'pass --base and --head revisions git knows'
            : 'ot trail verify checks the trail store';
    return { kind: 'error', title: target.kind === 'pr' ? 'cannot build the pull-request card' : 'cannot read the trail', message, hint };
  }
}

export interface OpenOptions {
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Called once the first frame with the target's data is on screen (the benchmark's clock). */
  onFirstFrame?: (ms: number) => void;
}

/**
 * How long the first frame waits for the data alone before the interface's code loads alongside
 * it (to draw the loading screen and take keys): reading the trail usually takes far less.
 */
const DATA_FIRST_MS = 300;

const ALT_SCREEN_ON = '\x1b[?1049h';
const ALT_SCREEN_OFF = '\x1b[?1049l';
const CLEAR = '\x1b[H\x1b[2J';
const CURSOR_HIDE = '\x1b[?25l';
const CURSOR_SHOW = '\x1b[?25h';
const SYNC_ON = '\x1b[?2026h';
const SYNC_OFF = '\x1b[?2026l';
const WRAP_OFF = '\x1b[?7l';
const WRAP_ON = '\x1b[?7h';

/** Opens the interface over `target` in the repository at `repoDir`; resolves when the user quits. */
export async function openTui(target: TuiTarget, repoDir: string, options: OpenOptions = {}): Promise<void> {
  const t0 = performance.now();
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  let reported = false;
  const firstFrame = () => {
    if (reported) return;
    reported = true;
    options.onFirstFrame?.(performance.now() - t0);
  };
  // Raw mode from the start, not from the first frame's effects: a key typed while the interface
  // loads waits in the terminal for it, neither echoed nor turned into a line (enter would read as
  // a line feed), and is handled once the screen is up.
  const raw = Boolean(stdin.isTTY);
  if (raw) stdin.setRawMode(true);
  let instance: { waitUntilExit(): Promise<unknown>; cleanup(): void } | null = null;
  const tty = Boolean(stdout.isTTY);
  // Whether the data may still write the first frame itself: until Ink draws, or this ends.
  let early = tty;
  try {
    const { LOADING_TEXT, firstFrameText } = await import('./screen.js');
    // The alternate screen: the interface takes the whole terminal and gives it back as it was.
    if (tty) stdout.write(`${ALT_SCREEN_ON}${CLEAR}${CURSOR_HIDE}\x1b[2m${LOADING_TEXT}\x1b[0m`);
    // The data first: alone, it is read well before Ink and React would have loaded, so the first
    // frame is written straight from it as soon as it is there, composed by screen.ts exactly as
    // the interface draws it; the interface then takes the screen over (keys typed meanwhile wait
    // for it). A slow read does not hold the interface back: after DATA_FIRST_MS its code loads
    // alongside, and draws the loading screen if it is ready first.
    let loaded: AppData | null = null;
    const data = loadTarget(target, repoDir).then((d) => {
      loaded = d;
      const text = early ? firstFrameText(d, { columns: stdout.columns || 80, rows: stdout.rows || 24 }) : null;
      if (text !== null) {
        // Without line wrap meanwhile: a line wider than its characters (east Asian text, emoji)
        // is clipped at the edge, as Ink clips it, rather than pushing the lines below down.
        stdout.write(`${CLEAR}${WRAP_OFF}${text}${WRAP_ON}`);
        firstFrame();
      }
      return d;
    });
    await Promise.race([data, new Promise((r) => setTimeout(r, DATA_FIRST_MS).unref())]);
    const [{ render }, reactModule, { App }] = await Promise.all([import('ink'), import('react'), import('./app.js')]);
    early = false;
    // React is CommonJS: bundled, its exports sit on `default`; loaded by node, they are named too.
    const React = (reactModule as unknown as { default?: typeof reactModule }).default ?? reactModule;
    const onReady = () => setImmediate(firstFrame);
    // Ink draws from the top of a clear screen (the same frame, or the loading line replaced), in
    // one synchronized update where the terminal supports it.
    if (tty) stdout.write(`${SYNC_ON}${CLEAR}`);
    instance = render(React.createElement(App, { data: (loaded as AppData | null) ?? data, onReady }), { stdout, stdin, exitOnCtrlC: true, patchConsole: false });
    if (tty) stdout.write(SYNC_OFF);
    await instance.waitUntilExit();
  } finally {
    early = false;
    instance?.cleanup();
    if (raw) stdin.setRawMode(false);
    if (tty) stdout.write(`${SYNC_OFF}${CURSOR_SHOW}${ALT_SCREEN_OFF}`);
  }
}
