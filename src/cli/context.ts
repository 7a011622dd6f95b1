import type { Repo, OpenOptions } from '../git/repo.js';
import { OtError, ExitCode } from '../errors.js';
import { processIO, type ColorMode, type IO } from './io.js';

/** Options every command takes (contract section 5). */
export interface GlobalArgs {
  C?: string;
  json?: boolean;
  color?: ColorMode;
}

export interface CommandContext {
  io: IO;
  json: boolean;
  cwd: string;
  openRepo(options?: OpenOptions): Promise<Repo>;
}

/**
 * Runs a command body and turns its outcome into an exit code: OtError carries its own
 * (2 usage, 3 corrupt store), anything else is a failure (1) with its message.
 */
export async function runCommand(argv: GlobalArgs, body: (ctx: CommandContext) => Promise<number | void>): Promise<void> {
  const io = processIO(argv.color ?? 'auto');
  const cwd = argv.C ?? process.cwd();
  const ctx: CommandContext = {
    io,
    json: Boolean(argv.json),
    cwd,
    openRepo: async (options) => (await import('../git/repo.js')).openRepo(cwd, options),
  };
  try {
    const code = await body(ctx);
    process.exitCode = code ?? ExitCode.ok;
  } catch (err) {
    if (err instanceof OtError) {
      io.err(`ot: ${err.message}`);
      process.exitCode = err.exitCode;
    } else {
      io.err(`ot: ${err instanceof Error ? err.message : String(err)}`);
      if (process.env.OT_DEBUG && err instanceof Error) io.err(err.stack ?? '');
      process.exitCode = ExitCode.failure;
    }
  }
}

/** Writes one JSON document with its schema name. */
export function printJson(io: IO, schema: string, body: object): void {
  io.out(JSON.stringify({ schema, ...body }, null, 2));
}
