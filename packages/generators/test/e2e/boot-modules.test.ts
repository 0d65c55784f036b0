/**
 * Boot modules on a default (multiboot2) kernel: QEMU's `-initrd` under PVH direct boot arrives as a
 * PVH module (hvm_start_info.modlist_paddr), which the kernel lists in its boot summary and keeps
 * out of usable memory, so the heap and page tables never overwrite it.
 *
 * GRUB's `module2` (Multiboot2 §3.6.6, tag 3) the same, on SeaBIOS: the runner's grub.cfg loads no
 * modules, so these tests make their own ISO with grub-mkrescue, as the runner does.
 *
 * The module is 20 MiB of a known pattern in a 32 MiB machine (48 MiB for GRUB): QEMU loads it at
 * the top of RAM and GRUB right after the kernel, both within reach of the 16 MiB heap (src/allocator.rs,
 * HEAP_MAX_SIZE) if its memory counted as usable. tests/boot_modules.rs then fills the whole heap
 * and checks every byte of the module.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QEMU, findPreset, qemuCommonArgs } from '@baremetal-kernel/target';
import { beforeAll, describe, expect, it } from 'vitest';
import { cacheDirectory, cargo, generate, kernelElf, plainText, run, type CommandOutcome } from './support.js';

const NAME = 'modules-os';
const targetDirectory = cacheDirectory('e2e-multiboot2-system-baseline');

const BUILD_TIMEOUT = 300_000;
const RUN_TIMEOUT = 180_000;
const MIB = 2 ** 20;
/** src/allocator.rs: HEAP_MAX_SIZE. */
const HEAP_MAX_SIZE = 16 * MIB;
const MODULE_SIZE = 20 * MIB;
/** tests/boot_modules.rs: byte `i` of the module is `i % 251`. */
const MODULE_PATTERN = 251;

/** RAM for PVH; GRUB needs more to read a 20 MiB file (in 32 MiB it boots without the module). */
const PVH_MEMORY = '32M';
const GRUB_MEMORY = '48M';
/** The string GRUB passes with the module (the words after the file name on the module2 line). */
const MODULE_COMMAND_LINE = 'pattern-module';

let directory: string;
let modulePath: string;
let env: Record<string, string>;
let testKernel: string;

beforeAll(() => {
  directory = generate({ name: NAME }).directory;
  modulePath = join(mkdtempSync(join(tmpdir(), 'boot-module-')), 'module.bin');
  const bytes = Buffer.alloc(MODULE_SIZE);
  for (let i = 0; i < MODULE_SIZE; i++) bytes[i] = i % MODULE_PATTERN;
  writeFileSync(modulePath, bytes);
  // The runner splits QEMU_EXTRA_ARGS at whitespace: the temporary path has none.
  expect(modulePath).not.toMatch(/\s/);
  env = { QEMU_MEMORY: PVH_MEMORY, QEMU_EXTRA_ARGS: `-initrd ${modulePath}` };
  const build = cargo(directory, ['build'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
  expect(build.status, build.output).toBe(0);
  const tests = cargo(directory, ['test', '--test', 'boot_modules', '--no-run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
  expect(tests.status, tests.output).toBe(0);
  testKernel = /Executable tests\/boot_modules\.rs \((\S+)\)/.exec(tests.output)![1]!;
}, BUILD_TIMEOUT);

/** Boots `elf` from a GRUB ISO on SeaBIOS with the module loaded by `module2`. */
function bootWithGrub(elf: string, commandLine: string): CommandOutcome {
  const staging = mkdtempSync(join(tmpdir(), 'grub-module-'));
  mkdirSync(join(staging, 'iso', 'boot', 'grub'), { recursive: true });
  copyFileSync(elf, join(staging, 'iso', 'boot', 'kernel.elf'));
  copyFileSync(modulePath, join(staging, 'iso', 'boot', 'module.bin'));
  writeFileSync(
    join(staging, 'iso', 'boot', 'grub', 'grub.cfg'),
    [
      'set timeout=0',
      'menuentry "kernel with a module" {',
      `    multiboot2 /boot/kernel.elf ${commandLine}`,
      `    module2 /boot/module.bin ${MODULE_COMMAND_LINE}`,
      '    boot',
      '}',
      '',
    ].join('\n'),
  );
  const iso = join(staging, 'kernel.iso');
  const mkrescue = run('grub-mkrescue', ['-o', iso, join(staging, 'iso')]);
  expect(mkrescue.status, mkrescue.output).toBe(0);
  const args = qemuCommonArgs(findPreset('baseline')!);
  args[args.indexOf('-m') + 1] = GRUB_MEMORY;
  const qemu = spawnSync(QEMU.binary, [...args, '-cdrom', iso], { encoding: 'utf8', timeout: RUN_TIMEOUT - 30_000 });
  if (qemu.error) throw qemu.error;
  return { status: qemu.status, output: plainText(`${qemu.stdout}${qemu.stderr}`) };
}

/** The `[memory]   0x... - 0x... kind` lines (addresses below 2^53 here). */
function memoryMap(output: string) {
  return [...output.matchAll(/^\[memory\] {3}(0x[0-9a-f]+) - (0x[0-9a-f]+) (.+)$/gm)].map((match) => ({
    start: Number(match[1]),
    end: Number(match[2]),
    kind: match[3]!,
  }));
}

/**
 * The boot summary of a kernel booted with the module: one `[modules]` line with the module's size
 * and command line, exactly its bytes as "boot module" memory, and the heap elsewhere.
 */
function expectModuleOutsideHeap(output: string, commandLine: string) {
  expect(output).toMatch(/^\[kernel\] boot complete$/m);
  const modules = [...output.matchAll(/^\[modules\] (0x[0-9a-f]+) - (0x[0-9a-f]+) (\d+) bytes, command line "(.*)"$/gm)];
  expect(modules, output).toHaveLength(1);
  const [, startText, endText, sizeText, moduleCommandLine] = modules[0]!;
  const start = Number(startText);
  const end = Number(endText);
  expect(Number(sizeText)).toBe(MODULE_SIZE);
  expect(end - start).toBe(MODULE_SIZE);
  expect(moduleCommandLine).toBe(commandLine);

  // Exactly the module's bytes have their own kind in the map.
  const marked = memoryMap(output).filter((region) => region.kind === 'boot module');
  expect(marked, output).toEqual([{ start, end, kind: 'boot module' }]);

  const heap = /^\[heap\] (\d+) KiB at (0x[0-9a-f]+)$/m.exec(output);
  expect(heap, output).not.toBeNull();
  const heapStart = Number(heap![2]);
  const heapEnd = heapStart + Number(heap![1]) * 1024;
  expect(heapEnd <= start || heapStart >= end, output).toBe(true);
  // The setup means something: the lowest usable memory above 1 MiB, where the heap went before
  // modules had a kind of their own, is within a full-size heap of the module.
  const lowest = Math.min(...memoryMap(output).filter((region) => region.kind === 'usable' && region.start >= MIB).map((region) => region.start));
  expect(start, output).toBeLessThan(lowest + HEAP_MAX_SIZE);
}

const SUITE = [
  'boot_module_is_intact_after_the_heap_is_full',
  'multiboot2_module_tags_become_modules_outside_usable_memory',
  'pvh_modules_become_modules_outside_usable_memory',
];

function expectModuleSuitePasses(output: string) {
  for (const name of SUITE) expect(output).toMatch(new RegExp(`^test ${name} \\.\\.\\. ok `, 'm'));
  expect(output).toMatch(/^test result: ok\. 3 passed; 0 failed; 0 ignored;/m);
}

describe('a boot module (QEMU -initrd, PVH direct boot)', () => {
  it('is listed in the boot summary, as "boot module" memory, outside the heap', () => {
    const boot = cargo(directory, ['run', '--', '--direct'], { targetDirectory, env, timeoutMs: RUN_TIMEOUT });
    expect(boot.status, boot.output).toBe(0);
    // QEMU passes no command line with an initrd (cmdline_paddr 0).
    expectModuleOutsideHeap(boot.output, '');
  }, RUN_TIMEOUT);

  it('survives a heap filled to the last byte (tests/boot_modules.rs, with its ignored test)', () => {
    const run = cargo(directory, ['test', '--test', 'boot_modules', '--', '--include-ignored'], {
      targetDirectory,
      env,
      timeoutMs: RUN_TIMEOUT,
    });
    expect(run.status, run.output).toBe(0);
    expectModuleSuitePasses(run.output);
  }, RUN_TIMEOUT);

  it('without a module, the boot summary says so and the module test asks for one', () => {
    const boot = cargo(directory, ['run', '--', '--direct'], { targetDirectory, timeoutMs: RUN_TIMEOUT });
    expect(boot.status, boot.output).toBe(0);
    expect(boot.output).toMatch(/^\[modules\] none$/m);
    expect(memoryMap(boot.output).some((region) => region.kind === 'boot module')).toBe(false);

    const run = cargo(directory, ['test', '--test', 'boot_modules', '--', '--ignored'], { targetDirectory, timeoutMs: RUN_TIMEOUT });
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/no boot module: run with QEMU_EXTRA_ARGS='-initrd FILE'/);
  }, RUN_TIMEOUT);
});

describe('a boot module (GRUB module2 on SeaBIOS)', () => {
  it('is listed in the boot summary with its command line, as "boot module" memory, outside the heap', () => {
    const boot = bootWithGrub(kernelElf(targetDirectory, NAME), 'exit-after-boot');
    expect(boot.status, boot.output).toBe(QEMU.successStatus);
    expect(boot.output).toMatch(/^\[boot\] loader: GRUB /m);
    expectModuleOutsideHeap(boot.output, MODULE_COMMAND_LINE);
  }, RUN_TIMEOUT);

  it('survives a heap filled to the last byte (tests/boot_modules.rs, with its ignored test)', () => {
    const boot = bootWithGrub(testKernel, '--include-ignored');
    expect(boot.status, boot.output).toBe(QEMU.successStatus);
    expectModuleSuitePasses(boot.output);
  }, RUN_TIMEOUT);
});
