/**
 * A generated multiboot2 kernel (system toolchain, baseline preset) built with the real compiler
 * and booted in real QEMU on every path: GRUB on BIOS, GRUB on UEFI, and PVH direct boot.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkKernelImage, parseElf, PT_NOTE, symbolValue } from '@baremetal-kernel/check';
import { QEMU, findPreset, qemuCommonArgs } from '@baremetal-kernel/target';
import { appendSource, cacheDirectory, cargo, generate, kernelElf, plainText, replaceInSource, run } from './support.js';

const NAME = 'e2e-os';
const targetDirectory = cacheDirectory('e2e-multiboot2-system-baseline');
let directory: string;

const BUILD_TIMEOUT = 300_000;
const BOOT_TIMEOUT = 120_000;
/** xen/include/public/elfnote.h: the PVH entry note's type, written out here rather than taken from the model. */
const XEN_ELFNOTE_PHYS32_ENTRY = 18;

/**
 * How the kernel names its loader and firmware on each path. Multiboot2 §3.6.13-14: a loader on
 * UEFI passes the EFI system table (GRUB's x86_64-efi, which OVMF runs, the 64-bit tag), none on
 * BIOS; PVH's hvm_start_info has no field that says.
 */
const GRUB = /^\[boot\] loader: GRUB 2\.\d+/;
const PVH_LOADER = /^\[boot\] loader: PVH direct boot$/;
const BIOS = /^\[boot\] firmware: BIOS$/;
const UEFI = /^\[boot\] firmware: UEFI \(64-bit\), EFI system table at (0x[0-9a-f]+)$/;
const FIRMWARE_NOT_REPORTED = /^\[boot\] firmware: not reported by the boot protocol$/;

/** The boot summary every path must print, in order, with this path's loader and firmware lines. */
function expectBootSummary(output: string, boot: { loader: RegExp; firmware: RegExp }) {
  const lines = output.split('\n');
  const index = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
  const markers = [
    /^\[kernel\] e2e-os 0\.1\.0$/,
    boot.loader,
    boot.firmware,
    /^\[boot\] command line: exit-after-boot$/,
    /^\[boot\] kernel at physical 0x100000, virtual 0x100000; physical memory at virtual \+ 0x0$/,
    // QEMU's firmware always has ACPI tables: PVH passes rsdp_paddr, GRUB a copy of the RSDP
    // (Multiboot2 §3.6.16-17, tags 14 and 15), which the kernel keeps in its image.
    /^\[boot\] ACPI RSDP at 0x[0-9a-f]+$/,
    /^\[boot\] stack: 64 KiB$/,
    /^\[cpu\] preset: baseline \(CR0 = 0x[0-9a-f]+, CR4 = 0x[0-9a-f]+\)$/,
    /^\[memory\] \d+ regions, \d+ MiB usable$/,
    /^\[heap\] \d+ KiB at 0x[0-9a-f]+$/,
    /^\[heap\] allocation works: Box = 42, Vec = \[1, 4, 9, 16, 25\], String = "hello from the heap"$/,
    /^\[kernel\] boot complete$/,
  ];
  const positions = markers.map(index);
  markers.forEach((marker, position) => expect(positions[position], `${marker} in:\n${output}`).toBeGreaterThanOrEqual(0));
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  // QEMU has 128 MiB; the firmware keeps some.
  const usable = Number(/^\[memory\] \d+ regions, (\d+) MiB usable$/m.exec(output)![1]);
  expect(usable).toBeGreaterThan(100);
  expect(usable).toBeLessThanOrEqual(128);
}

/** A TCP port nothing listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, 'localhost', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Boots `elf` through PVH with every byte of [__bss_start, __bss_end) set to 0xa5 before the first
 * instruction: QEMU waits for GDB (-S), which writes the pattern over what QEMU's ELF loader
 * zeroed. Neither PVH nor Multiboot2 promises a zeroed .bss, so this is what a kernel must survive.
 */
async function bootWithPoisonedBss(elf: string) {
  const image = parseElf(readFileSync(elf));
  const [start, end] = ['__bss_start', '__bss_end'].map((name) => Number(symbolValue(image, name))) as [number, number];
  const poison = join(mkdtempSync(join(tmpdir(), 'bss-poison-')), 'poison.bin');
  writeFileSync(poison, Buffer.alloc(end - start, 0xa5));
  const port = await freePort();
  const qemu = spawn(QEMU.binary, [
    ...qemuCommonArgs(findPreset('baseline')!),
    '-kernel', elf, '-append', 'exit-after-boot', '-gdb', `tcp:localhost:${port}`, '-S',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  qemu.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  qemu.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => qemu.on('exit', (code) => resolve(code)));
  // GDB retries a refused connection until QEMU listens (tcp auto-retry is on by default). Both run
  // at once, and this process keeps reading QEMU's output meanwhile.
  const gdb = spawn('gdb', [
    '-q', '-batch', '-nx',
    '-ex', 'set tcp connect-timeout 30',
    '-ex', `target remote localhost:${port}`,
    '-ex', `restore ${poison} binary ${start}`,
    '-ex', `x/1xb ${end - 1}`,
    '-ex', 'continue',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let gdbOutput = '';
  gdb.stdout.on('data', (chunk: Buffer) => (gdbOutput += chunk.toString()));
  gdb.stderr.on('data', (chunk: Buffer) => (gdbOutput += chunk.toString()));
  const gdbExited = new Promise<void>((resolve) => gdb.on('exit', () => resolve()));
  const timer = setTimeout(() => {
    qemu.kill('SIGKILL');
    gdb.kill('SIGKILL');
  }, 90_000);
  const [status] = await Promise.all([exited, gdbExited]);
  clearTimeout(timer);
  return { status, output: plainText(output), gdb: gdbOutput, start, end };
}

beforeAll(() => {
  directory = generate({ name: NAME }).directory;
  const build = cargo(directory, ['build'], { targetDirectory });
  expect(build.status, build.output).toBe(0);
}, BUILD_TIMEOUT);

describe('a generated multiboot2 kernel', () => {
  it('builds without warnings, and clippy and rustfmt find nothing', () => {
    const build = cargo(directory, ['build'], { targetDirectory });
    expect(build.output).not.toMatch(/^warning/m);
    const clippy = cargo(directory, ['clippy', '--all-targets', '--', '-D', 'warnings'], { targetDirectory });
    expect(clippy.status, clippy.output).toBe(0);
    expect(cargo(directory, ['fmt', '--check'], { targetDirectory }).status).toBe(0);
  }, BUILD_TIMEOUT);

  it('is a multiboot2 kernel with a PVH note, loaded at 1 MiB', () => {
    const elf = kernelElf(targetDirectory, NAME);
    expect(run('grub-file', ['--is-x86-multiboot2', elf]).status).toBe(0);
    const image = parseElf(readFileSync(elf));
    // The note QEMU's -kernel looks for.
    expect(image.notes.filter((note) => note.name === 'Xen' && note.type === XEN_ELFNOTE_PHYS32_ENTRY)).toHaveLength(1);
    expect(image.loadSegments.length).toBeGreaterThan(0);
    expect(image.loadSegments.reduce((low, load) => (load.vaddr < low ? load.vaddr : low), image.loadSegments[0]!.vaddr)).toBe(0x100000n);
    expect(image.programHeaders.some((header) => header.type === PT_NOTE)).toBe(true);
    expect(image.entry >= 0x100000n).toBe(true);
    expect(checkKernelImage(readFileSync(elf), 'multiboot2').filter((finding) => finding.level !== 'ok')).toEqual([]);
  });

  it('boots through GRUB on BIOS and exits QEMU with success', () => {
    const boot = cargo(directory, ['run'], { targetDirectory, timeoutMs: BOOT_TIMEOUT });
    expect(boot.status, boot.output).toBe(0);
    expectBootSummary(boot.output, { loader: GRUB, firmware: BIOS });
    expect(boot.output).toMatch(/^\[framebuffer\] \d+x\d+, 32 bpp/m);
  }, BOOT_TIMEOUT);

  it('boots the same ISO through GRUB on UEFI (OVMF)', () => {
    const boot = cargo(directory, ['run', '--', '--uefi'], { targetDirectory, timeoutMs: BOOT_TIMEOUT });
    expect(boot.status, boot.output).toBe(0);
    // SeaBIOS in place of OVMF would boot the same ISO: only the firmware line tells them apart.
    expectBootSummary(boot.output, { loader: GRUB, firmware: UEFI });
    // The system table is in the guest's RAM (128 MiB), not a stray value.
    const systemTable = Number(new RegExp(UEFI.source, 'm').exec(boot.output)![1]);
    expect(systemTable).toBeGreaterThan(0);
    expect(systemTable).toBeLessThan(128 * 1024 * 1024);
  }, BOOT_TIMEOUT);

  it('boots directly from the ELF through PVH, without GRUB', () => {
    const boot = cargo(directory, ['run', '--', '--direct'], { targetDirectory, timeoutMs: BOOT_TIMEOUT });
    expect(boot.status, boot.output).toBe(0);
    expectBootSummary(boot.output, { loader: PVH_LOADER, firmware: FIRMWARE_NOT_REPORTED });
    expect(boot.output).toMatch(/^\[framebuffer\] none$/m);
  }, BOOT_TIMEOUT);

  it('passes its in-kernel tests, each reported by name', () => {
    const test = cargo(directory, ['test'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(test.status, test.output).toBe(0);
    expect(test.output).toMatch(/^test boxed_value \.\.\. ok <\d+\.\d{3}s>$/m);
    expect(test.output).toMatch(/^test many_allocations_reuse_freed_memory \.\.\. ok <\d+\.\d{3}s>$/m);
    expect(test.output).toMatch(/^test result: ok\. 13 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in \d+\.\d{2}s$/m);
    // Running out of heap panics with a clear message, which that test expects.
    expect(test.output).toMatch(/^test heap_exhaustion_panics \.\.\. ok <\d+\.\d{3}s> \(panicked as expected: memory allocation of \d+ bytes failed\)$/m);
  }, BUILD_TIMEOUT);

  it.each([
    { path: 'GRUB on BIOS', args: ['--bios'] },
    { path: 'GRUB on UEFI', args: ['--uefi'] },
  ])('reports a valid ACPI RSDP through $path (the in-kernel test checks signature and checksums)', ({ args }) => {
    const test = cargo(directory, ['test', '--test', 'memory', 'acpi_rsdp', '--', ...args], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(test.status, test.output).toBe(0);
    expect(test.output).toMatch(/^test acpi_rsdp_is_mapped_and_valid \.\.\. ok/m);
    expect(test.output).toMatch(/^test result: ok\. 1 passed; 0 failed; 0 ignored; 0 measured; \d+ filtered out/m);
  }, BUILD_TIMEOUT);

  it('zeroes .bss itself: boots with .bss filled with 0xa5 by a debugger before the first instruction', async () => {
    const boot = await bootWithPoisonedBss(kernelElf(targetDirectory, NAME));
    expect(boot.end, 'linker.ld defines __bss_start and __bss_end').toBeGreaterThan(boot.start);
    expect(boot.gdb).toMatch(/^Restoring binary file .* into memory/m);
    expect(boot.gdb).toMatch(new RegExp(`^0x${(boot.end - 1).toString(16)}:\\s+0xa5$`, 'm'));
    // Without the zeroing, the locks and Once cells in .bss start out taken: no output, a triple
    // fault or a hang.
    expect(boot.status, `${boot.output}\n${boot.gdb}`).toBe(QEMU.successStatus);
    expect(boot.output).toMatch(/^\[kernel\] boot complete$/m);
  }, BOOT_TIMEOUT);

  it('builds a small release kernel that boots', () => {
    const build = cargo(directory, ['build', '--release'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(build.status, build.output).toBe(0);
    expect(build.output).not.toMatch(/^warning/m);
    // About 42 KB measured with symbols; a kernel this small should stay well below 128 KiB.
    expect(statSync(kernelElf(targetDirectory, NAME, 'release')).size).toBeLessThan(128 * 1024);
    const boot = cargo(directory, ['run', '--release', '--', '--direct'], { targetDirectory, timeoutMs: BOOT_TIMEOUT });
    expect(boot.status, boot.output).toBe(0);
    expect(boot.output).toMatch(/^\[kernel\] boot complete$/m);
  }, BUILD_TIMEOUT);

  it('passes its in-kernel tests as a release build too (cargo test --release)', () => {
    // Runs after the release build above, so `core` is built already. `panic = "abort"` in
    // [profile.release] made this fail to compile (E0152); optimised, a leaked allocation nobody
    // reads may be removed, which made the heap exhaustion test an endless loop.
    const test = cargo(directory, ['test', '--release'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(test.status, test.output).toBe(0);
    expect(test.output).toMatch(/Finished `release` profile/);
    // Every test binary ran and passed: one `test result: ok.` per `Running`.
    const binaries = test.output.match(/^\s+Running tests\/\w+\.rs /gm) ?? [];
    expect(binaries.length).toBeGreaterThanOrEqual(10);
    expect(test.output.match(/^test result: ok\. /gm)).toHaveLength(binaries.length);
    expect(test.output).toMatch(/^test heap_exhaustion_panics \.\.\. ok <\d+\.\d{3}s> \(panicked as expected: memory allocation of \d+ bytes failed\)$/m);
    expect(test.output).toMatch(/^test double_free_panics \.\.\. ok <\d+\.\d{3}s> \(panicked as expected: double free of the heap block at 0x[0-9a-f]+\)$/m);
  }, BUILD_TIMEOUT);
});

describe('a generated kernel that goes wrong', () => {
  // Each test breaks a fresh project of its own, so that each stands alone (`-t` runs one); they
  // share the target directory, so only the kernel crate is rebuilt.
  const freshProject = () => generate({ name: NAME }).directory;
  const BOOT_COMPLETE = 'println!("[kernel] boot complete");';

  it('fails cargo test when a test fails, naming the test, the message and the location', () => {
    const broken = freshProject();
    appendSource(broken, 'tests/kernel.rs', '\nkernel_test! {\n    fn deliberately_failing() {\n        assert_eq!(1 + 1, 3, "arithmetic is broken");\n    }\n}\n');
    const test = cargo(broken, ['test', '--test', 'kernel'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(test.status).not.toBe(0);
    expect(test.output).toMatch(/^test deliberately_failing \.\.\. FAILED <\d+\.\d{3}s>$/m);
    expect(test.output).toMatch(/^panicked at tests\/kernel\.rs:\d+:\d+: assertion `left == right` failed: arithmetic is broken$/m);
    expect(test.output).toMatch(/^test result: FAILED\. 13 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in \d+\.\d{2}s$/m);
  }, BUILD_TIMEOUT);

  it('reports a panic with its message and location, and exits non-zero', () => {
    const broken = freshProject();
    replaceInSource(broken, 'src/main.rs', BOOT_COMPLETE, 'panic!("deliberate panic in kernel_main");');
    const boot = cargo(broken, ['run', '--', '--direct'], { targetDirectory, timeoutMs: BOOT_TIMEOUT });
    expect(boot.status).not.toBe(0);
    expect(boot.output).toMatch(/^panicked at src\/main\.rs:\d+:\d+: deliberate panic in kernel_main$/m);
    expect(boot.output).toMatch(/^runner: the kernel reported failure$/m);
  }, BUILD_TIMEOUT);

  it('counts a triple fault, which QEMU reports as status 0, as a failure', () => {
    const broken = freshProject();
    replaceInSource(
      broken,
      'src/main.rs',
      BOOT_COMPLETE,
      // An IDT with limit 0 has no gates: #UD cannot be delivered (#GP), nor can that (#DF), and a
      // double fault that cannot be delivered is a triple fault (Intel SDM Vol. 3A §6.15, vector 8).
      '// SAFETY: deliberately invalid: an empty IDT turns #UD into a triple fault.\n    unsafe { core::arch::asm!("push 0", "push 0", "lidt [rsp]", "ud2") };',
    );
    const boot = cargo(broken, ['run', '--', '--direct'], { targetDirectory, timeoutMs: BOOT_TIMEOUT });
    expect(boot.status).not.toBe(0);
    expect(boot.output).toMatch(/^runner: QEMU exited with status 0: the guest reset or triple-faulted/m);
    expect(QEMU.successStatus).not.toBe(0);
  }, BUILD_TIMEOUT);

  it('stops a kernel that hangs after TIMEOUT seconds and fails', () => {
    const broken = freshProject();
    replaceInSource(
      broken,
      'src/main.rs',
      BOOT_COMPLETE,
      'loop {\n        core::hint::spin_loop();\n    }',
    );
    const boot = cargo(broken, ['run', '--', '--direct'], { targetDirectory, env: { TIMEOUT: '3' }, timeoutMs: BOOT_TIMEOUT });
    expect(boot.status).not.toBe(0);
    expect(boot.output).toMatch(/^runner: timed out after 3s/m);
  }, BUILD_TIMEOUT);
});
