import type { SurvivalState } from '../model/survival.js';

/** ANSI styling for the text renderers; every function is the identity when colour is off. */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  state(state: SurvivalState | 'unattributed', s?: string): string;
}

const wrap = (on: boolean, open: number, close: number) => (s: string) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : s);

/** Colour names as Ink knows them; the text renderers map them to ANSI codes. */
export type ColorName = 'green' | 'cyan' | 'blue' | 'magenta' | 'yellow' | 'red' | 'redBright' | 'gray' | 'white';

/** One colour per survival state, the same in every view: text, and the interface. */
export const STATE_COLOR: Record<SurvivalState, ColorName> = {
  alive_on_path: 'green',
  moved: 'cyan',
  alive_transformed: 'blue',
  repaired: 'magenta',
  partially_preserved: 'yellow',
  reverted: 'red',
  lost: 'redBright',
  pending: 'gray',
  unknown: 'white',
};

/** The SGR code of each colour, for text written to a terminal. */
export const COLOR_SGR: Record<ColorName, number> = { green: 32, cyan: 36, blue: 34, magenta: 35, yellow: 33, red: 31, redBright: 91, gray: 90, white: 37 };

export function textStyle(color: boolean): Style {
  const green = wrap(color, 32, 39);
  const yellow = wrap(color, 33, 39);
  const red = wrap(color, 31, 39);
  const dim = wrap(color, 2, 22);
  const cyan = wrap(color, 36, 39);
  const state = (st: SurvivalState | 'unattributed', s?: string) => (st === 'unattributed' ? dim(s ?? st) : wrap(color, COLOR_SGR[STATE_COLOR[st]], 39)(s ?? st));
  return { bold: wrap(color, 1, 22), dim, green, yellow, red, cyan, state };
}

/** `1h 05m`, `41m`, `12s`, `0s`: a duration for a card. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  const rest = m % 60;
  if (h < 48) return `${h}h ${String(rest).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
