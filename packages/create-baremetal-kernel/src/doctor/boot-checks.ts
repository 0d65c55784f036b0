import { OVMF_FIRMWARE_LOCATIONS } from '@baremetal-kernel/target';
import { absent, ok, ONLY_FOR_DEBUGGING, ONLY_FOR_LIMINE, ONLY_FOR_UEFI, type Check } from './check.js';
import { versionLine, type DoctorMachine, type DoctorProbe } from './machine.js';
import { installFix, type HostRequirement } from './packages.js';
import type { PackageManager } from './platform.js';

/** QEMU boots every kernel (`cargo run`, `cargo test`); its version line says which QEMU it is. */
export function checkQemu(probe: DoctorProbe, manager: PackageManager | undefined): Check {
  const command = 'qemu-system-x86_64';
  const fix = [installFix(manager, 'qemu')];
  const path = probe.which(command);
  if (path === undefined) return absent(command, 'not found', fix, true);
  const firstLine = versionLine(probe, command);
  if (!firstLine) return absent(command, `at ${path} fails \`${command} --version\``, fix, true);
  return ok(command, `${firstLine} (${path})`);
}

/** A tool the runner calls by name: found in PATH or not. */
export function checkCommand(
  probe: DoctorProbe,
  manager: PackageManager | undefined,
  command: string,
  requirement: HostRequirement,
  name = command,
): Check {
  const path = probe.which(command);
  if (path !== undefined) return ok(name, path);
  return absent(name, 'not found', [installFix(manager, requirement)], true);
}

/** Homebrew's coreutils caveat: its GNU tools go by their own names in this directory. */
const HOMEBREW_GNUBIN_PATH = 'export PATH="$(brew --prefix)/opt/coreutils/libexec/gnubin:$PATH"';

/**
 * The runner bounds each boot with GNU `timeout`. macOS has none; Homebrew's coreutils installs it
 * as `gtimeout`, and as `timeout` only in its gnubin directory.
 */
export function checkTimeout(probe: DoctorProbe, manager: PackageManager | undefined): Check {
  const name = 'timeout (coreutils)';
  const path = probe.which('timeout');
  if (path !== undefined) return ok(name, path);
  const gtimeout = probe.which('gtimeout');
  if (gtimeout !== undefined) {
    return absent(name, `not found, but ${gtimeout} is: put coreutils' gnubin first in PATH`, [HOMEBREW_GNUBIN_PATH], true);
  }
  const fix = [installFix(manager, 'timeout'), ...(manager === 'brew' ? [HOMEBREW_GNUBIN_PATH] : [])];
  return absent(name, 'not found', fix, true);
}

/** UEFI firmware for `cargo run -- --uefi`: `$OVMF_CODE`, else the runner's list of locations. */
export function checkOvmf(machine: DoctorMachine, manager: PackageManager | undefined): Check {
  const { probe, ovmfCodeOverride } = machine;
  if (ovmfCodeOverride !== undefined && ovmfCodeOverride !== '') {
    if (probe.isFile(ovmfCodeOverride)) return ok('OVMF', `${ovmfCodeOverride} (OVMF_CODE)`, false);
    return absent('OVMF', `OVMF_CODE=${ovmfCodeOverride} does not exist; ${ONLY_FOR_UEFI}`, ['unset OVMF_CODE'], false);
  }
  const found = OVMF_FIRMWARE_LOCATIONS.find((location) => probe.isFile(location.code));
  if (found === undefined) return absent('OVMF', `not found; ${ONLY_FOR_UEFI}`, [installFix(manager, 'ovmf')], false);
  const vars = found.vars !== undefined && probe.isFile(found.vars) ? ` with ${found.vars}` : '';
  return ok('OVMF', `${found.code}${vars}`, false);
}

/** GDB, to attach to QEMU's GDB stub with the project's kernel.gdb; Homebrew calls it x86_64-elf-gdb. */
export function checkGdb(probe: DoctorProbe, manager: PackageManager | undefined): Check {
  const path = probe.which('gdb') ?? probe.which('x86_64-elf-gdb');
  if (path !== undefined) return ok('gdb', path, false);
  return absent('gdb', `not found; ${ONLY_FOR_DEBUGGING}`, [installFix(manager, 'gdb')], false);
}

/** A tool only the Limine runner calls: found in PATH, or a warning with its reason. */
export function checkLimineTool(
  probe: DoctorProbe,
  manager: PackageManager | undefined,
  commands: readonly string[],
  requirement: HostRequirement,
): Check {
  const name = commands[0]!;
  const path = commands.map((command) => probe.which(command)).find((found) => found !== undefined);
  if (path !== undefined) return ok(name, path, false);
  return absent(name, `not found; ${ONLY_FOR_LIMINE}`, [installFix(manager, requirement)], false);
}
