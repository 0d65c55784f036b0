/** The check executor's reading of a project: which image, which protocol, and what it says when it cannot check. */
import { describe, expect, it } from 'vitest';
import { validateKernelRequest } from '@baremetal-kernel/target';
import { planKernel } from '@baremetal-kernel/generators';
import { checkKernelProject, type CheckEdges } from '../src/index.js';
import { TEMPLATES } from './support.js';

const limineToml = (() => {
  const validation = validateKernelRequest({ name: 'os', boot: 'limine', toolchain: 'rustup-stable' });
  if (!validation.ok) throw new Error('invalid request');
  return planKernel(validation.config, TEMPLATES).files.find((file) => file.path === 'Cargo.toml')!.contents;
})();

/** A project at /ws/kernels/os whose files are `files`; records which files were read. */
function edges(files: Record<string, string | Uint8Array>, env: Record<string, string> = {}) {
  const read: string[] = [];
  const get = (path: string) => {
    read.push(path);
    const contents = files[path];
    if (contents === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return contents;
  };
  const result: CheckEdges = {
    readText: (path) => String(get(path)),
    readBytes: (path) => {
      const contents = get(path);
      return typeof contents === 'string' ? new TextEncoder().encode(contents) : contents;
    },
    env,
  };
  return { edges: result, read };
}

describe('checkKernelProject', () => {
  it("checks the debug image against the protocol in Cargo.toml, and fails an image the loader would refuse", () => {
    const { edges: fake, read } = edges({ '/ws/kernels/os/Cargo.toml': limineToml, '/ws/kernels/os/target/x86_64-unknown-none/debug/os': 'not an ELF at all' });
    const result = checkKernelProject('/ws/kernels/os', '/ws', fake);
    expect(read).toEqual(['/ws/kernels/os/Cargo.toml', '/ws/kernels/os/target/x86_64-unknown-none/debug/os']);
    expect(result.success).toBe(false);
    expect(result.lines.some((line) => line.startsWith('error: '))).toBe(true);
    expect(result.lines.at(-1)).toMatch(/^summary: kernels\/os\/target\/x86_64-unknown-none\/debug\/os fails the limine checks: \d+ ok, \d+ warnings, [1-9]\d* errors$/);
  });

  it('reads the image where CARGO_TARGET_DIR puts it (relative to the project, as cargo run there takes it)', () => {
    const { edges: fake, read } = edges({ '/ws/kernels/os/Cargo.toml': limineToml }, { CARGO_TARGET_DIR: '../../shared-target' });
    const result = checkKernelProject('/ws/kernels/os', '/ws', fake);
    expect(read.at(-1)).toBe('/ws/shared-target/x86_64-unknown-none/debug/os');
    expect(result).toEqual({
      success: false,
      lines: ["cannot read the kernel at shared-target/x86_64-unknown-none/debug/os (ENOENT: no such file or directory, open '/ws/shared-target/x86_64-unknown-none/debug/os'): build it first"],
    });
  });

  it('says in one line that a Cargo.toml is not a kernel, or names a protocol it does not know', () => {
    expect(checkKernelProject('/ws/tool', '/ws', edges({ '/ws/tool/Cargo.toml': '[package]\nname = "tool"\n' }).edges)).toEqual({
      success: false,
      lines: ['tool/Cargo.toml has no [package.metadata.baremetal-kernel] table: this is not a kernel made by baremetal-kernel (create one with `npm create baremetal-kernel`)'],
    });
    const other = limineToml.replace('boot = "limine"', 'boot = "limin"');
    expect(checkKernelProject('/ws/kernels/os', '/ws', edges({ '/ws/kernels/os/Cargo.toml': other }).edges)).toEqual({
      success: false,
      lines: ["kernels/os/Cargo.toml: boot = 'limin': unknown boot protocol 'limin' (known: multiboot2, limine); did you mean 'limine'?"],
    });
  });
});
