import type { BlameCommitView, BlameFileView, BlameHunk } from '../model/views.js';
import type { Survival } from '../model/survival.js';
import { safeText } from './sanitize.js';
import { plural, textStyle, type Style } from './text-style.js';

const pct = (a: number, b: number) => (b === 0 ? '-' : `${Math.round((a / b) * 100)}%`);

/** `alive_on_path 7/7 lines`, `lost (deleted) 0/3 lines`, `unknown: <reason>`. */
export function survivalText(s: Survival): string {
  const kind = s.state === 'lost' && s.lostKind ? ` (${s.lostKind})` : '';
  const counts = s.totalLines > 0 ? ` ${s.aliveLines + s.movedLines + s.editedLines}/${s.totalLines} lines` : '';
  const reason = s.state === 'unknown' && s.reason ? `: ${safeText(s.reason, 120)}` : '';
  return `${s.state}${kind}${counts}${reason}`;
}

function range(h: BlameHunk): string {
  if (h.binary) return 'binary';
  if (h.new.count === 0) return h.old.count ? `-${h.old.count} line${h.old.count === 1 ? '' : 's'}` : 'no lines';
  return h.new.count === 1 ? `+${h.new.start}` : `+${h.new.start}..${h.new.start + h.new.count - 1}`;
}

function hunkLines(h: BlameHunk, st: Style, indent: string): string[] {
  const where = range(h).padEnd(12);
  if (h.attribution !== 'traced') {
    return [`${indent}${st.dim(where)}  ${st.dim(`unattributed: ${safeText(h.reason ?? '', 160)}`)}`];
  }
  const who = `${safeText(h.traceId ?? '', 60)} · ${safeText(h.stepId ?? '', 60)}`;
  const meta = [h.stepIndex !== null ? `#${h.stepIndex}` : null, h.agent ? safeText(h.agent, 40) : null, h.tool ? safeText(h.tool, 40) : null, h.firmness === 'fuzzy' ? 'fuzzy anchor' : null].filter(Boolean).join(', ');
  const surv = h.survival ? st.state(h.survival.state, survivalText(h.survival)) : st.dim('survival not judged');
  const out = [`${indent}${where}  ${st.bold(who)}${meta ? st.dim(` (${meta})`) : ''}  ${surv}`];
  if (h.intent) out.push(`${indent}${' '.repeat(14)}${st.dim('intent')} “${safeText(h.intent)}”`);
  return out;
}

/** `ot trail blame commit` as text. */
export function renderBlameCommitText(v: BlameCommitView, options: { color?: boolean } = {}): string {
  const st = textStyle(Boolean(options.color));
  const lines: string[] = [];
  lines.push(`${st.bold(`commit ${v.shortCommit}`)}  ${safeText(v.subject, 120)}`);
  lines.push(st.dim(`${safeText(v.author.name, 60)} <${safeText(v.author.email, 80)}>  ${v.date}`));
  lines.push(
    `coverage ${st.bold(`${v.coverage.tracedLines}/${v.coverage.totalLines}`)} added lines traced (${pct(v.coverage.tracedLines, v.coverage.totalLines)})` +
      (v.survivalAt ? st.dim(` · survival at HEAD ${v.survivalAt.slice(0, 7)}`) : ''),
  );
  if (v.traces.length) lines.push(st.dim(`traces: ${v.traces.map((t) => `${safeText(t.traceId, 60)}${t.agent ? ` (${safeText(t.agent, 40)})` : ''}, ${plural(t.steps, 'step')}`).join('; ')}`));
  if (v.hunks.length === 0) lines.push('', st.dim('the commit changes no file against its first parent'));
  let lastFile = '';
  for (const h of v.hunks) {
    if (h.path !== lastFile) {
      lastFile = h.path;
      const rename = h.oldPath ? ` (from ${safeText(h.oldPath, 200)})` : '';
      lines.push('', `${st.cyan(safeText(h.path, 200))}${rename}  ${st.dim(h.change)}`);
    }
    lines.push(...hunkLines(h, st, '  '));
  }
  return `${lines.join('\n')}\n`;
}

/** `ot trail blame file` as text: git-blame-like columns, then the steps named. */
export function renderBlameFileText(v: BlameFileView, options: { color?: boolean } = {}): string {
  const st = textStyle(Boolean(options.color));
  const lines: string[] = [];
  const range = v.range ? `:${v.range.start}-${v.range.end}` : '';
  lines.push(`${st.bold(`${safeText(v.path, 200)}${range}`)} ${st.dim(`at ${v.at.slice(0, 7)}`)} · ${v.tracedLines}/${v.totalLines} lines written by a recorded step`);
  if (v.binary) {
    lines.push(st.dim('binary file: no lines to blame'));
    return `${lines.join('\n')}\n`;
  }
  const traceW = Math.max(5, ...v.lines.map((l) => (l.traceId ? safeText(l.traceId, 40).length : 0)));
  const stepW = Math.max(4, ...v.lines.map((l) => (l.stepId ? safeText(l.stepId, 30).length : 0)));
  const numW = String(v.lines.length ? v.lines[v.lines.length - 1]!.line : 1).length;
  for (const l of v.lines) {
    const who = l.traceId
      ? `${safeText(l.traceId, 40).padEnd(traceW)} ${safeText(l.stepId ?? '', 30).padEnd(stepW)} ${(l.anchorCommit ?? '').slice(0, 7).padEnd(7)}${l.edited ? '*' : ' '}`
      : ' '.repeat(traceW + stepW + 10);
    // The file's own text, with terminal controls removed (a file may hold escape sequences).
    const text = l.text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `^${String.fromCharCode((c.charCodeAt(0) + 64) % 128)}`);
    lines.push(`${l.traceId ? st.cyan(who) : who} ${st.dim(`${String(l.line).padStart(numW)})`)} ${text}`);
  }
  if (v.steps.length) {
    lines.push('', st.bold('steps'));
    for (const s of v.steps) {
      const meta = [`#${s.index}`, s.agent ? safeText(s.agent, 40) : null, s.tool ? safeText(s.tool, 40) : null].filter(Boolean).join(', ');
      lines.push(`  ${safeText(s.traceId, 60)} · ${safeText(s.stepId, 60)} ${st.dim(`(${meta})`)}${s.intent ? `  “${safeText(s.intent)}”` : ''}`);
    }
  }
  if (v.lines.some((l) => l.edited)) lines.push(st.dim('* edited since the step wrote it'));
  return `${lines.join('\n')}\n`;
}
