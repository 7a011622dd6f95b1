import type { BlameCommitView, BlameFileView, PrCardView } from '../model/views.js';
import { BlameCommitView as BlameCommitSchema, BlameFileView as BlameFileSchema, PrCardView as PrCardSchema } from '../model/views.js';
import { BLAME_COMMIT_SCHEMA, BLAME_FILE_SCHEMA, BLAME_PR_SCHEMA } from '../model/formats.js';
import { redactSecrets } from './sanitize.js';

/**
 * The JSON documents of the blame views: validated against their schema (src/model/views.ts), the
 * `schema` field first, recorded prompts with secrets redacted (the text is otherwise as recorded:
 * JSON needs no escaping beyond its own).
 */
const r = (s: string | null) => (s === null ? null : redactSecrets(s));

export function blameCommitJson(v: BlameCommitView): object {
  const checked = BlameCommitSchema.parse(v);
  return { schema: BLAME_COMMIT_SCHEMA, ...checked, hunks: checked.hunks.map((h) => ({ ...h, intent: r(h.intent) })) };
}

export function blameFileJson(v: BlameFileView): object {
  const checked = BlameFileSchema.parse(v);
  return { schema: BLAME_FILE_SCHEMA, ...checked, steps: checked.steps.map((s) => ({ ...s, intent: r(s.intent) })) };
}

export function prCardJson(v: PrCardView): object {
  const checked = PrCardSchema.parse(v);
  return {
    schema: BLAME_PR_SCHEMA,
    ...checked,
    title: redactSecrets(checked.title),
    intents: checked.intents.map(redactSecrets),
    commits: checked.commits.map((c) => ({ ...c, intent: r(c.intent), intents: c.intents.map(redactSecrets) })),
  };
}

export const renderJson = (doc: object) => `${JSON.stringify(doc, null, 2)}\n`;
