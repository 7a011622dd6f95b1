// Bundles the CLI, the demo and the benchmark with esbuild so `ot` starts fast.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

/**
 * Ink lays out with yoga-layout, whose Emscripten loader holds its WebAssembly as a base64 data URI
 * and, seeing a global `fetch`, fetches that URI: on Node that loads undici (30-40 ms, a third of
 * the interface's start) to decode bytes the loader can decode itself. A module-scoped `fetch`
 * that is not a function sends it down its synchronous decoding path; nothing else changes.
 */
const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  setup(b) {
    b.onLoad({ filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('typeof fetch')) throw new Error(`${args.path}: no \`typeof fetch\` test any more; check whether yoga-layout still fetches its data URI`);
      return { contents: `const fetch = undefined;\n${source}`, loader: 'js' };
    });
  },
};

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
  // React and its reconciler pick their development build at run time unless NODE_ENV is
  // production: the development build doubles the Ink chunk and slows every render.
  define: { OT_VERSION: JSON.stringify(pkg.version), 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  plugins: [yogaWithoutFetch],
};
// Chunk names are content hashes: without this, every build would leave the previous chunks behind.
rmSync(new URL('../dist/chunks', import.meta.url), { recursive: true, force: true });
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
