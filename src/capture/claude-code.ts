import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Repo } from '../git/repo.js';
import type { StepKind } from '../model/events.js';
import { foldTrail } from '../store/trail.js';
import { readTraceEvents, traceRef } from '../store/log.js';
import { stepEnd, stepStart, turnEnd, turnStart } from './step.js';

/** The fields of Claude Code's hook input that we use; anything else is ignored. */
export const ClaudeHookInput = z.object({
  session_id: z.string().min(1),
  hook_event_name: z.string(),
  cwd: z.string().optional(),
  tool_name: z.string().optional(),
  tool_use_id: z.string().optional(),
  prompt: z.string().optional(),
});
export type ClaudeHookInput = z.infer<typeof ClaudeHookInput>;

export const AGENT = 'claude-code';

/** Claude Code's tools by what they do. */
export function kindOfTool(tool: string | undefined): StepKind {
  if (!tool) return 'other';
  if (/^(Edit|MultiEdit|Write|NotebookEdit)$/.test(tool)) return 'write';
  if (/^(Read|Grep|Glob|LS|WebFetch|WebSearch|NotebookRead)$/.test(tool)) return 'read';
  if (/^(Bash|BashOutput|KillShell|KillBash)$/.test(tool)) return 'exec';
  if (/^(TodoWrite|ExitPlanMode|Task)$/.test(tool)) return 'plan';
  return 'other';
}

/**
 * One Claude Code hook: PreToolUse opens a step window for the tool call, PostToolUse closes it,
 * UserPromptSubmit starts a turn whose prompt is the intent of the steps that follow, Stop ends it.
 */
export async function handleClaudeHook(repo: Repo, input: ClaudeHookInput): Promise<string> {
  const traceId = input.session_id;
  switch (input.hook_event_name) {
    case 'UserPromptSubmit':
      await turnStart(repo, { traceId, turnId: randomUUID(), intent: input.prompt ?? '', agent: AGENT });
      return 'turn started';
    case 'Stop':
      if ((await readTraceEvents(repo, traceRef(traceId))).length) await turnEnd(repo, { traceId });
      return 'turn ended';
    case 'PreToolUse': {
      const stepId = input.tool_use_id ?? `${input.tool_name ?? 'tool'}-${randomUUID()}`;
      await stepStart(repo, { traceId, stepId, agent: AGENT, tool: input.tool_name ?? null, kind: kindOfTool(input.tool_name) });
      return `step ${stepId} started`;
    }
    case 'PostToolUse': {
      let stepId = input.tool_use_id;
      const open = foldTrail(await readTraceEvents(repo, traceRef(traceId)))
        .traces.get(traceId)
        ?.steps.filter((s) => s.endedAt === null);
      // Without a tool_use_id, the latest open window of the same tool is this call's.
      if (!stepId || !open?.some((s) => s.stepId === stepId)) stepId = open?.filter((s) => s.tool === (input.tool_name ?? null)).at(-1)?.stepId;
      if (!stepId) return 'no open step for this tool call (hooks installed mid-call?); nothing recorded';
      const r = await stepEnd(repo, { traceId, stepId });
      return `step ${stepId} ended with ${r.patches.length} patches`;
    }
    default:
      return `hook event ${input.hook_event_name} is not used`;
  }
}
