/**
 * The `smp` module end to end (issue 14): a default (multiboot2) kernel with `smp` added (and what
 * it requires: acpi, apic and theirs), booted with 1, 2 and 4 CPUs (the runner's `--smp N`) by PVH
 * direct boot and by GRUB on SeaBIOS. `cargo run` must report every CPU QEMU was given, each with
 * its own APIC ID, and the module's in-kernel tests (tests/smp.rs, tests/smp_stack_overflow.rs)
 * must pass with that many CPUs. On Limine the kernel is built and linted only: booting it needs a
 * Limine release (LIMINE_DIR), which this suite does not fetch.
 *
 * The APIC IDs expected are QEMU's, not a run's: with `-smp N` and one thread per core, QEMU gives
 * CPU n the APIC ID n (include/hw/i386/topology.h: `x86_topo_ids_from_idx` makes n the core or the
 * socket ID, and `x86_apicid_from_topo_ids` puts it in the low bits, the thread field being 0 bits
 * wide), and lists the CPUs in the MADT in that order (hw/i386/acpi-common.c, `acpi_build_madt`),
 * CPU 0 being the one that boots.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { addModules, cacheDirectory, cargo, generate } from './support.js';

const BUILD_TIMEOUT = 600_000;
/**
 * The runner's timeout for one boot (seconds). A boot with 4 emulated CPUs takes 3-6 s through GRUB
 * here; four TCG CPUs on two cores shared with other builds take several times that.
 */
const BOOT_TIMEOUT_SECONDS = 60;
/** One case is three boots (`cargo run`, two test kernels): room for each to hit the runner's timeout. */
const CASE_TIMEOUT = (3 * BOOT_TIMEOUT_SECONDS + 60) * 1000;

const CPU_COUNTS = [1, 2, 4] as const;
const PATHS = [
  ['PVH direct boot', '--direct'],
  ['GRUB on SeaBIOS', '--bios'],
] as const;
const CASES = PATHS.flatMap(([path, option]) => CPU_COUNTS.map((cpus) => [path, cpus, option] as const));

/** The `[smp] cpu N online, apic id M` lines, as [N, M] pairs in the order printed. */
function cpusOnline(output: string): [number, number][] {
  return [...output.matchAll(/^\[smp\] cpu (\d+) online, apic id (\d+)$/gm)].map((match) => [Number(match[1]), Number(match[2])]);
}

describe('smp on multiboot2: every CPU QEMU has comes up, and the in-kernel tests pass', () => {
  let directory = '';
  const targetDirectory = cacheDirectory('e2e-modules-multiboot2-system-baseline');
  const env = { TIMEOUT: String(BOOT_TIMEOUT_SECONDS) };

  beforeAll(() => {
    directory = generate({ name: 'e2e-smp' }).directory;
    addModules(directory, ['smp']);
    for (const args of [['build'], ['test', '--test', 'smp', '--test', 'smp_stack_overflow', '--no-run']]) {
      const build = cargo(directory, args, { targetDirectory, timeoutMs: BUILD_TIMEOUT });
      expect(build.status, build.output).toBe(0);
    }
  }, BUILD_TIMEOUT);

  it.each(CASES)('%s, %i CPUs: each CPU reports in with its APIC ID; tests/smp*.rs pass', (_path, cpus, option) => {
    const run = cargo(directory, ['run', '--', option, '--smp', String(cpus)], { targetDirectory, env, timeoutMs: CASE_TIMEOUT });
    expect(run.status, run.output).toBe(0);
    expect(cpusOnline(run.output), run.output).toEqual(Array.from({ length: cpus }, (_, n) => [n, n]));
    expect(run.output).toMatch(new RegExp(`^\\[smp\\] ${cpus} CPUs online `, 'm'));

    const tests = cargo(directory, ['test', '--test', 'smp', '--test', 'smp_stack_overflow', '--', option, '--smp', String(cpus)], {
      targetDirectory,
      env,
      timeoutMs: CASE_TIMEOUT,
    });
    expect(tests.status, tests.output).toBe(0);
    // tests/smp.rs: its seven tests (count, run_on, GDT/TSS/IDT, the counter, guard pages, the
    // fault reports knowing AP stacks, run_on here).
    expect(tests.output).toMatch(/^test result: ok\. 7 passed; 0 failed/m);
    expect(tests.output).toMatch(/^test spinlock_counter_loses_no_increment \.\.\. ok/m);
    if (cpus === 1) {
      expect(tests.output).toMatch(/^\[smp\] one CPU: no application processor to overflow the stack of$/m);
    } else {
      // tests/smp_stack_overflow.rs: the overflow on the last AP, caught, then where it stopped.
      expect(tests.output).toMatch(/^test ap_stack_overflow_is_caught \.\.\. ok <[\d.]+s> \(faulted as expected: kernel stack overflow/m);
      expect(tests.output).toMatch(/^test result: ok\. 2 passed; 0 failed/m);
    }
  }, CASE_TIMEOUT);
});

describe('smp on Limine: the kernel builds and is lint-clean (no Limine release here to boot it)', () => {
  it('cargo build --all-targets, cargo clippy --all-targets -D warnings and cargo fmt --check pass', () => {
    const { directory } = generate({ name: 'e2e-smp-limine', boot: 'limine' });
    addModules(directory, ['smp']);
    const targetDirectory = cacheDirectory('e2e-modules-limine-system-baseline');
    for (const args of [['build', '--all-targets'], ['clippy', '--all-targets', '--', '-D', 'warnings'], ['fmt', '--check']]) {
      const result = cargo(directory, args, { targetDirectory, timeoutMs: BUILD_TIMEOUT });
      expect(result.status, `cargo ${args.join(' ')}\n${result.output}`).toBe(0);
    }
  }, BUILD_TIMEOUT * 2);
});
