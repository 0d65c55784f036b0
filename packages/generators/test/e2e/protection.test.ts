/**
 * Memory protection (W^X) and the control registers, on every boot path of a default (multiboot2)
 * kernel: the in-kernel tests in tests/protection.rs write to code and to a constant, execute
 * from the stack, .data and the heap (each must page-fault with the right cause), and compare
 * CR0, CR4 and IA32_EFER with the values the boot code must write whatever the loader left (GRUB
 * on UEFI leaves CR4 = 0x668 and EFER.NXE set, PVH and GRUB on BIOS leave both clear). A CPU
 * without NX is refused with a message naming it.
 *
 * Limine kernels: the image's section bounds are checked in the ELF here; the boots run only where
 * a Limine release is at hand (LIMINE_DIR).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseElf, permissions, symbolValue, type ParsedElf } from '@baremetal-kernel/check';
import { cacheDirectory, cargo, generate, kernelElf } from './support.js';

const NAME = 'protection-os';
const BUILD_TIMEOUT = 300_000;
const BOOT_TIMEOUT = 120_000;
/** QEMU's limit for a boot that must fail in its first instructions (see presets-and-toolchains). */
const REFUSAL_BOOT_TIMEOUT_SECONDS = '20';
const PAGE_SIZE = 4096n;

const WRITE_FAULT = 'page fault (#PF, vector 14): protection violation, write, kernel mode';
const FETCH_FAULT = 'page fault (#PF, vector 14): protection violation, instruction fetch, kernel mode';
/** Each test of tests/protection.rs and the fault it must see (none: it must simply pass). */
const EXPECTED: readonly (readonly [string, string | undefined])[] = [
  ['writing_to_code_faults', WRITE_FAULT],
  ['writing_to_a_constant_faults', WRITE_FAULT],
  ['executing_from_the_stack_faults', FETCH_FAULT],
  ['executing_from_data_faults', FETCH_FAULT],
  ['executing_from_the_heap_faults', FETCH_FAULT],
  ['cr0_holds_the_known_value', undefined],
  ['cr4_holds_the_known_value', undefined],
  ['efer_enables_no_execute_pages', undefined],
];

function escape(text: string): string {
  return text.replace(/[()#.]/g, '\\$&');
}

function expectProtectionTestsPass(output: string) {
  expect(output).toMatch(/^test result: ok\. 8 passed; 0 failed;/m);
  for (const [name, fault] of EXPECTED) {
    const suffix = fault === undefined ? '$' : ` \\(faulted as expected: ${escape(fault)}\\)$`;
    expect(output, name).toMatch(new RegExp(`^test ${name} \\.\\.\\. ok <\\d+\\.\\d{3}s>${suffix}`, 'm'));
  }
}

/** The loadable segments of an ELF: virtual range and permissions (`r-x` style). */
function loadSegments(elf: ParsedElf) {
  return elf.loadSegments.map((segment) => ({
    start: segment.vaddr,
    end: segment.vaddr + segment.memsz,
    flags: permissions(segment.flags),
  }));
}

/**
 * The section bounds src/memory/mod.rs maps W^X are page aligned and in order, and they agree with
 * the ELF's own segments: all code (the only executable segments) lies in [__text_start,
 * __text_end), every writable segment in [__data_start, __kernel_end).
 */
function expectSectionBounds(path: string) {
  const elf = parseElf(readFileSync(path));
  const [kernelStart, textStart, textEnd, dataStart, kernelEnd] = [
    '__kernel_start',
    '__text_start',
    '__text_end',
    '__data_start',
    '__kernel_end',
  ].map((name) => symbolValue(elf, name)) as [bigint, bigint, bigint, bigint, bigint];
  for (const address of [kernelStart, textStart, textEnd, dataStart, kernelEnd]) expect(address % PAGE_SIZE).toBe(0n);
  expect(kernelStart <= textStart && textStart < textEnd && textEnd <= dataStart && dataStart < kernelEnd).toBe(true);
  const segments = loadSegments(elf);
  expect(segments.some((segment) => segment.flags.includes('x'))).toBe(true);
  for (const segment of segments) {
    const shown = `${segment.flags} segment ${segment.start.toString(16)}-${segment.end.toString(16)}`;
    expect(segment.start >= kernelStart && segment.end <= kernelEnd, shown).toBe(true);
    if (segment.flags.includes('x')) expect(segment.start >= textStart && segment.end <= textEnd, shown).toBe(true);
    if (segment.flags.includes('w')) expect(segment.start >= dataStart, shown).toBe(true);
  }
}

describe('a default (multiboot2) kernel', () => {
  let directory: string;
  const targetDirectory = cacheDirectory('e2e-protection-multiboot2-system-baseline');

  beforeAll(() => {
    directory = generate({ name: NAME }).directory;
    const build = cargo(directory, ['build', '--tests'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(build.status, build.output).toBe(0);
  }, BUILD_TIMEOUT);

  it('has page-aligned section bounds that hold all code and all writable data', () => {
    expectSectionBounds(kernelElf(targetDirectory, NAME));
  });

  it.each([
    { path: 'PVH direct boot', env: {} },
    { path: 'PVH direct boot with 8 GiB (the heap above 4 GiB, in memory mapped by the kernel)', env: { QEMU_MEMORY: '8G' } },
    { path: 'GRUB on BIOS', env: { BOOT: 'bios' } },
    { path: 'GRUB on UEFI', env: { BOOT: 'uefi' } },
  ])('enforces W^X and sets the control registers: $path', ({ env }) => {
    const test = cargo(directory, ['test', '--test', 'protection'], { targetDirectory, env, timeoutMs: BOOT_TIMEOUT });
    expect(test.status, test.output).toBe(0);
    expectProtectionTestsPass(test.output);
  }, BOOT_TIMEOUT);

  it.each([
    { path: 'PVH direct boot', args: ['--direct'] },
    { path: 'GRUB on UEFI', args: ['--uefi'] },
  ])('refuses a CPU without NX, naming it: $path', ({ args }) => {
    const boot = cargo(directory, ['run', '--', ...args], {
      targetDirectory,
      env: { QEMU_CPU: 'qemu64,-nx', TIMEOUT: REFUSAL_BOOT_TIMEOUT_SECONDS },
      timeoutMs: BOOT_TIMEOUT,
    });
    expect(boot.status, boot.output).not.toBe(0);
    expect(boot.output).toMatch(
      /^runner: boot failed: this kernel needs NX \(no-execute pages, CPUID 0x80000001 EDX bit 20\), which this CPU does not have/m,
    );
  }, BOOT_TIMEOUT);
});

describe('a Limine kernel', () => {
  let directory: string;
  const targetDirectory = cacheDirectory('e2e-protection-limine-system-baseline');

  beforeAll(() => {
    directory = generate({ name: NAME, boot: 'limine' }).directory;
    const build = cargo(directory, ['build', '--tests'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(build.status, build.output).toBe(0);
  }, BUILD_TIMEOUT);

  it('has page-aligned section bounds that hold all code and all writable data', () => {
    expectSectionBounds(kernelElf(targetDirectory, NAME));
  });

  it.skipIf(!process.env.LIMINE_DIR).each(['bios', 'uefi'])(
    'enforces W^X and sets the control registers: BOOT=%s (LIMINE_DIR)',
    (boot) => {
      const test = cargo(directory, ['test', '--test', 'protection'], { targetDirectory, env: { BOOT: boot }, timeoutMs: BOOT_TIMEOUT });
      expect(test.status, test.output).toBe(0);
      expectProtectionTestsPass(test.output);
    },
    BOOT_TIMEOUT,
  );
});
