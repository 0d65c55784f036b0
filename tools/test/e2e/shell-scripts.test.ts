/**
 * ShellCheck over our own shell scripts: every file under tools/ and .ci/ that starts with a shell
 * shebang (the generated runners are linted in packages/generators/test/runner.test.ts).
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SEARCHED = ['tools', '.ci'];
const SKIPPED = new Set(['node_modules', 'fixtures']);
const SHELL_SHEBANG = /^#!\s*(\/usr\/bin\/env\s+)?(\/\S*\/)?(ba|da|k)?sh\b/;

function shellScripts(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : shellScripts(path);
    return entry.isFile() && SHELL_SHEBANG.test(readFileSync(path, 'utf8').slice(0, 100)) ? [relative(root, path)] : [];
  });
}

describe('our shell scripts', () => {
  const scripts = SEARCHED.flatMap((directory) => shellScripts(join(root, directory))).sort();

  it('include the toolchain installer and the CI entry point', () => {
    expect(scripts).toEqual(expect.arrayContaining(['.ci/run', 'tools/install-toolchain.sh']));
  });

  it('pass ShellCheck', async () => {
    // A machine without ShellCheck fails here rather than skipping: the lint is part of the suite.
    const outcome = await promisify(execFile)('shellcheck', scripts, { cwd: root }).then(
      ({ stdout, stderr }) => ({ status: 0, output: stdout + stderr }),
      (error: NodeJS.ErrnoException & { stdout?: string; stderr?: string }) => {
        if (error.code === 'ENOENT') throw new Error('shellcheck is not installed: run tools/install-toolchain.sh');
        return { status: error.code, output: `${error.stdout ?? ''}${error.stderr ?? ''}` };
      },
    );
    expect(outcome.output).toBe('');
    expect(outcome.status).toBe(0);
  });
});
