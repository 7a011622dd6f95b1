import type { Argv } from 'yargs';
import type { GlobalArgs } from './context.js';

declare const OT_VERSION: string;
const VERSION = typeof OT_VERSION === 'string' ? OT_VERSION : 'dev';

/**
 * Every `ot trail` subcommand lives in its own file under commands/ and loads the core lazily. The
 * parser and the commands are imported here, dynamically, so `ot --version` loads nothing at all
 * (yargs alone costs tens of milliseconds: its text-width helpers build an Intl.Segmenter at load).
 */
export async function main(args: string[]): Promise<void> {
  const [{ default: yargs }, { ExitCode }, store, hooks, step, views] = await Promise.all([
    import('yargs'),
    import('../errors.js'),
    import('./commands/store.js'),
    import('./commands/hooks.js'),
    import('./commands/step.js'),
    import('./commands/views.js'),
  ]);
  const TRAIL_COMMANDS = [step.stepCommand, step.turnCommand, store.anchorCommand, hooks.hooksCommand, hooks.hookCommand, store.verifyCommand, store.exportCommand, store.gcCommand, ...views.trailViewCommands];
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
      (argv) => views.trailDefault(argv as GlobalArgs),
    )
    .demandCommand(1, 'name a command: ot trail --help lists them')
    .strict()
    .version(VERSION)
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`ot: ${msg}\n(ot trail --help lists the commands and options)\n`);
      process.exit(ExitCode.usage);
    });
  // yargs renders the command's whole help text before running its handler, only to keep it for a
  // later failure; our fail handler never prints it, so skip the rendering (10-20 ms a command).
  const usage = (cli as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.().getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
  await cli.parseAsync();
}

// `ot --version` alone is answered before anything is loaded, with the line yargs prints.
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') process.stdout.write(`${VERSION}\n`);
// `ot trail` alone, the interactive entry point, has nothing for the parser to read: it gets the
// call yargs would make (the options at their defaults) without loading yargs and every command.
else if (args.length === 1 && args[0] === 'trail') await (await import('./commands/trail-default.js')).trailDefault({ color: 'auto' });
else await main(args);
