import type { GlobalArgs } from '../context.js';

/**
 * `ot trail` alone: on a terminal (stdout and stdin TTYs, CI unset) the interactive explorer over
 * the traces; piped or under CI, a plain-text summary of the traces, and exit 0. Ink is imported
 * only on the interactive path (src/tui/open.ts imports it dynamically).
 */
export async function trailDefault(argv: GlobalArgs): Promise<void> {
  const { runCommand } = await import('../context.js');
  await runCommand(argv, async (ctx) => {
    if (ctx.io.interactive && !ctx.json) {
      const { openTui } = await import('../../tui/open.js');
      await openTui({ kind: 'traces' }, ctx.cwd);
      return;
    }
    const { loadExplorer, explorerSummaryText } = await import('../../views/explorer.js');
    const { model } = await loadExplorer(ctx.cwd, { timeline: false });
    if (ctx.json) {
      const { printJson } = await import('../context.js');
      printJson(ctx.io, 'ot.trail.traces/1', {
        at: model.at,
        totals: model.totals,
        traces: model.traces.map((t) => ({ traceId: t.traceId, agent: t.agent, startedAt: t.startedAt, endedAt: t.endedAt, steps: t.steps, turns: t.turns, patches: t.patches, byState: t.byState, intent: t.intent })),
      });
    } else ctx.io.out(explorerSummaryText(model));
  });
}
