import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExitCode } from '../errors.js';
import { anchorCommand, exportCommand, gcCommand, verifyCommand } from './commands/store.js';
import { hookCommand, hooksCommand } from './commands/hooks.js';
import { stepCommand, turnCommand } from './commands/step.js';
import { trailViewCommands, trailDefault } from './commands/views.js';
import type { GlobalArgs } from './context.js';

declare const OT_VERSION: string;

/** Every `ot trail` subcommand; each lives in its own file under commands/ and loads the core lazily. */
const TRAIL_COMMANDS = [stepCommand, turnCommand, anchorCommand, hooksCommand, hookCommand, verifyCommand, exportCommand, gcCommand, ...trailViewCommands];

export async function main(args: string[]): Promise<void> {
  const cli = yargs(args)
    .scriptName('ot')
    .usage('$0 trail <command>: which agent step wrote this code, did it land, and did it survive?')
    .option('C', { type: 'string', describe: 'run as if started in this directory', global: true, requiresArg: true })
    .option('json', { type: 'boolean', describe: 'print one JSON document on stdout', global: true })
    .option('color', { choices: ['auto', 'always', 'never'] as const, default: 'auto' as const, describe: 'colour output (NO_COLOR and FORCE_COLOR are honoured)', global: true })
    .command(
      'trail',
      'record and read agent trails',
      (y: Argv) => {
        for (const c of TRAIL_COMMANDS) y.command(c as never);
        return y;
      },
      (argv) => trailDefault(argv as GlobalArgs),
    )
    .demandCommand(1, 'name a command: ot trail --help lists them')
    .strict()
    .version(typeof OT_VERSION === 'string' ? OT_VERSION : 'dev')
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`ot: ${msg}\n(ot trail --help lists the commands and options)\n`);
      process.exit(ExitCode.usage);
    });
  await cli.parseAsync();
}

await main(hideBin(process.argv));
