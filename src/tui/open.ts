import type { AppData } from './app.js';

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
    const { loadPrExplorer } = await import('./pr-data.js');
    return await loadPrExplorer(repoDir, target.base, target.head);
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

/** Opens the interface over `target` in the repository at `repoDir`; resolves when the user quits. */
export async function openTui(target: TuiTarget, repoDir: string, options: OpenOptions = {}): Promise<void> {
  const t0 = performance.now();
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  // Raw mode from the start, not from the first frame's effects: a key typed while the interface
  // loads waits in the terminal for it, neither echoed nor turned into a line (enter would read as
  // a line feed), and is handled once the screen is up.
  const raw = Boolean(stdin.isTTY);
  if (raw) stdin.setRawMode(true);
  let instance: { waitUntilExit(): Promise<unknown>; cleanup(): void } | null = null;
  const alt = Boolean(stdout.isTTY);
  try {
    // The data and the interface's code load together.
    const data = loadTarget(target, repoDir);
    const [{ render }, reactModule, { App }] = await Promise.all([import('ink'), import('react'), import('./app.js')]);
    // React is CommonJS: bundled, its exports sit on `default`; loaded by node, they are named too.
    const React = (reactModule as unknown as { default?: typeof reactModule }).default ?? reactModule;
    // The alternate screen: the interface takes the whole terminal and gives it back as it was.
    if (alt) stdout.write('\x1b[?1049h\x1b[H');
    const onReady = options.onFirstFrame ? () => setImmediate(() => options.onFirstFrame?.(performance.now() - t0)) : undefined;
    instance = render(React.createElement(App, { data, onReady }), { stdout, stdin, exitOnCtrlC: true, patchConsole: false });
    await instance.waitUntilExit();
  } finally {
    instance?.cleanup();
    if (raw) stdin.setRawMode(false);
    if (alt && instance) stdout.write('\x1b[?1049l');
  }
}
