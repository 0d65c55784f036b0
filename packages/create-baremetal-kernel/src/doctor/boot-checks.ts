import { OVMF_FIRMWARE_LOCATIONS, type HostRequirementKey, type PackageManager } from '@baremetal-kernel/target';
import type { BootNeed } from './boot-needs.js';
import { absentFor, ok, type Check } from './check.js';
import { checkGrubMkrescue, checkGrubPlatform, findGrub, GRUB_PLATFORMS, type GrubInstallation } from './grub-checks.js';
import { versionLine, type DoctorMachine } from './machine.js';
import { installFix } from './packages.js';

/** What every boot check may ask: the machine, its package manager, GRUB as found once. */
export interface BootCheckContext {
  readonly machine: DoctorMachine;
  readonly manager: PackageManager | undefined;
  /** grub-mkrescue and the directories it takes GRUB's platforms from, looked up on first use. */
  readonly grub: () => GrubInstallation;
}

export function bootCheckContext(machine: DoctorMachine, manager: PackageManager | undefined): BootCheckContext {
  let grub: GrubInstallation | undefined;
  return { machine, manager, grub: () => (grub ??= findGrub(machine.probe)) };
}

/** One boot requirement's line of the report. */
export type BootCheck = (context: BootCheckContext, need: BootNeed) => Check;

/**
 * The checks that need more than "is one of its programs in PATH", by requirement. Every other
 * requirement a protocol's row names is checked by {@link checkProgram}.
 */
const BOOT_CHECKS: Readonly<Partial<Record<HostRequirementKey, BootCheck>>> = {
  qemu: checkQemu,
  grubMkrescue: checkGrubMkrescue,
  grubBios: checkGrubPlatform(GRUB_PLATFORMS.bios),
  grubUefi: checkGrubPlatform(GRUB_PLATFORMS.uefi),
  timeout: checkTimeout,
  ovmf: checkOvmf,
};

/** How the report names a requirement checked by {@link checkProgram}, where not by its first program. */
const PROGRAM_LABELS: Readonly<Partial<Record<HostRequirementKey, string>>> = { mtools: 'mformat (mtools)' };

export function checkBootNeed(context: BootCheckContext, need: BootNeed): Check {
  return (BOOT_CHECKS[need.requirement.key] ?? checkProgram)(context, need);
}

/** A requirement the runner calls by name: any one of its programs found in PATH. */
export function checkProgram(context: BootCheckContext, need: BootNeed): Check {
  const { key, programs } = need.requirement;
  if (programs.length === 0) throw new Error(`doctor has no check for '${key}', which is not a program: add one to BOOT_CHECKS`);
  const name = PROGRAM_LABELS[key] ?? programs[0]!;
  const path = programs.map((program) => context.machine.probe.which(program)).find((found) => found !== undefined);
  if (path !== undefined) return ok(name, path, need.needed);
  return absentFor(name, 'not found', [installFix(context.manager, key)], need);
}

/** QEMU boots every kernel (`cargo run`, `cargo test`); its version line says which QEMU it is. */
function checkQemu(context: BootCheckContext, need: BootNeed): Check {
  const { probe } = context.machine;
  const command = need.requirement.programs[0]!;
  const fix = [installFix(context.manager, 'qemu')];
  const path = probe.which(command);
  if (path === undefined) return absentFor(command, 'not found', fix, need);
  const firstLine = versionLine(probe, command);
  if (!firstLine) return absentFor(command, `at ${path} fails \`${command} --version\``, fix, need);
  return ok(command, `${firstLine} (${path})`, need.needed);
}

/** Homebrew's coreutils caveat: its GNU tools go by their own names in this directory. */
const HOMEBREW_GNUBIN_PATH = 'export PATH="$(brew --prefix)/opt/coreutils/libexec/gnubin:$PATH"';

/**
 * The runner bounds each boot with GNU `timeout`. macOS has none; Homebrew's coreutils installs it
 * as `gtimeout`, and as `timeout` only in its gnubin directory.
 */
function checkTimeout(context: BootCheckContext, need: BootNeed): Check {
  const { probe } = context.machine;
  const name = 'timeout (coreutils)';
  const path = probe.which('timeout');
  if (path !== undefined) return ok(name, path, need.needed);
  const gtimeout = probe.which('gtimeout');
  if (gtimeout !== undefined) {
    return absentFor(name, `not found, but ${gtimeout} is: put coreutils' gnubin first in PATH`, [HOMEBREW_GNUBIN_PATH], need);
  }
  const fix = [installFix(context.manager, 'timeout'), ...(context.manager === 'brew' ? [HOMEBREW_GNUBIN_PATH] : [])];
  return absentFor(name, 'not found', fix, need);
}

/** UEFI firmware for `cargo run -- --uefi`: `$OVMF_CODE`, else the runner's list of locations. */
function checkOvmf(context: BootCheckContext, need: BootNeed): Check {
  const { probe, ovmfCodeOverride } = context.machine;
  if (ovmfCodeOverride !== undefined && ovmfCodeOverride !== '') {
    if (probe.isFile(ovmfCodeOverride)) return ok('OVMF', `${ovmfCodeOverride} (OVMF_CODE)`, need.needed);
    return absentFor('OVMF', `OVMF_CODE=${ovmfCodeOverride} does not exist`, ['unset OVMF_CODE'], need);
  }
  const found = OVMF_FIRMWARE_LOCATIONS.find((location) => probe.isFile(location.code));
  if (found === undefined) return absentFor('OVMF', 'not found', [installFix(context.manager, 'ovmf')], need);
  const vars = found.vars !== undefined && probe.isFile(found.vars) ? ` with ${found.vars}` : '';
  return ok('OVMF', `${found.code}${vars}`, need.needed);
}
