import { BOOT_PROTOCOLS, DEFAULT_BOOT_PROTOCOL, detectToolchains, type BootProtocol, type BootProtocolName, type ToolchainName } from '@baremetal-kernel/target';
import { bootCheckContext, checkBootNeed } from './boot-checks.js';
import { bootNeeds } from './boot-needs.js';
import { ok, type Check } from './check.js';
import type { DoctorMachine } from './machine.js';
import { detectPlatform, type HostPlatform } from './platform.js';
import { checkCargo, checkProfiles, checkRustc, checkRustLld } from './rust-checks.js';
import { formatBytes, type SysrootCache } from '../sysroot-cache.js';

export interface DoctorReport {
  readonly platform: HostPlatform;
  readonly checks: readonly Check[];
  /** What `--toolchain auto` picks, when some profile is usable. */
  readonly recommendedToolchain: ToolchainName | undefined;
  /** Nothing needed is missing: kernels build and boot (BIOS and direct). */
  readonly ready: boolean;
}

/**
 * Runs every check against `machine`: Rust first, then what the protocols' runners need (their
 * rows' `hostRequirements`), in the order of the target model's HOST_REQUIREMENTS.
 */
export function diagnose(
  machine: DoctorMachine,
  protocols: readonly BootProtocol[] = BOOT_PROTOCOLS,
  defaultProtocol: BootProtocolName = DEFAULT_BOOT_PROTOCOL,
): DoctorReport {
  const platform = detectPlatform(machine.os, machine.osRelease);
  const manager = platform.packageManager;
  const { probe } = machine;
  const toolchains = detectToolchains(probe);
  const rustLld = checkRustLld(toolchains, probe, manager);
  const context = bootCheckContext(machine, manager);
  const checks: Check[] = [
    checkRustc(toolchains, probe),
    checkCargo(toolchains, probe, manager),
    ...checkProfiles(toolchains, manager),
    ...(rustLld === undefined ? [] : [rustLld]),
    ...bootNeeds(protocols, defaultProtocol).map((need) => checkBootNeed(context, need)),
    ...(machine.sharedSysroots === undefined ? [] : [sharedSysrootsLine(machine.sharedSysroots)]),
  ];
  return {
    platform,
    checks,
    recommendedToolchain: toolchains.recommended,
    ready: checks.every((check) => check.status !== 'missing'),
  };
}

/**
 * What the shared sysroots hold (never a problem: the next build makes what it needs), and how
 * to see or remove them.
 */
export function sharedSysrootsLine(cache: SysrootCache): Check {
  const { sysroots, root } = cache;
  if (sysroots.length === 0) return ok('shared sysroots', `none yet in ${root} (the first build of a system or nightly kernel makes one)`, false);
  const bytes = formatBytes(sysroots.reduce((total, sysroot) => total + sysroot.bytes, 0));
  const releases = [...new Set(sysroots.map((sysroot) => sysroot.release ?? 'unknown'))].join(', ');
  return ok(
    'shared sysroots',
    `${sysroots.length} in ${root} (${bytes}; rustc ${releases}): \`baremetal-kernel sysroot\` lists them, --clean removes them`,
    false,
  );
}
