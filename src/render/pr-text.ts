import type { PrCardView, PrCommit } from '../model/views.js';
import { STATE_ORDER } from '../model/formats.js';
import { safeText } from './sanitize.js';
import { formatDuration, plural, textStyle } from './text-style.js';

/** `9/9 alive_on_path`, `3/4 alive (2 alive_on_path, 1 alive_transformed, 1 reverted)`, `no traced patches`. */
export function survivalLabel(c: Pick<PrCommit, 'survival'>): string {
  const { byState, alive, patches } = c.survival;
  if (patches === 0) return 'no traced patches';
  const present = STATE_ORDER.filter((s) => byState[s] > 0);
  if (present.length === 1) return `${alive}/${patches} ${present[0]}`;
  return `${alive}/${patches} alive (${present.map((s) => `${byState[s]} ${s}`).join(', ')})`;
}

/** The state that best sums a commit up: its only state, else the worst one present. */
export function dominantState(c: Pick<PrCommit, 'survival'>): (typeof STATE_ORDER)[number] | null {
  const present = STATE_ORDER.filter((s) => c.survival.byState[s] > 0);
  return present.length ? present[present.length - 1]! : null;
}

/** How the base was chosen, or null when it was given as (a prefix of) its own id. */
export function baseNote(card: Pick<PrCardView, 'baseSource' | 'baseRef' | 'base'>): string | null {
  if (card.baseSource !== 'argument') return `merge-base with ${card.baseRef}`;
  return /^[0-9a-f]{4,40}$/i.test(card.baseRef) && card.base.startsWith(card.baseRef.toLowerCase()) ? null : card.baseRef;
}

export function trajectoryText(c: Pick<PrCommit, 'steps' | 'turns'>): string {
  return `trajectory · ${plural(c.steps, 'step')} · ${plural(c.turns, 'turn')}`;
}

export function scopeText(card: PrCardView): string {
  const s = card.scope;
  const parts = [plural(s.hunks, 'hunk'), `${s.aliveHunks} alive at head`];
  if (s.untracedHunks) parts.push(`${s.untracedHunks} untraced`);
  return parts.join(' · ');
}

/** The PR card as plain text for a terminal (colour only when asked) or a text file (never). */
export function renderPrText(card: PrCardView, options: { color?: boolean; width?: number } = {}): string {
  const st = textStyle(Boolean(options.color));
  const n = card.commits.length;
  const w = String(n).length < 2 ? 2 : String(n).length;
  const lines: string[] = [];
  lines.push(st.bold(safeText(card.title, 100)));
  const note = baseNote(card);
  const headNote = /^[0-9a-f]{4,40}$/i.test(card.headRef) && card.head.startsWith(card.headRef.toLowerCase()) ? '' : ` (${safeText(card.headRef, 80)})`;
  lines.push(st.dim(`base ${card.base.slice(0, 7)}${note ? ` (${safeText(note, 80)})` : ''} .. head ${card.head.slice(0, 7)}${headNote}`));
  lines.push('');
  const row = (k: string, v: string) => lines.push(`  ${k.padEnd(17)} ${v}`);
  row('intent alignment', `${st.bold(`${card.alignment.aligned} / ${card.alignment.total}`)} commits traced to intent`);
  row('code scope', scopeText(card));
  row('wall time', `${formatDuration(card.wallTimeMs)} · ${plural(card.steps, 'step')} · ${plural(card.traces, 'trace')}`);
  row('agents', card.agents.length ? card.agents.map((a) => `${safeText(a.name, 40)} (${plural(a.steps, 'step')})`).join(', ') : 'none');
  row('lines traced', `${card.coverage.tracedLines}/${card.coverage.totalLines}`);
  if (card.intents.length) {
    lines.push('', st.bold('intents'));
    for (const it of card.intents) lines.push(`  “${safeText(it)}”`);
  }
  lines.push('', st.bold('commits'));
  if (n === 0) lines.push(st.dim('  no commits between base and head'));
  for (const c of card.commits) {
    const idx = `${String(c.index).padStart(w, '0')}/${String(n).padStart(w, '0')}`;
    const aligned = c.aligned ? st.green('aligned    ') : st.dim('not aligned');
    const dom = dominantState(c);
    const surv = dom ? st.state(dom, survivalLabel(c)) : st.dim(survivalLabel(c));
    lines.push(`  ${idx}  ${st.bold(c.shortSha)}  ${aligned}  ${safeText(c.subject, 100)}${c.merge ? st.dim(' (merge)') : ''}`);
    const pad = ' '.repeat(idx.length + 4);
    lines.push(`${pad}${surv}`);
    if (c.intent) lines.push(`${pad}“${safeText(c.intent)}”`);
    lines.push(st.dim(`${pad}${trajectoryText(c)}${c.traceIds.length ? ` · ${c.traceIds.map((t) => safeText(t, 60)).join(', ')}` : ''}`));
  }
  return `${lines.join('\n')}\n`;
}
