// Writes each generator's schema.json where generators.json names it, from the option rows the
// CLI's flags and prompts come from (src/schema.ts): the schemas are built, never edited.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMAS } from '../dist/schema.js';

const packageRoot = new URL('../', import.meta.url);
const { generators } = JSON.parse(readFileSync(new URL('generators.json', packageRoot), 'utf8'));

for (const [name, { schema }] of Object.entries(generators)) {
  const derive = SCHEMAS[name];
  if (!derive) throw new Error(`generators.json names '${name}', which src/schema.ts does not derive`);
  const path = fileURLToPath(new URL(schema, packageRoot));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(derive(), null, 2)}\n`);
}
