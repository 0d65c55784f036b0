// Builds the published CLI: both bins bundled and minified with esbuild, the kernel templates
// precompiled into data in dist/templates.data (so no part of Handlebars is loaded), and the
// prompts library in a file of its own that loads only when someone is asked a question.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { loadTemplates, precompileTemplates, templatesFile } from '@baremetal-kernel/generators';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(packageRoot, 'dist');
const precompiledSource = join(packageRoot, 'src', 'templates-precompiled.ts');
/** Where src/templates-precompiled.ts reads the templates from (its TEMPLATES_FILE). */
const TEMPLATES_FILE = 'templates.data';

rmSync(outdir, { recursive: true, force: true });

/** Swaps src/templates-source.ts (which compiles templates/ at run time) for the precompiled data's reader. */
const precompiledTemplates = {
  name: 'precompiled-templates',
  setup(builder) {
    builder.onResolve({ filter: /\/templates-source\.js$/ }, () => ({ path: precompiledSource }));
  },
};

/** Leaves src/prompts.ts out of the bins: they import dist/prompts.js, built on its own below. */
const promptsApart = {
  name: 'prompts-apart',
  setup(builder) {
    builder.onResolve({ filter: /^\.\/prompts\.js$/ }, () => ({ path: './prompts.js', external: true }));
  },
};

const REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);";

const common = {
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // CommonJS dependencies of the prompts call require('node:tty'): give each file a require (and
  // take it out below from those that never call it).
  banner: { js: REQUIRE_BANNER },
  logLevel: 'warning',
};
// `create-baremetal-kernel` in one file: each module of a bundle split into chunks costs Node a
// file read and a round of the ESM loader, which measured ~25 ms of a create's ~90 ms over
// `node -e 0`. (esbuild keeps a CommonJS dependency's set-up in code it must load lazily, so
// this bin imports its command statically.)
await build({ ...common, entryPoints: [join(packageRoot, 'src', 'bin', 'create-baremetal-kernel.ts')], plugins: [precompiledTemplates, promptsApart] });
// `baremetal-kernel` loads each command when it is chosen: split into chunks.
await build({
  ...common,
  entryPoints: [join(packageRoot, 'src', 'bin', 'baremetal-kernel.ts')],
  splitting: true,
  chunkNames: 'baremetal-kernel-[name]-[hash]',
  plugins: [precompiledTemplates, promptsApart],
});
await build({ ...common, entryPoints: [join(packageRoot, 'src', 'prompts.ts')] });
// Building a require costs every file that loads start-up time (~0.7 ms each): keep it only
// where one is called. The bins in bin/ load the entry files, so no file needs a #! line.
for (const file of readdirSync(outdir)) {
  const path = join(outdir, file);
  const code = readFileSync(path, 'utf8');
  if (!code.startsWith(REQUIRE_BANNER)) throw new Error(`${file} does not start with the require banner`);
  const body = code.slice(REQUIRE_BANNER.length);
  // Any mention counts: esbuild's __require shim reads `typeof require` and calls require.apply.
  if (!/\brequire\b/.test(body)) writeFileSync(path, body.replace(/^\n/, ''));
}
writeFileSync(join(outdir, TEMPLATES_FILE), templatesFile(precompileTemplates(loadTemplates())));
