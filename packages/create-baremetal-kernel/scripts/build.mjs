// Builds the published CLI: both bins bundled and minified with esbuild, the kernel templates
// precompiled into the bundle (so the Handlebars compiler is never loaded), and the prompts
// library split into a chunk that loads only when someone is asked a question.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { loadTemplates, precompileTemplatesModule } from '@baremetal-kernel/generators';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(packageRoot, 'dist');
const generatedTemplates = join(packageRoot, 'build', 'templates.generated.js');

rmSync(outdir, { recursive: true, force: true });
mkdirSync(dirname(generatedTemplates), { recursive: true });
writeFileSync(
  generatedTemplates,
  `${precompileTemplatesModule(loadTemplates())}export function kernelTemplates() {\n  return templates;\n}\n`,
);

/** Swaps src/templates-source.ts (which compiles templates/ at run time) for the precompiled module. */
const precompiledTemplates = {
  name: 'precompiled-templates',
  setup(builder) {
    builder.onResolve({ filter: /\/templates-source\.js$/ }, () => ({ path: generatedTemplates }));
  },
};

const entries = ['create-baremetal-kernel', 'baremetal-kernel'];
await build({
  entryPoints: entries.map((name) => join(packageRoot, 'src', 'bin', `${name}.ts`)),
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // CommonJS dependencies of the prompts call require('node:tty'): give every chunk a require.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  plugins: [precompiledTemplates],
  logLevel: 'warning',
});
for (const name of entries) chmodSync(join(outdir, `${name}.js`), 0o755);
