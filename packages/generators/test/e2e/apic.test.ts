/**
 * The `apic` module end to end (issue 14): a default (multiboot2) kernel with `apic` added (and
 * `acpi` and `memory`, which it needs), its in-kernel tests (tests/apic.rs) on QEMU's i440fx (`pc`)
 * and q35 machines, and its boot lines through GRUB on BIOS and UEFI.
 *
 * x2APIC: the preset's CPU model (qemu64 plus the preset's features) has no x2APIC, so those runs
 * drive the local APIC through its MMIO page. One more run asks QEMU for `+x2apic`. QEMU's TCG
 * offers it from QEMU 8.1 on; 7.2 (Debian 12) drops the bit with the warning "TCG doesn't support
 * requested feature: CPUID.01H:ECX.x2apic" (target/i386/cpu.c, `mark_unavailable_features`), and
 * then the kernel must stay in xAPIC mode. Either way the in-kernel tests pass and check that the
 * mode is the one CPUID.01H:ECX[21] allows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { findPreset, qemuCpuModel } from '@baremetal-kernel/target';
import { addModules, cacheDirectory, cargo, generate } from './support.js';

const NAME = 'e2e-apic';
const BUILD_TIMEOUT = 300_000;
/** GRUB's ISO boot on OVMF takes the longest: well under a minute on an idle 2-core machine. */
const BOOT_TIMEOUT = 150_000;
/** QEMU 7.2's words when its TCG cannot give the guest x2APIC. */
const NO_TCG_X2APIC = /TCG doesn't support requested feature: CPUID\.01H:ECX\.x2apic/;

/**
 * The mode the kernel's line names: `[apic] local APIC in xAPIC mode, id 0, ...` (in a test
 * kernel it follows the name of the test that set the APIC up, on the same line).
 */
function apicMode(output: string): string | undefined {
  return /\[apic\] local APIC in (x2?APIC) mode, id \d+, at 0xfee00000; legacy PICs masked$/m.exec(output)?.[1];
}

function expectApicTestsPass(output: string) {
  expect(output).not.toMatch(/FAILED/);
  expect(output).toMatch(/^test result: ok\. \d+ passed; 0 failed/m);
}

describe('apic: the local APIC, its timer and the I/O APIC on QEMU', () => {
  let directory: string;
  let targetDirectory: string;
  let cpuModel: string;

  beforeAll(() => {
    ({ directory } = generate({ name: NAME }));
    addModules(directory, ['apic']);
    // Shared with modules.test.ts: `core` is built once for every module kernel.
    targetDirectory = cacheDirectory('e2e-modules-multiboot2-system-baseline');
    cpuModel = qemuCpuModel(findPreset('baseline')!);
    const build = cargo(directory, ['test', '--test', 'apic', '--no-run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(build.status, build.output).toBe(0);
  }, BUILD_TIMEOUT);

  it('passes its in-kernel tests on the i440fx machine, in xAPIC mode', () => {
    const { status, output } = cargo(directory, ['test', '--test', 'apic'], { targetDirectory, timeoutMs: BOOT_TIMEOUT });
    expect(status, output).toBe(0);
    expectApicTestsPass(output);
    expect(apicMode(output), output).toBe('xAPIC');
    // QEMU's override moves IRQ 0 to GSI 2 (hw/i386/acpi-common.c, build_madt).
    expect(output).toMatch(/^\[apic\] I\/O APIC 0 at 0xfec00000: GSI 0-23, ISA IRQs at vectors 48-63; IRQ 0 is GSI 2$/m);
  }, BOOT_TIMEOUT);

  it('passes its in-kernel tests on the q35 machine', () => {
    const env = { QEMU_EXTRA_ARGS: '-machine q35' };
    const { status, output } = cargo(directory, ['test', '--test', 'apic'], { targetDirectory, env, timeoutMs: BOOT_TIMEOUT });
    expect(status, output).toBe(0);
    expectApicTestsPass(output);
    expect(apicMode(output), output).toBe('xAPIC');
  }, BOOT_TIMEOUT);

  it('uses x2APIC exactly when QEMU gives the CPU x2APIC', () => {
    const env = { QEMU_CPU: `${cpuModel},+x2apic` };
    const { status, output } = cargo(directory, ['test', '--test', 'apic'], { targetDirectory, env, timeoutMs: BOOT_TIMEOUT });
    expect(status, output).toBe(0);
    expectApicTestsPass(output);
    expect(apicMode(output), output).toBe(NO_TCG_X2APIC.test(output) ? 'xAPIC' : 'x2APIC');
  }, BOOT_TIMEOUT);

  for (const path of [
    { name: 'GRUB on BIOS', args: [] },
    { name: 'GRUB on UEFI', args: ['--', '--uefi'] },
  ]) {
    it(`boots through ${path.name} with the APIC set up`, () => {
      const { status, output } = cargo(directory, ['run', ...path.args], { targetDirectory, timeoutMs: BOOT_TIMEOUT });
      expect(status, output).toBe(0);
      expect(apicMode(output), output).toBe('xAPIC');
      // The calibrated timer: QEMU's APIC clock is 1 GHz (hw/intc/apic_common.c, apic_next_timer),
      // 62 500 000 counts a second divided by 16; the PIT finds that within 3% (a loaded host holds
      // the emulator up during the calibration's windows, which makes them long: 1.4% seen).
      const timer = /^\[apic\] timer: (\d+) counts\/s \(divide by 16\), \d+ counts a tick, 1000 Hz on vector 0xec$/m.exec(output);
      expect(timer, output).not.toBeNull();
      expect(Math.abs(Number(timer![1]) - 62_500_000)).toBeLessThanOrEqual(1_875_000);
      expect(output).toMatch(/^\[kernel\] boot complete$/m);
    }, BOOT_TIMEOUT);
  }
});
