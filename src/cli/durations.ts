import { usageError } from '../errors.js';

/** Parses `7d`, `12h`, `30m`, `2w` (or an ISO date) into a cutoff time in ms since the epoch. */
export function parseSince(value: string, now = Date.now()): number {
  const m = /^(\d+)\s*([smhdw])$/.exec(value.trim());
  if (m) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return now - Number(m[1]) * unit;
  }
  const t = Date.parse(value);
  if (!Number.isNaN(t)) return t;
  throw usageError(`--since/--older-than takes a duration such as 7d, 12h, 30m or a date, not '${value}'`);
}
