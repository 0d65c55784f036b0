import { detectToolchains, type ToolchainName } from '@baremetal-kernel/target';
import { checkCommand, checkGdb, checkLimineTool, checkOvmf, checkQemu, checkTimeout } from './boot-checks.js';
import type { Check } from './check.js';
import { checkGrub } from './grub-checks.js';
import type { DoctorMachine } from './machine.js';
import { detectPlatform, type HostPlatform } from './platform.js';
import { checkCargo, checkProfiles, checkRustc, checkRustLld } from './rust-checks.js';

export interface DoctorReport {
  readonly platform: HostPlatform;
  readonly checks: readonly Check[];
  /** What `--toolchain auto` picks, when some profile is usable. */
  readonly recommendedToolchain: ToolchainName | undefined;
  /** Nothing needed is missing: kernels build and boot (BIOS and direct). */
  readonly ready: boolean;
}

/**
 * Runs every check against `machine`: Rust first, then what booting needs, then the UEFI extras,
 * then what only Limine kernels need, then the debugger.
 */
export function diagnose(machine: DoctorMachine): DoctorReport {
  const platform = detectPlatform(machine.os, machine.osRelease);
  const manager = platform.packageManager;
  const { probe } = machine;
  const toolchains = detectToolchains(probe);
  const rustLld = checkRustLld(toolchains, probe, manager);
  const checks: Check[] = [
    checkRustc(toolchains, probe),
    checkCargo(toolchains, probe, manager),
    ...checkProfiles(toolchains, manager),
    ...(rustLld === undefined ? [] : [rustLld]),
    checkQemu(probe, manager),
    ...checkGrub(probe, manager),
    checkCommand(probe, manager, 'xorriso', 'xorriso'),
    checkCommand(probe, manager, 'mformat', 'mtools', 'mformat (mtools)'),
    checkTimeout(probe, manager),
    checkOvmf(machine, manager),
    checkLimineTool(probe, manager, ['curl'], 'curl'),
    checkLimineTool(probe, manager, ['make'], 'make'),
    checkLimineTool(probe, manager, ['cc', 'gcc', 'clang'], 'cCompiler'),
    checkGdb(probe, manager),
  ];
  return {
    platform,
    checks,
    recommendedToolchain: toolchains.recommended,
    ready: checks.every((check) => check.status !== 'missing'),
  };
}
