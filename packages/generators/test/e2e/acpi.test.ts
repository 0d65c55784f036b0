/**
 * The `acpi` module end to end (issue 14): a default (multiboot2) kernel with `acpi` added, its
 * in-kernel tests (tests/acpi.rs) and its boot line on both chipsets QEMU emulates, i440fx (`pc`,
 * the default) and q35, through each way the kernel boots: PVH direct boot and GRUB on SeaBIOS
 * (QEMU's own RSDP: revision 0, an RSDT) and GRUB on OVMF where OVMF is installed (EDK2's
 * AcpiTableDxe publishes a revision 2 RSDP with an XSDT). The tables are QEMU's whatever the
 * firmware: hw/i386/acpi-build.c builds the FADT, the DSDT, the MADT (hw/i386/acpi-common.c:
 * one I/O APIC, the IRQ 0 -> GSI 2 override and IRQs 5, 9, 10, 11 as PCI interrupts, so 5
 * overrides), the HPET table (QEMU's PCs have an HPET by default) and, on q35 only, the MCFG
 * (acpi_get_mcfg finds PCIe's ECAM only on q35's host bridge).
 *
 * The CPU count is given here (`-smp N`) and checked twice: the in-kernel tests compare the
 * MADT's enabled local APICs with QEMU's fw_cfg count, and the boot line must say N CPUs.
 * `-smp 2,maxcpus=4` adds two possible CPUs, which the MADT lists disabled (acpi-common.c,
 * pc_madt_cpu_entry). On a Limine kernel the module builds clippy-clean; its tests boot only
 * where LIMINE_DIR names a Limine release.
 */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OVMF_FIRMWARE_LOCATIONS } from '@baremetal-kernel/target';
import { addModules, cacheDirectory, cargo, generate } from './support.js';

const NAME = 'e2e-acpi';
/** A cold build (`core` compiled with build-std) on an idle 2-core machine takes about 2 minutes. */
const BUILD_TIMEOUT = 600_000;
/** One test run and one boot; GRUB on OVMF is the slowest path, under a minute on an idle machine. */
const BOOT_TIMEOUT = 300_000;

const HAS_OVMF = Boolean(process.env.OVMF_CODE) || OVMF_FIRMWARE_LOCATIONS.some((location) => existsSync(location.code));

const MACHINES = [
  { machine: 'pc', qemuArgs: '', hasMcfg: false },
  { machine: 'q35', qemuArgs: '-machine q35', hasMcfg: true },
];
const PATHS = [
  { path: 'PVH direct boot', args: ['--direct'], root: 'RSDT', acpi: '1.0' },
  { path: 'GRUB on BIOS', args: ['--bios'], root: 'RSDT', acpi: '1.0' },
  ...(HAS_OVMF ? [{ path: 'GRUB on UEFI', args: ['--uefi'], root: 'XSDT', acpi: '2.0+' }] : []),
];
const CASES = MACHINES.flatMap((machine) => PATHS.map((path) => ({ ...machine, ...path })));

/** The boot line of `[acpi]`, read into its parts. */
function acpiLine(output: string) {
  const match =
    /^\[acpi\] ACPI (\S+) \(RSDP revision (\d+) at 0x[0-9a-f]+, OEM [^)]*\), (RSDT|XSDT) at 0x[0-9a-f]+, tables: ([A-Z0-9 ]+); MADT: (\d+) CPUs?, (\d+) I\/O APICs?, (\d+) interrupt overrides?$/m.exec(
      output,
    );
  expect(match, output).not.toBeNull();
  const [, acpi, revision, root, tables, cpus, ioApics, overrides] = match!;
  return { acpi, revision: Number(revision), root, tables: tables!.split(' '), cpus: Number(cpus), ioApics: Number(ioApics), overrides: Number(overrides) };
}

function expectTestsPass(status: number | null, output: string) {
  expect(status, output).toBe(0);
  expect(output).not.toMatch(/FAILED/);
  const result = /^test result: ok\. (\d+) passed; 0 failed/m.exec(output);
  expect(result, output).not.toBeNull();
  expect(Number(result![1])).toBeGreaterThan(0);
}

describe('acpi: QEMU\'s tables on i440fx and q35, on every boot path', () => {
  let directory: string;
  let targetDirectory: string;

  beforeAll(() => {
    ({ directory } = generate({ name: NAME }));
    addModules(directory, ['acpi']);
    targetDirectory = cacheDirectory('e2e-modules-multiboot2-system-baseline');
    const build = cargo(directory, ['test', '--test', 'acpi', '--no-run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(build.status, build.output).toBe(0);
  }, BUILD_TIMEOUT);

  it.each(CASES)('$machine through $path: the in-kernel tests pass with 2 CPUs, and the boot line lists the tables', ({ qemuArgs, args, root, acpi, hasMcfg }) => {
    const tests = cargo(directory, ['test', '--test', 'acpi', '--', ...args], {
      targetDirectory,
      env: { QEMU_EXTRA_ARGS: `${qemuArgs} -smp 2` },
      timeoutMs: BOOT_TIMEOUT,
    });
    expectTestsPass(tests.status, tests.output);

    const boot = cargo(directory, ['run', '--', ...args], { targetDirectory, env: { QEMU_EXTRA_ARGS: `${qemuArgs} -smp 3` }, timeoutMs: BOOT_TIMEOUT });
    expect(boot.status, boot.output).toBe(0);
    const line = acpiLine(boot.output);
    expect(line.acpi).toBe(acpi);
    expect(line.root).toBe(root);
    expect(line.revision).toBe(root === 'XSDT' ? 2 : 0);
    for (const table of ['FACP', 'APIC', 'HPET', 'DSDT']) expect(line.tables).toContain(table);
    expect(line.tables.includes('MCFG')).toBe(hasMcfg);
    expect(line.cpus).toBe(3);
    expect(line.ioApics).toBe(1);
    expect(line.overrides).toBe(5);
    expect(boot.output).toMatch(/^\[kernel\] boot complete$/m);
  }, 2 * BOOT_TIMEOUT);

  it('lists possible CPUs that are not present as disabled: -smp 2,maxcpus=4', () => {
    const env = { QEMU_EXTRA_ARGS: '-smp 2,maxcpus=4' };
    const tests = cargo(directory, ['test', '--test', 'acpi'], { targetDirectory, env, timeoutMs: BOOT_TIMEOUT });
    expectTestsPass(tests.status, tests.output);
    const boot = cargo(directory, ['run', '--', '--direct'], { targetDirectory, env, timeoutMs: BOOT_TIMEOUT });
    expect(boot.status, boot.output).toBe(0);
    expect(acpiLine(boot.output).cpus).toBe(2);
  }, 2 * BOOT_TIMEOUT);
});

describe('acpi on a Limine kernel', () => {
  it('builds clippy-clean with its tests (they boot where LIMINE_DIR is set)', () => {
    const { directory } = generate({ name: `${NAME}-limine`, boot: 'limine' });
    addModules(directory, ['acpi']);
    const targetDirectory = cacheDirectory('e2e-modules-limine-system-baseline');
    const clippy = cargo(directory, ['clippy', '--all-targets', '--', '-D', 'warnings'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(clippy.status, clippy.output).toBe(0);
    const tests = cargo(directory, ['test', '--test', 'acpi', ...(process.env.LIMINE_DIR ? [] : ['--no-run'])], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(tests.status, tests.output).toBe(0);
    if (process.env.LIMINE_DIR) expectTestsPass(tests.status, tests.output);
  }, 2 * BUILD_TIMEOUT);
});
