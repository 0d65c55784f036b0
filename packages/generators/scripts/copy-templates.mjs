// Ships the kernel templates inside the package: copies templates/ at the top of the monorepo
// (where they are edited, the one source) to dist/templates/, which the tarball carries ("files":
// dist) and defaultTemplateRoot() names when the package is installed (src/templates.ts).
// Replaces the copy whole, so a template deleted or renamed upstream does not linger in it.
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../../../templates/', import.meta.url));
const destination = fileURLToPath(new URL('../dist/templates/', import.meta.url));

rmSync(destination, { recursive: true, force: true });
cpSync(source, destination, { recursive: true });
