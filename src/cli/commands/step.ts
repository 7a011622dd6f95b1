import type { Argv } from 'yargs';
import { runCommand, printJson, type GlobalArgs } from '../context.js';
import { STEP_KINDS, type StepKindName } from '../../model/kinds.js';

interface StepArgs extends GlobalArgs {
  trace: string;
  step: string;
  agent?: string;
  tool?: string;
  kind?: string;
  intent?: string;
  'max-file-size'?: number;
}

const common = (y: Argv) =>
  y
    .option('trace', { type: 'string', demandOption: true, describe: 'trace (agent session) id' })
    .option('step', { type: 'string', demandOption: true, describe: 'step id within the trace' })
    .option('max-file-size', { type: 'number', describe: 'leave out files larger than this many bytes (default 10 MiB)' });

export const stepCommand = {
  command: 'step <action>',
  describe: 'open or close a step window (before- and after-snapshot)',
  builder: (y: Argv) =>
    y
      .command(
        'start',
        'take the before-snapshot of a step',
        (s: Argv) =>
          common(s)
            .option('agent', { type: 'string', describe: 'agent name, e.g. claude-code' })
            .option('tool', { type: 'string', describe: 'tool the step ran' })
            .option('kind', { type: 'string', choices: STEP_KINDS, default: 'other' })
            .option('intent', { type: 'string', describe: 'the prompt that drove the step' }),
        (argv) =>
          runCommand(argv as GlobalArgs, async (ctx) => {
            const a = argv as unknown as StepArgs;
            const { stepStart } = await import('../../capture/step.js');
            const repo = await ctx.openRepo({ requireWorktree: true });
            const r = await stepStart(repo, {
              traceId: a.trace,
              stepId: a.step,
              agent: a.agent ?? null,
              tool: a.tool ?? null,
              kind: (a.kind ?? 'other') as StepKindName,
              intent: a.intent ?? null,
              maxFileSize: a['max-file-size'],
            });
            if (ctx.json) printJson(ctx.io, 'ot.trail.step-start/1', { traceId: a.trace, stepId: a.step, snapshot: r.commit, tree: r.tree });
            else ctx.io.out(`step ${a.step} of ${a.trace} started (snapshot ${r.commit.slice(0, 12)})`);
          }),
      )
      .command(
        'end',
        'take the after-snapshot and record the step\'s patches',
        (s: Argv) => common(s),
        (argv) =>
          runCommand(argv as GlobalArgs, async (ctx) => {
            const a = argv as unknown as StepArgs;
            const { stepEnd } = await import('../../capture/step.js');
            const repo = await ctx.openRepo({ requireWorktree: true });
            const r = await stepEnd(repo, { traceId: a.trace, stepId: a.step, maxFileSize: a['max-file-size'] });
            if (ctx.json) {
              printJson(ctx.io, 'ot.trail.step-end/1', { traceId: a.trace, stepId: a.step, snapshot: r.commit, patches: r.patches.map((p) => ({ patchId: p.patchId, path: p.path, change: p.change, added: p.added.length, removed: p.removed.length, unattributed: p.unattributed ?? null })) });
            } else {
              const files = new Set(r.patches.map((p) => p.path)).size;
              ctx.io.out(`step ${a.step} of ${a.trace} ended: ${r.patches.length} patch${r.patches.length === 1 ? '' : 'es'} in ${files} file${files === 1 ? '' : 's'}${r.unattributed ? `, ${r.unattributed} unattributed (overlapping step windows)` : ''}`);
            }
          }),
      )
      .demandCommand(1, 'name an action: start or end'),
  handler: () => {},
};

export const turnCommand = {
  command: 'turn <action>',
  describe: 'start or end a turn (a user prompt whose intent the following steps share)',
  builder: (y: Argv) =>
    y
      .command(
        'start',
        'record a user prompt',
        (s: Argv) =>
          s
            .option('trace', { type: 'string', demandOption: true })
            .option('turn', { type: 'string', describe: 'turn id (default: generated)' })
            .option('intent', { type: 'string', demandOption: true, describe: 'the prompt' })
            .option('agent', { type: 'string' }),
        (argv) =>
          runCommand(argv as GlobalArgs, async (ctx) => {
            const a = argv as unknown as { trace: string; turn?: string; intent: string; agent?: string };
            const { turnStart } = await import('../../capture/step.js');
            const repo = await ctx.openRepo();
            const turnId = a.turn ?? (await import('node:crypto')).randomUUID();
            await turnStart(repo, { traceId: a.trace, turnId, intent: a.intent, agent: a.agent ?? null });
            ctx.io.out(ctx.json ? JSON.stringify({ schema: 'ot.trail.turn/1', traceId: a.trace, turnId }) : `turn ${turnId} of ${a.trace} started`);
          }),
      )
      .command(
        'end',
        'end the current turn',
        (s: Argv) => s.option('trace', { type: 'string', demandOption: true }),
        (argv) =>
          runCommand(argv as GlobalArgs, async (ctx) => {
            const a = argv as unknown as { trace: string };
            const { turnEnd } = await import('../../capture/step.js');
            await turnEnd(await ctx.openRepo(), { traceId: a.trace });
            ctx.io.out(`turn of ${a.trace} ended`);
          }),
      )
      .demandCommand(1, 'name an action: start or end'),
  handler: () => {},
};
