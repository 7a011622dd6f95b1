/**
 * `npm run bench`: every benchmark, each against the git CLI doing the equivalent work in the same
 * run, printed as medians and ratios. `OT_BENCH=capture,survival` runs a subset.
 */
import { benchCapture } from './capture.js';
import { benchSurvival } from './survival.js';
import { benchViews } from './views.js';
import { benchTui } from './tui.js';
import { benchParity } from './parity.js';

const suites: Record<string, () => Promise<string[]>> = {
  capture: benchCapture,
  survival: () => benchSurvival(),
  views: benchViews,
  tui: benchTui,
  parity: benchParity,
};
const wanted = (process.env.OT_BENCH ?? Object.keys(suites).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
for (const name of wanted) {
  const run = suites[name];
  if (!run) {
    process.stderr.write(`bench: unknown suite '${name}' (known: ${Object.keys(suites).join(', ')})\n`);
    process.exitCode = 2;
    continue;
  }
  process.stdout.write(`\n== ${name}\n`);
  const started = Date.now();
  for (const line of await run()) process.stdout.write(`${line}\n`);
  process.stdout.write(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
