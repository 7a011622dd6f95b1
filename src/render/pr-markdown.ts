import type { PrCardView } from '../model/views.js';
import { STATE_ORDER } from '../model/formats.js';
import { INTENT_MAX, mdCode, safeHtml, safeMarkdown } from './sanitize.js';
import { formatDuration, plural } from './text-style.js';
import { baseNote, survivalLabel, trajectoryText } from './pr-text.js';

/** The first line of every card: how the CI job finds its own comment to update it. */
export const PR_CARD_MARKER = '<!-- ot-trail:pr-card -->';

/** Past this many commits the card lists the first ones and says how many it left out. */
export const MAX_COMMITS_SHOWN = 100;
/** Past this many intents the summary lists the first ones. */
const MAX_INTENTS_SHOWN = 5;

/**
 * The PR card as GitHub-flavoured Markdown, ready to post as a comment: a summary table, a mermaid
 * pie of the code scope by survival state, one collapsible section per commit. Every recorded
 * text goes through the sanitiser (src/render/sanitize.ts): secrets redacted, markup and mentions
 * neutralised, length capped. The same card renders to the same bytes.
 */
export function renderPrMarkdown(card: PrCardView): string {
  const out: string[] = [PR_CARD_MARKER];
  const n = card.commits.length;
  const w = Math.max(2, String(n).length);
  out.push(`### ${safeMarkdown(card.title, 100)}`, '');
  if (card.intents.length) {
    for (const it of card.intents.slice(0, MAX_INTENTS_SHOWN)) out.push(`> “${safeMarkdown(it, INTENT_MAX)}”`, '>');
    out.pop();
    if (card.intents.length > MAX_INTENTS_SHOWN) out.push('', `_and ${plural(card.intents.length - MAX_INTENTS_SHOWN, 'more intent')}_`);
  } else {
    out.push('_No recorded intent: no commit of this branch traces to an agent step with a prompt._');
  }
  out.push('');
  const agents = card.agents.length ? card.agents.map((a) => `${safeMarkdown(a.name, 40)} (${a.steps})`).join(', ') : 'none';
  const scope = [`**${plural(card.scope.hunks, 'hunk')}**`, `${card.scope.aliveHunks} alive at head`];
  if (card.scope.untracedHunks) scope.push(`${card.scope.untracedHunks} untraced`);
  out.push(
    '| ✓ intent alignment | ⌥ code scope | ◷ wall time | ⚇ agents |',
    '| :-- | :-- | :-- | :-- |',
    `| **${card.alignment.aligned} / ${card.alignment.total}** commits traced to intent | ${scope.join(' · ')} | **${formatDuration(card.wallTimeMs)}** · ${plural(card.steps, 'step')} · ${plural(card.traces, 'trace')} | **${card.agents.length}** · ${agents} |`,
    '',
  );
  if (card.scope.hunks > 0) {
    out.push('```mermaid', `pie showData title Code scope by survival state (${plural(card.scope.hunks, 'hunk')})`);
    for (const s of STATE_ORDER) if (card.scope.byState[s] > 0) out.push(`    "${s}" : ${card.scope.byState[s]}`);
    if (card.scope.untracedHunks > 0) out.push(`    "untraced" : ${card.scope.untracedHunks}`);
    out.push('```', '');
  }
  if (n === 0) out.push('_No commits between base and head._', '');
  for (const c of card.commits.slice(0, MAX_COMMITS_SHOWN)) {
    const idx = `${String(c.index).padStart(w, '0')} / ${String(n).padStart(w, '0')}`;
    const aligned = c.aligned ? '✓ aligned' : '✗ not aligned';
    out.push('<details>');
    out.push(`<summary><b>${idx}</b> ${safeHtml(c.subject, 120)} · <code>${c.shortSha}</code> · ${aligned} · ${survivalLabel(c)}${c.merge ? ' · merge' : ''}</summary>`, '');
    if (c.intent) out.push(`> “${safeMarkdown(c.intent, INTENT_MAX)}”`, '');
    for (const more of c.intents.slice(1, MAX_INTENTS_SHOWN)) out.push(`> “${safeMarkdown(more, INTENT_MAX)}”`, '');
    const traces = c.traceIds.length ? ` · ${c.traceIds.map((t) => mdCode(t, 60)).join(', ')}` : '';
    out.push(`${trajectoryText(c)}${traces} · ${c.tracedLines}/${c.totalLines} lines traced · ${plural(c.hunks, 'hunk')}`, '');
    out.push('</details>', '');
  }
  if (n > MAX_COMMITS_SHOWN) out.push(`_${plural(n - MAX_COMMITS_SHOWN, 'more commit')} not shown; \`ot trail blame pr render --format json\` lists them all._`, '');
  const note = baseNote(card);
  out.push(
    `<sub>ot trail blame pr render · base <code>${card.base.slice(0, 7)}</code>${note ? ` (${safeHtml(note, 80)})` : ''} · head <code>${card.head.slice(0, 7)}</code> · deterministic: joined from git and the recorded trail, no model in the loop</sub>`,
  );
  return `${out.join('\n')}\n`;
}
