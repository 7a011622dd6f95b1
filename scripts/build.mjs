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

/**
 * string-width (Ink's, and in the chunk yargs loads) builds `/^\p{RGI_Emoji}$/v` when it loads
 * (about 20 ms) and compiles it the first time a line holds anything but ASCII (about 35 ms more):
 * a box-drawing rule is enough. Every RGI emoji sequence holds a non-ASCII character with the
 * Emoji property, so that cheap test comes first, and the full expression is only built for a
 * segment that passes it: the same widths, without the cost on text with no emoji.
 */
const RGI_EMOJI_LITERAL = String.raw`const rgiEmojiRegex = /^\p{RGI_Emoji}$/v;`;
const RGI_EMOJI_LAZY = String.raw`const nonAsciiRegex = /\P{ASCII}/u;
const emojiCharacterRegex = /\p{Emoji}/u;
let rgiEmojiRegexBuilt;
const rgiEmojiRegex = {
	test: (segment) => nonAsciiRegex.test(segment) && emojiCharacterRegex.test(segment) && (rgiEmojiRegexBuilt ??= new RegExp('^\\p{RGI_Emoji}$', 'v')).test(segment),
};`;
/**
 * Every copy of string-width (two versions here: Ink's, and cliui's and wrap-ansi's, which yargs
 * loads for every command) makes an `Intl.Segmenter` when it loads: ICU's break data, 7-10 ms of
 * every command's start, though only a help text or the interface measures a string. It is made
 * on its first use instead (the one method string-width calls, `segment`).
 */
const SEGMENTER_LITERAL = 'const segmenter = new Intl.Segmenter();';
const SEGMENTER_LAZY = 'let segmenterBuilt;\nconst segmenter = { segment: (string) => (segmenterBuilt ??= new Intl.Segmenter()).segment(string) };';
const stringWidthLazy = {
  name: 'string-width-lazy',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]string-width[\\/]index\.js$/ }, (args) => {
      let source = readFileSync(args.path, 'utf8');
      if (!source.includes(SEGMENTER_LITERAL)) throw new Error(`${args.path}: no \`${SEGMENTER_LITERAL}\` any more; check the string-width-lazy build plugin`);
      if (/\bsegmenter\.(?!segment\()|[(,=]\s*segmenter\b/.test(source)) throw new Error(`${args.path}: uses its segmenter other than by segment(); check the string-width-lazy build plugin`);
      source = source.replace(SEGMENTER_LITERAL, () => SEGMENTER_LAZY);
      // The older copies (under cliui and wrap-ansi) test with emoji-regex, and only characters
      // that may be emoji: nothing more to do there.
      if (/\/\^\\p\{RGI_Emoji\}\$\/v|RegExp\([^)]*RGI_Emoji/.test(source)) {
        if (!source.includes(RGI_EMOJI_LITERAL)) throw new Error(`${args.path}: its RGI_Emoji expression changed; check the string-width-lazy build plugin`);
        source = source.replace(RGI_EMOJI_LITERAL, () => RGI_EMOJI_LAZY);
      }
      return { contents: source, loader: 'js' };
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
  plugins: [yogaWithoutFetch, stringWidthLazy],
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
