import type { Argv } from 'yargs';
import { runCommand, printJson, type GlobalArgs } from '../context.js';
import { maybeTui, traceTarget, tuiOption, type TuiArgs } from '../tui-flag.js';

export const trackCommand = {
  command: 'track [trace]',
  describe: 'every patch with its survival state and counts at a revision, and a summary per state',
  builder: (y: Argv) =>
    tuiOption(y)
      .positional('trace', { type: 'string', describe: 'only this trace' })
      .option('since', { type: 'string', describe: 'only traces active since (7d, 12h, or a date)' })
      .option('at', { type: 'string', describe: 'revision to judge at (default HEAD)' })
      .option('timeline', { type: 'boolean', default: false, describe: 'the state at each commit where it changed' }),
  handler: (argv: GlobalArgs & TuiArgs & { trace?: string; since?: string; at?: string; timeline?: boolean }) =>
    runCommand(argv, async (ctx) => {
      if (await maybeTui(ctx, argv, () => traceTarget(argv.trace ? [argv.trace] : []))) return;
      const { trackView } = await import('../../views/track.js');
      const { parseSince } = await import('../durations.js');
      const repo = await ctx.openRepo();
      const report = await trackView(repo, {
        trace: argv.trace,
        since: argv.since ? parseSince(argv.since) : undefined,
        at: argv.at,
        timeline: argv.timeline,
      });
      if (ctx.json) {
        const { schema: _schema, ...body } = report;
        printJson(ctx.io, report.schema, body);
      } else {
        const { renderTrackText } = await import('../../render/track-text.js');
        ctx.io.out(renderTrackText(report, { color: ctx.io.color, columns: ctx.io.columns }));
      }
    }),
};
