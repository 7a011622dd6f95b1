import type { GlobalArgs } from '../context.js';

/** The read commands (track, blame); filled in by the views work. */
export const trailViewCommands: object[] = [];

/** `ot trail` alone. */
export async function trailDefault(_argv: GlobalArgs): Promise<void> {
  process.stderr.write('ot: name a command: ot trail --help lists them\n');
  process.exitCode = 2;
}
