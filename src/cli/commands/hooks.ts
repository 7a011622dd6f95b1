import * as path from 'node:path';
import type { Argv } from 'yargs';
import { runCommand, printJson, type GlobalArgs } from '../context.js';
import { ExitCode } from '../../errors.js';

/** How installed hooks call us back: this node and this CLI entry, by absolute path. */
function invocation() {
  return { node: process.execPath, entry: path.resolve(process.argv[1] ?? 'ot') };
}

export const hooksCommand = {
  command: 'hooks <action>',
  describe: 'install or remove the git hooks (and agent hooks)',
  builder: (y: Argv) =>
    y
      .command(
        'install',
        'install post-commit and post-rewrite (chained with existing hooks); --agent claude-code adds the Claude Code hooks',
        (s: Argv) => s.option('agent', { type: 'string', choices: ['claude-code'] }),
        (argv) =>
          runCommand(argv as GlobalArgs, async (ctx) => {
            const h = await import('../../capture/hooks.js');
            const repo = await ctx.openRepo({ requireWorktree: true });
            const changes = await h.installGitHooks(repo, invocation());
            if ((argv as { agent?: string }).agent === 'claude-code') changes.push(h.installClaudeHooks(repo, invocation()));
            if (ctx.json) printJson(ctx.io, 'ot.trail.hooks/1', { changes });
            else for (const c of changes) ctx.io.out(`${c.action.padEnd(9)} ${c.file}`);
          }),
      )
      .command(
        'uninstall',
        'remove exactly what install added, restoring chained hooks',
        (s: Argv) => s.option('agent', { type: 'string', choices: ['claude-code'] }),
        (argv) =>
          runCommand(argv as GlobalArgs, async (ctx) => {
            const h = await import('../../capture/hooks.js');
            const repo = await ctx.openRepo({ requireWorktree: true });
            const changes = await h.uninstallGitHooks(repo);
            if ((argv as { agent?: string }).agent === 'claude-code') changes.push(h.uninstallClaudeHooks(repo));
            if (ctx.json) printJson(ctx.io, 'ot.trail.hooks/1', { changes });
            else for (const c of changes) ctx.io.out(`${c.action.padEnd(9)} ${c.file}`);
          }),
      )
      .demandCommand(1, 'name an action: install or uninstall'),
  handler: () => {},
};

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * What installed hooks run. A hook never fails the user's command or agent: every error is
 * logged under the git dir and the exit code is 0.
 */
export const hookCommand = {
  command: 'hook <source> [name] [args..]',
  describe: false as const,
  builder: (y: Argv) => y.positional('source', { type: 'string', choices: ['git', 'claude-code'] }),
  handler: async (argv: GlobalArgs & { source: string; name?: string; args?: string[] }) => {
    const { logHookError } = await import('../../capture/hooks.js');
    const { openRepo } = await import('../../git/repo.js');
    let repo: Awaited<ReturnType<typeof openRepo>> | null = null;
    let where = argv.C ?? process.cwd();
    try {
      const input = await readStdin();
      if (argv.source === 'claude-code') {
        const { ClaudeHookInput, handleClaudeHook } = await import('../../capture/claude-code.js');
        let json: unknown;
        try {
          json = JSON.parse(input);
        } catch {
          throw new Error(`Claude Code hook input is not JSON: ${JSON.stringify(input.slice(0, 200))}`);
        }
        const parsed = ClaudeHookInput.safeParse(json);
        if (!parsed.success) {
          const cwd = (json as { cwd?: unknown } | null)?.cwd;
          if (typeof cwd === 'string') where = cwd;
          throw new Error(`Claude Code hook input is missing or has wrong fields: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`);
        }
        where = parsed.data.cwd ?? where;
        repo = await openRepo(where, { requireWorktree: true });
        await handleClaudeHook(repo, parsed.data);
      } else {
        repo = await openRepo(argv.C ?? process.cwd());
        const { anchorCommit, moveAnchors, parseRewriteInput } = await import('../../anchor/anchor.js');
        if (argv.name === 'post-commit') await anchorCommit(repo);
        else if (argv.name === 'post-rewrite') await moveAnchors(repo, parseRewriteInput(input));
        else throw new Error(`unknown git hook '${argv.name}'`);
      }
    } catch (err) {
      // Log under the git dir of the repository the hook ran in; when there is none (or it is one
      // we refuse to write into), say it on stderr. Either way the user's command goes on.
      repo ??= await openRepo(where).catch(() => null);
      const hook = `${argv.source} ${argv.name ?? ''}`.trim();
      if (repo) logHookError(repo, hook, err);
      else process.stderr.write(`ot trail hook ${hook}: ${err instanceof Error ? err.message : String(err)} (not logged: no usable repository at ${where})\n`);
    }
    process.exitCode = ExitCode.ok;
  },
};
