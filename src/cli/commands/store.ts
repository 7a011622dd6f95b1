import * as path from 'node:path';
import type { Argv } from 'yargs';
import { runCommand, printJson, type GlobalArgs } from '../context.js';
import { ExitCode } from '../../errors.js';

export const verifyCommand = {
  command: 'verify',
  describe: 'check the whole trail store: events parse, chains intact, every referenced object present',
  builder: (y: Argv) => y,
  handler: (argv: GlobalArgs) =>
    runCommand(argv, async (ctx) => {
      const { verifyStore } = await import('../../store/maintenance.js');
      const report = await verifyStore(await ctx.openRepo());
      if (ctx.json) printJson(ctx.io, 'ot.trail.verify/1', report);
      else {
        ctx.io.out(`${report.ok ? 'ok' : 'CORRUPT'}: ${report.traces} trace${report.traces === 1 ? '' : 's'}, ${report.events} event${report.events === 1 ? '' : 's'}`);
        for (const p of report.problems) ctx.io.out(`  problem: ${p}`);
        for (const n of report.notes) ctx.io.out(`  note: ${n}`);
      }
      return report.ok ? ExitCode.ok : ExitCode.corrupt;
    }),
};

export const exportCommand = {
  command: 'export',
  describe: 'write a trace bucket: trace.json, trail.jsonl.gz, manifest.json',
  builder: (y: Argv) => y.option('trace', { type: 'string', demandOption: true }).option('out', { type: 'string', demandOption: true, describe: 'directory to write' }),
  handler: (argv: GlobalArgs & { trace: string; out: string }) =>
    runCommand(argv, async (ctx) => {
      const { exportTrace } = await import('../../store/maintenance.js');
      const r = await exportTrace(await ctx.openRepo(), argv.trace, path.resolve(ctx.cwd, argv.out));
      if (ctx.json) printJson(ctx.io, 'ot.trail.export/1', r);
      else ctx.io.out(`exported ${argv.trace} to ${r.dir}: ${r.counts.events} events, ${r.counts.steps} steps, ${r.counts.patches} patches, ${r.counts.anchors} anchors`);
    }),
};

export const gcCommand = {
  command: 'gc',
  describe: 'drop trails by age or by trace, and say what was dropped',
  builder: (y: Argv) =>
    y
      .option('older-than', { type: 'string', describe: 'drop traces whose last event is older than this (7d, 12h, or a date)' })
      .option('trace', { type: 'string', array: true, describe: 'drop these traces' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'say what would be dropped, drop nothing' }),
  handler: (argv: GlobalArgs & { 'older-than'?: string; trace?: string[]; 'dry-run'?: boolean }) =>
    runCommand(argv, async (ctx) => {
      const { gcTrails } = await import('../../store/maintenance.js');
      const { parseSince } = await import('../durations.js');
      const r = await gcTrails(await ctx.openRepo(), {
        olderThan: argv['older-than'] ? parseSince(argv['older-than']) : undefined,
        traceIds: argv.trace,
        dryRun: argv['dry-run'],
      });
      if (ctx.json) printJson(ctx.io, 'ot.trail.gc/1', r);
      else {
        const verb = r.dryRun ? 'would drop' : 'dropped';
        ctx.io.out(r.dropped.length ? `${verb} ${r.dropped.length} trace${r.dropped.length === 1 ? '' : 's'}, kept ${r.kept}:` : `nothing to drop; kept ${r.kept} trace${r.kept === 1 ? '' : 's'}`);
        for (const d of r.dropped) ctx.io.out(`  ${d.traceId}  ${d.events} events, last ${d.endedAt}`);
      }
    }),
};

export const anchorCommand = {
  command: 'anchor [rev]',
  describe: 'anchor pending patches to a commit (what the post-commit hook does)',
  builder: (y: Argv) => y.positional('rev', { type: 'string', default: 'HEAD' }),
  handler: (argv: GlobalArgs & { rev?: string }) =>
    runCommand(argv, async (ctx) => {
      const { anchorCommit } = await import('../../anchor/anchor.js');
      const { resolveRevision } = await import('../../git/refs.js');
      const repo = await ctx.openRepo();
      const commit = await resolveRevision(repo, argv.rev ?? 'HEAD');
      const r = await anchorCommit(repo, commit, 'anchor-command');
      if (ctx.json) printJson(ctx.io, 'ot.trail.anchor/1', r);
      else ctx.io.out(`${r.anchors.length} patch${r.anchors.length === 1 ? '' : 'es'} anchored to ${commit.slice(0, 12)} (${r.anchors.filter((a) => a.firmness === 'exact').length} exact)`);
    }),
};
