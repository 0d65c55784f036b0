/**
 * What `check` reads from a kernel project: the package name and boot protocol in Cargo.toml, and
 * where cargo puts the kernel ELF.
 */
import { describe, expect, it } from 'vitest';
import { kernelElfPath, parseKernelManifest } from '../src/project.js';
import { MANIFEST } from './elf-builder.js';


describe('parseKernelManifest', () => {
  it('reads the package name and the boot protocol of a generated Cargo.toml, nothing else', () => {
    expect(parseKernelManifest(MANIFEST)).toEqual({ name: 'my-os', boot: 'limine' });
  });

  it('leaves out what is missing, and reads literal strings', () => {
    expect(parseKernelManifest("[package]\nname = 'lit-os'\n")).toEqual({ name: 'lit-os', boot: undefined });
    expect(parseKernelManifest('[dependencies]\nname = "dep"\n')).toEqual({ name: undefined, boot: undefined });
  });

  it('unescapes basic strings and keeps literal strings as written', () => {
    expect(parseKernelManifest('[package]\nname = "my\\"os\\\\" # a comment\n').name).toBe('my"os\\');
    expect(parseKernelManifest("[package]\nname = 'C:\\os'\n").name).toBe('C:\\os');
  });

  it('reads dotted table headers with spaces and comments, CRLF lines and indented keys', () => {
    const text = '[ package ]  # the kernel\r\n  name="spaced-os"\r\n[ package . metadata . baremetal-kernel ]\r\n\tboot =  "multiboot2"\r\n';
    expect(parseKernelManifest(text)).toEqual({ name: 'spaced-os', boot: 'multiboot2' });
    // Spaces on one side of a dot only.
    expect(parseKernelManifest('[package .metadata. baremetal-kernel]\nboot = "limine"\n').boot).toBe('limine');
  });

  it('reads each key only in its own table', () => {
    const text = ['[package]', 'boot = "limine"', 'names = "not-a-name"', '[package.metadata.baremetal-kernel]', 'name = "not-the-package"'].join('\n');
    expect(parseKernelManifest(text)).toEqual({ name: undefined, boot: undefined });
    // An array of tables named like a table is not that table.
    expect(parseKernelManifest('[[package]]\nname = "array"\n[[package.metadata.baremetal-kernel]]\nboot = "limine"\n')).toEqual({
      name: undefined,
      boot: undefined,
    });
  });

  it('takes a line with more than a header on it for no header, and a value not starting with a quote for no string', () => {
    expect(parseKernelManifest('[dependencies]\n[package]x\nname = "dep"\n').name).toBeUndefined();
    expect(parseKernelManifest('[dependencies]\nx[package]\nname = "dep"\n').name).toBeUndefined();
    expect(parseKernelManifest('[package] #\nname = "after-a-bare-comment"\n').name).toBe('after-a-bare-comment');
    expect(parseKernelManifest('[package]\n# name = "commented-out"\n').name).toBeUndefined();
    expect(parseKernelManifest('[package]\nname = v"1"\n[package.metadata.baremetal-kernel]\nboot = x\'limine\'\n')).toEqual({ name: undefined, boot: undefined });
  });

  it('keeps a value it read when a later one is not a string', () => {
    expect(parseKernelManifest('[package]\nname = "first"\nname = 5\n')).toEqual({ name: 'first', boot: undefined });
    expect(parseKernelManifest('[package.metadata.baremetal-kernel]\nboot = "limine"\nboot = limine\n')).toEqual({ name: undefined, boot: 'limine' });
  });
});

describe('kernelElfPath', () => {
  const cwd = '/work/here';

  it('is <project>/target/x86_64-unknown-none/<profile>/<name> without CARGO_TARGET_DIR, or with it empty', () => {
    expect(kernelElfPath('/p/os', 'os', { cwd })).toBe('/p/os/target/x86_64-unknown-none/debug/os');
    expect(kernelElfPath('/p/os', 'os', { cwd, cargoTargetDir: '' })).toBe('/p/os/target/x86_64-unknown-none/debug/os');
    expect(kernelElfPath('/p/os', 'os', { cwd, profile: 'release' })).toBe('/p/os/target/x86_64-unknown-none/release/os');
  });

  it('takes an absolute CARGO_TARGET_DIR as it is, a relative one from the working directory', () => {
    expect(kernelElfPath('/p/os', 'os', { cwd, cargoTargetDir: '/cache/t' })).toBe('/cache/t/x86_64-unknown-none/debug/os');
    expect(kernelElfPath('/p/os', 'os', { cwd, cargoTargetDir: '../t', profile: 'release' })).toBe('/work/t/x86_64-unknown-none/release/os');
  });
});
