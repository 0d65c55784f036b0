/**
 * A default (multiboot2) kernel with more RAM than fits below 4 GiB, on every boot path: the
 * kernel maps all of it (src/memory/), so the heap may lie above 4 GiB and the in-kernel tests
 * (tests/memory.rs among them) pass.
 *
 * QEMU's PC machine puts at most 3 GiB of RAM below 4 GiB when the guest has this much (the rest
 * of that space is the PCI hole) and the remainder at 4 GiB and up, so with 8 GiB or 16 GiB the
 * largest usable region starts at 4 GiB, as on most real PCs with 8 GiB or more.
 *
 * Limine kernels run the same checks where a real Limine release is at hand (LIMINE_DIR).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cacheDirectory, cargo, generate } from './support.js';

const NAME = 'e2e-memory';

const BUILD_TIMEOUT = 300_000;
const BOOT_TIMEOUT = 120_000;
const GIB = 2 ** 30;

/** 16G is the most QEMU can reserve on our 24 GiB machines. */
const MEMORY_SIZES = [
  { qemu: '8G', bytes: 8 * GIB },
  { qemu: '16G', bytes: 16 * GIB },
] as const;

const PATHS = [
  { name: 'PVH direct boot', args: ['--', '--direct'] },
  { name: 'GRUB on BIOS', args: [] },
  { name: 'GRUB on UEFI', args: ['--', '--uefi'] },
] as const;

interface Region {
  readonly start: number;
  readonly end: number;
  readonly kind: string;
}

/** The `[memory]   0x... - 0x... kind` lines of the boot summary (addresses fit a double: < 2^53). */
function memoryMap(output: string): Region[] {
  return [...output.matchAll(/^\[memory\] {3}(0x[0-9a-f]+) - (0x[0-9a-f]+) (.+)$/gm)].map((match) => ({
    start: Number(match[1]),
    end: Number(match[2]),
    kind: match[3]!,
  }));
}

/** The boot summary's usable total, memory map and heap (physical addresses). */
function bootSummary(output: string) {
  const usableMiB = Number(/^\[memory\] \d+ regions, (\d+) MiB usable$/m.exec(output)![1]);
  const offset = /^\[boot\] kernel at .*; physical memory at virtual \+ (0x[0-9a-f]+)$/m.exec(output);
  const heap = /^\[heap\] (\d+) KiB at (0x[0-9a-f]+)$/m.exec(output);
  expect(offset, output).not.toBeNull();
  expect(heap, output).not.toBeNull();
  // The heap line gives a virtual address, physical + offset (0 where identity mapped). Limine's
  // HHDM offset is above 2^53, where a double loses bits: subtract in bigints.
  const heapStart = Number(BigInt(heap![2]!) - BigInt(offset![1]!));
  return { usableMiB, regions: memoryMap(output), heapStart, heapEnd: heapStart + Number(heap![1]) * 1024 };
}

/** What every boot with `bytes` of RAM must show: all of it usable, the heap in the largest region. */
function expectHeapInLargestRegion(output: string, bytes: number) {
  const { usableMiB, regions, heapStart, heapEnd } = bootSummary(output);
  // The firmware keeps a little; the kernel reports (nearly) all of it.
  expect(usableMiB).toBeGreaterThan((bytes / 2 ** 20) * 0.95);
  expect(usableMiB).toBeLessThanOrEqual(bytes / 2 ** 20);
  const usable = regions.filter((region) => region.kind === 'usable');
  const largest = usable.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
  expect(largest.start, output).toBeGreaterThanOrEqual(4 * GIB);
  expect(heapStart, output).toBeGreaterThanOrEqual(largest.start);
  expect(heapEnd, output).toBeLessThanOrEqual(largest.end);
  // Frames memory::init took for page tables are listed as such, outside the heap.
  for (const table of regions.filter((region) => region.kind === 'page tables')) {
    expect(table.end <= heapStart || table.start >= heapEnd, output).toBe(true);
  }
  return regions;
}

function expectMemoryTestsPass(output: string) {
  expect(output).not.toMatch(/FAILED/);
  for (const name of [
    'last_byte_of_every_usable_region_is_writable',
    'heap_lies_in_mapped_memory',
    'no_page_table_lies_in_the_heap',
    'page_zero_is_not_mapped',
    'stack_guard_pages_are_not_mapped',
  ]) {
    expect(output).toMatch(new RegExp(`^test ${name} \\.\\.\\. ok`, 'm'));
  }
}

describe('a default (multiboot2) kernel with more than 4 GiB of RAM', () => {
  let directory: string;
  const targetDirectory = cacheDirectory('e2e-memory-multiboot2-system-baseline');

  beforeAll(() => {
    directory = generate({ name: NAME }).directory;
    const build = cargo(directory, ['build'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(build.status, build.output).toBe(0);
  }, BUILD_TIMEOUT);

  describe.each(MEMORY_SIZES)('$qemu of RAM', ({ qemu, bytes }) => {
    it('passes its in-kernel tests (PVH), the memory tests among them', () => {
      const test = cargo(directory, ['test'], { targetDirectory, env: { QEMU_MEMORY: qemu }, timeoutMs: BUILD_TIMEOUT });
      expect(test.status, test.output).toBe(0);
      expectMemoryTestsPass(test.output);
    }, BUILD_TIMEOUT);

    it.each(PATHS)('boots through $name with the heap in the largest usable region, above 4 GiB', ({ args }) => {
      const boot = cargo(directory, ['run', ...args], { targetDirectory, env: { QEMU_MEMORY: qemu }, timeoutMs: BOOT_TIMEOUT });
      expect(boot.status, boot.output).toBe(0);
      expect(boot.output).toMatch(/^\[kernel\] boot complete$/m);
      const regions = expectHeapInLargestRegion(boot.output, bytes);
      // entry32 maps only the first 4 GiB: the rest needed new page tables.
      expect(regions.some((region) => region.kind === 'page tables'), boot.output).toBe(true);
    }, BOOT_TIMEOUT);
  });
});

// Limine's HHDM maps all usable memory already (PROTOCOL.md, base revision 3 and later); the kernel
// still must find its heap there and unmap its guard pages. Runs only where a Limine release is.
describe.skipIf(!process.env.LIMINE_DIR)('a Limine kernel with more than 4 GiB of RAM (LIMINE_DIR)', () => {
  let directory: string;
  const targetDirectory = cacheDirectory('e2e-memory-limine-system-baseline');

  beforeAll(() => {
    directory = generate({ name: NAME, boot: 'limine' }).directory;
    const build = cargo(directory, ['build'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(build.status, build.output).toBe(0);
  }, BUILD_TIMEOUT);

  describe.each(MEMORY_SIZES)('$qemu of RAM', ({ qemu, bytes }) => {
    it('passes its in-kernel tests, the memory tests among them', () => {
      const test = cargo(directory, ['test'], { targetDirectory, env: { QEMU_MEMORY: qemu }, timeoutMs: BUILD_TIMEOUT });
      expect(test.status, test.output).toBe(0);
      expectMemoryTestsPass(test.output);
    }, BUILD_TIMEOUT);

    it.each(['--bios', '--uefi'])('boots with %s with the heap in the largest usable region, above 4 GiB', (path) => {
      const boot = cargo(directory, ['run', '--', path], { targetDirectory, env: { QEMU_MEMORY: qemu }, timeoutMs: BOOT_TIMEOUT });
      expect(boot.status, boot.output).toBe(0);
      expect(boot.output).toMatch(/^\[kernel\] boot complete$/m);
      expectHeapInLargestRegion(boot.output, bytes);
    }, BOOT_TIMEOUT);
  });
});
