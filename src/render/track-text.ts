import type { TrackReport } from '../model/track.js';
import type { SurvivalState } from '../model/survival.js';
import { textStyle } from './text-style.js';

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** `ot trail track` as text: one row per patch, then one summary line per state with a proportional bar. */
export function renderTrackText(r: TrackReport, opts: { color: boolean; columns?: number }): string {
  const paint = textStyle(opts.color).state;
  const out: string[] = [];
  out.push(`survival at ${r.at ? r.at.slice(0, 12) : '(no commit yet)'} of ${r.summary.patches} patch${r.summary.patches === 1 ? '' : 'es'} in ${r.traces.length} trace${r.traces.length === 1 ? '' : 's'}`);
  if (r.patches.length) {
    const rows = r.patches.map((p) => {
      const lines = p.newLines ? `${p.path}:${p.newStart}${p.newLines > 1 ? `-${p.newStart + p.newLines - 1}` : ''}` : `${p.path} (deletion)`;
      const s = p.survival;
      return {
        step: `${p.traceId}/${p.stepId}`,
        lines,
        anchor: p.anchor ? `${p.anchor.commit.slice(0, 8)}${p.anchor.firmness === 'fuzzy' ? '~' : ''}` : '-',
        state: s.state + (s.lostKind ? `:${s.lostKind}` : ''),
        rawState: s.state,
        counts: `${s.aliveLines}/${s.totalLines} alive` + (s.movedLines ? ` ${s.movedLines} moved` : '') + (s.editedLines ? ` ${s.editedLines} edited` : '') + (s.deletedLines ? ` ${s.deletedLines} deleted` : ''),
        by: s.byCommit ? s.byCommit.slice(0, 8) : '',
      };
    });
    const w = (k: 'step' | 'lines' | 'anchor' | 'state') => Math.min(48, Math.max(k.length, ...rows.map((x) => x[k].length)));
    const ws = { step: w('step'), lines: w('lines'), anchor: w('anchor'), state: w('state') };
    out.push('');
    out.push(`${pad('STEP', ws.step)}  ${pad('FILE:LINES', ws.lines)}  ${pad('ANCHOR', ws.anchor)}  ${pad('STATE', ws.state)}  COUNTS`);
    for (const x of rows) {
      out.push(`${pad(x.step, ws.step)}  ${pad(x.lines, ws.lines)}  ${pad(x.anchor, ws.anchor)}  ${paint(x.rawState, pad(x.state, ws.state))}  ${x.counts}${x.by ? `  by ${x.by}` : ''}`);
    }
    for (const p of r.patches) {
      if (!p.timeline?.length) continue;
      out.push(`  ${p.traceId}/${p.stepId} ${p.path}: ${p.timeline.map((t) => `${t.commit.slice(0, 8)} ${t.state}`).join(' -> ')}`);
    }
  }
  out.push('');
  const total = r.summary.patches || 1;
  const width = Math.max(10, Math.min(40, (opts.columns ?? 100) - 40));
  const states = Object.entries(r.summary.byState).filter(([, n]) => n > 0) as [SurvivalState, number][];
  const sw = Math.max(5, ...states.map(([s]) => s.length));
  for (const [state, n] of states) {
    const len = Math.max(1, Math.round((n / total) * width));
    out.push(`${pad(state, sw)}  ${paint(state, '█'.repeat(len))}${' '.repeat(width - len)}  ${n} (${Math.round((n / total) * 100)}%)`);
  }
  const l = r.summary.lines;
  out.push(`lines: ${l.alive} alive, ${l.moved} moved, ${l.edited} edited, ${l.deleted} deleted of ${l.total}`);
  return out.join('\n');
}
