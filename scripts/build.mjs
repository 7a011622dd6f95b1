// Bundles the CLI, the demo and the benchmark with esbuild so `ot` starts fast.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  // Everything is bundled (one file loads far faster than hundreds of ESM modules). Ink and React
  // sit behind a dynamic import, so they land in their own chunk, loaded only when the interface opens.
  external: ['react-devtools-core'],
  banner: { js: "import { createRequire as __otCreateRequire } from 'node:module'; const require = __otCreateRequire(import.meta.url);" },
  jsx: 'automatic',
  define: { OT_VERSION: JSON.stringify(pkg.version) },
  logLevel: 'warning',
};
await build({
  ...common,
  entryPoints: {
    cli: 'src/cli/main.ts',
    demo: 'fixtures/demo.ts',
    bench: 'bench/main.ts',
  },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
