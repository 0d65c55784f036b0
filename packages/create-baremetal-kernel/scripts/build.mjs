// Builds the published CLI: both bins bundled and minified with esbuild, the kernel templates
// precompiled into data in dist/templates.data (so no part of Handlebars is loaded), and the
// prompts library in a file of its own that loads only when someone is asked a question.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { loadTemplates, precompileTemplates, templatesFile } from '@baremetal-kernel/generators';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(packageRoot, 'dist');
const precompiledSource = join(packageRoot, 'src', 'templates-precompiled.ts');
/** Where src/templates-precompiled.ts reads the templates from (its TEMPLATES_FILE and MODULES_FILE). */
const TEMPLATES_FILE = 'templates.data';
const MODULES_FILE = 'modules.data';

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

/** Swaps src/templates-source.ts (which compiles templates/ at run time) for the precompiled data's reader. */
const precompiledTemplates = {
  name: 'precompiled-templates',
  setup(builder) {
    builder.onResolve({ filter: /\/templates-source\.js$/ }, () => ({ path: precompiledSource }));
  },
};

/**
 * Leaves src/prompts.ts out of the bins: they load dist/prompts.cjs, built on its own below
 * (CommonJS: the create bundle requires it, the other bin imports it).
 */
const promptsApart = {
  name: 'prompts-apart',
  setup(builder) {
    builder.onResolve({ filter: /^\.\/prompts\.js$/ }, () => ({ path: './prompts.cjs', external: true }));
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
// this bin imports its command statically.) CommonJS, not an ES module: Node loads it without its
// ESM loader and without the module facades of node:fs & co. (which load Node's streams), ~15%
// of a create's instructions.
const CREATE_BUNDLE = 'create-baremetal-kernel.cjs';
await build({
  ...common,
  format: 'cjs',
  entryPoints: [join(packageRoot, 'src', 'bin', 'create-baremetal-kernel.ts')],
  outdir: undefined,
  outfile: join(outdir, CREATE_BUNDLE),
  // The bundle's own URL, for what reads files beside it (the templates) and createRequire.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "'use strict';\nconst __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Every import() a require (of dist/prompts.cjs: see promptsApart).
  supported: { 'dynamic-import': false },
  plugins: [precompiledTemplates, promptsApart],
});
// `baremetal-kernel` loads each command when it is chosen: split into chunks.
await build({
  ...common,
  entryPoints: [join(packageRoot, 'src', 'bin', 'baremetal-kernel.ts')],
  splitting: true,
  chunkNames: 'baremetal-kernel-[name]-[hash]',
  plugins: [precompiledTemplates, promptsApart],
});
await build({ ...common, format: 'cjs', banner: {}, entryPoints: [join(packageRoot, 'src', 'prompts.ts')], outExtension: { '.js': '.cjs' } });
// Building a require costs every file that loads start-up time (~0.7 ms each): keep it only
// where one is called. The bins in bin/ load the entry files, so no file needs a #! line.
for (const file of readdirSync(outdir).filter((name) => name.endsWith('.js'))) {
  const path = join(outdir, file);
  const code = readFileSync(path, 'utf8');
  if (!code.startsWith(REQUIRE_BANNER)) throw new Error(`${file} does not start with the require banner`);
  const body = code.slice(REQUIRE_BANNER.length);
  // Any mention counts: esbuild's __require shim reads `typeof require` and calls require.apply.
  if (!/\brequire\b/.test(body)) writeFileSync(path, body.replace(/^\n/, ''));
}
// The modules' templates apart: a create without modules does not read (nor parse) them.
const templates = [...loadTemplates()];
const isModule = ([path]) => path.startsWith('modules/');
writeFileSync(join(outdir, TEMPLATES_FILE), templatesFile(precompileTemplates(new Map(templates.filter((entry) => !isModule(entry))))));
writeFileSync(join(outdir, MODULES_FILE), templatesFile(precompileTemplates(new Map(templates.filter(isModule)))));
