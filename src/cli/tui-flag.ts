import type { Argv } from 'yargs';
import type { CommandContext } from './context.js';
// A type only: the interface module (and Ink behind it) is imported when it opens, never before.
import type { TuiTarget } from '../tui/open.js';

/** `--tui` on the view commands: the interactive interface on a terminal, plain output otherwise. */
export interface TuiArgs {
  tui?: boolean;
}

export const tuiOption = (y: Argv) => y.option('tui', { type: 'boolean', default: false, describe: 'open the interactive interface (on a terminal; ignored when piped or under CI)' });

/** Where `--tui` opens on a view: the one trace it names, else the traces list. */
export const traceTarget = (traceIds: string[]): TuiTarget => (traceIds.length === 1 ? { kind: 'trace', traceId: traceIds[0]! } : { kind: 'traces' });

/**
 * Opens the interface when asked and possible; says so on stderr (terminal only) when not.
 * `printOnly` names an option of the command that asks for printed output (e.g. `-o`), if given.
 */
export async function maybeTui(ctx: CommandContext, argv: TuiArgs, target: () => TuiTarget, printOnly?: string): Promise<boolean> {
  if (!argv.tui) return false;
  if (!ctx.io.interactive || ctx.json || printOnly) {
    ctx.io.note(`ot: --tui needs a terminal (stdin and stdout, CI unset) and no --json${printOnly ? ` or ${printOnly}` : ''}: printing instead`);
    return false;
  }
  const { openTui } = await import('../tui/open.js');
  await openTui(target(), ctx.cwd);
  return true;
}

