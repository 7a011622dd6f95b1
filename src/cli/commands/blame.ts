import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { runCommand, type GlobalArgs } from '../context.js';
import { maybeTui, traceTarget, tuiOption, type TuiArgs } from '../tui-flag.js';
import { usageError } from '../../errors.js';

/**
 * `ot trail blame commit|file|pr render`: which step wrote what (contract section 5). Thin: the
 * views (src/views/) build plain data, the renderers (src/render/) print it; everything loads lazily.
 */

const commitCommand = {
  command: 'commit <rev>',
  describe: 'each hunk of a commit with the trace and step that wrote it, its intent and survival at HEAD',
  builder: (y: Argv) => tuiOption(y.positional('rev', { type: 'string', describe: 'any revision git accepts (id, short id, HEAD~2, tag, branch)' })),
  handler: (argv: GlobalArgs & TuiArgs & { rev: string }) =>
    runCommand(argv, async (ctx) => {
      const { loadBlameCommit } = await import('../../views/load.js');
      const repo = await ctx.openRepo();
      const { view } = await loadBlameCommit(repo, String(argv.rev));
      if (await maybeTui(ctx, argv, () => traceTarget(view.traces.map((t) => t.traceId)))) return;
      if (ctx.json) {
        const { blameCommitJson, renderJson } = await import('../../render/view-json.js');
        ctx.io.out(renderJson(blameCommitJson(view)));
      } else {
        const { renderBlameCommitText } = await import('../../render/blame-text.js');
        ctx.io.out(renderBlameCommitText(view, { color: ctx.io.color }));
      }
    }),
};

const fileCommand = {
  command: 'file <path>',
  describe: 'every line of a file with the trace, step and anchor commit that wrote it (PATH[:LINE[-LINE]])',
  builder: (y: Argv) =>
    tuiOption(
      y
        .positional('path', { type: 'string', describe: 'a file, optionally with :LINE or :START-END' })
        .option('at', { type: 'string', default: 'HEAD', describe: 'the revision to read the file and judge survival at' }),
    ),
  handler: (argv: GlobalArgs & TuiArgs & { path: string; at?: string }) =>
    runCommand(argv, async (ctx) => {
      const { loadBlameFile } = await import('../../views/load.js');
      const repo = await ctx.openRepo();
      const { view } = await loadBlameFile(repo, String(argv.path), path.resolve(ctx.cwd), argv.at ?? 'HEAD');
      if (await maybeTui(ctx, argv, () => traceTarget([...new Set(view.steps.map((s) => s.traceId))]))) return;
      if (ctx.json) {
        const { blameFileJson, renderJson } = await import('../../render/view-json.js');
        ctx.io.out(renderJson(blameFileJson(view)));
      } else {
        const { renderBlameFileText } = await import('../../render/blame-text.js');
        ctx.io.out(renderBlameFileText(view, { color: ctx.io.color }));
      }
    }),
};

type PrFormat = 'markdown' | 'json' | 'text';

const prRenderCommand = {
  command: 'render',
  describe: 'the pull-request card: intent alignment, code scope, wall time, agents, one row per commit',
  builder: (y: Argv) =>
    tuiOption(
      y
        .option('base', { type: 'string', describe: 'where the branch starts (default: merge-base with origin/HEAD, else main or master)' })
        .option('head', { type: 'string', describe: 'the branch tip (default HEAD)' })
        .option('format', { choices: ['markdown', 'json', 'text'] as const, describe: 'output format (default markdown; --json means json)' })
        .option('o', { alias: 'output', type: 'string', requiresArg: true, describe: 'write the card to this file instead of stdout (never coloured)' }),
    ),
  handler: (argv: GlobalArgs & TuiArgs & { base?: string; head?: string; format?: PrFormat; o?: string }) =>
    runCommand(argv, async (ctx) => {
      if (argv.json && argv.format && argv.format !== 'json') throw usageError(`--json and --format ${argv.format} disagree: pass one of them`, 'bad_format');
      const format: PrFormat = argv.json ? 'json' : (argv.format ?? 'markdown');
      const printOnly = argv.o !== undefined ? '-o' : format === 'json' ? '--format json' : undefined;
      if (await maybeTui(ctx, argv, () => ({ kind: 'pr', base: argv.base, head: argv.head }), printOnly)) return;
      const { loadPrCard } = await import('../../views/load.js');
      const repo = await ctx.openRepo();
      const { card } = await loadPrCard(repo, { base: argv.base, head: argv.head });
      const toFile = argv.o !== undefined;
      let text: string;
      if (format === 'json') {
        const { prCardJson, renderJson } = await import('../../render/view-json.js');
        text = renderJson(prCardJson(card));
      } else if (format === 'markdown') {
        const { renderPrMarkdown } = await import('../../render/pr-markdown.js');
        text = renderPrMarkdown(card);
      } else {
        const { renderPrText } = await import('../../render/pr-text.js');
        text = renderPrText(card, { color: !toFile && ctx.io.color });
      }
      if (toFile) {
        const file = path.resolve(ctx.cwd, argv.o!);
        try {
          fs.writeFileSync(file, text);
        } catch (err) {
          throw usageError(`cannot write ${file}: ${(err as Error).message}`, 'bad_output');
        }
        ctx.io.note(`ot: wrote the card (${format}, ${card.commits.length} commit${card.commits.length === 1 ? '' : 's'}) to ${file}`);
      } else ctx.io.out(text);
    }),
};

const prCommand = {
  command: 'pr',
  describe: 'the pull-request card of a branch',
  builder: (y: Argv) => y.command(prRenderCommand as never).demandCommand(1, 'name a pr command: ot trail blame pr render'),
  handler: () => undefined,
};

export const blameCommand = {
  command: 'blame',
  describe: 'which step wrote what: blame commit REV, blame file PATH, blame pr render',
  builder: (y: Argv) =>
    y
      .command(commitCommand as never)
      .command(fileCommand as never)
      .command(prCommand as never)
      .demandCommand(1, 'name a blame command: commit, file or pr render'),
  handler: () => undefined,
};
