/**
 * What a command knows of its terminal, in one place (like gh's IOStreams): whether stdout and
 * stdin are TTYs, whether colour is wanted, and where progress and warnings may go.
 */
export interface IO {
  out(text: string): void;
  /** Warnings and progress: stderr, and only on a terminal. */
  note(text: string): void;
  err(text: string): void;
  color: boolean;
  /** Both ends are terminals and we are not under CI: an interactive interface may open. */
  interactive: boolean;
  columns: number;
}

export type ColorMode = 'auto' | 'always' | 'never';

export function resolveColor(mode: ColorMode, env: NodeJS.ProcessEnv = process.env, isTTY = Boolean(process.stdout.isTTY)): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

export function processIO(colorMode: ColorMode): IO {
  const stderrTTY = Boolean(process.stderr.isTTY);
  return {
    out: (t) => void process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    note: (t) => {
      if (stderrTTY) process.stderr.write(t.endsWith('\n') ? t : `${t}\n`);
    },
    err: (t) => void process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    color: resolveColor(colorMode),
    interactive: Boolean(process.stdout.isTTY && process.stdin.isTTY) && !process.env.CI,
    columns: process.stdout.columns || 100,
  };
}
