import {
  MINIMUM_RUST_VERSION,
  RUSTUP_INSTALL,
  VENDOR_SUBDIR,
  compareVersions,
  inspectRustc,
  type ToolchainReport,
  type ToolchainStatus,
} from '@baremetal-kernel/target';
import { dirname } from 'node:path';
import { absent, ok, type Check } from './check.js';
import { versionLine, type DoctorProbe } from './machine.js';
import { installFix } from './packages.js';
import type { PackageManager } from './platform.js';

/** The rustc first in PATH: there, and at least {@link MINIMUM_RUST_VERSION} (edition 2024). */
export function checkRustc(report: ToolchainReport, probe: DoctorProbe): Check {
  const path = probe.which('rustc');
  const rustc = report.rustc;
  if (rustc === undefined) {
    const offPath = report.systemRustcOffPath;
    if (path === undefined && offPath !== undefined) {
      // Installed, only not where cargo looks: the fix is PATH, not another toolchain.
      return absent('rustc', `not found in PATH (there is one at ${offPath})`, [`export PATH=${dirname(offPath)}:$PATH`], true);
    }
    const detail = path === undefined ? 'not found' : `at ${path} does not answer \`rustc -vV\``;
    return absent('rustc', detail, [RUSTUP_INSTALL], true);
  }
  const where = `${path ?? rustc.command}${rustc.managedByRustup ? ', rustup' : ''}`;
  if (compareVersions(rustc.version, MINIMUM_RUST_VERSION) < 0) {
    const fix = rustc.managedByRustup ? 'rustup update stable' : RUSTUP_INSTALL;
    return absent('rustc', `${rustc.version} (${where}) is older than ${MINIMUM_RUST_VERSION}`, [fix], true);
  }
  return ok('rustc', `${rustc.version} (${where})`);
}

/**
 * The system profile's setup installs Debian's packages with apt-get. Where the package manager is
 * known to be another, no package is known to hold a rustc with vendored std sources: say so, and
 * point at rustup instead.
 */
function fixForPlatform(fix: readonly string[], manager: PackageManager | undefined): readonly string[] {
  if (manager === undefined || manager === 'apt') return fix;
  const aptCommand = fix.find((command) => command.startsWith('sudo apt-get '));
  if (aptCommand === undefined) return fix;
  return [`no ${manager} package is known to ship a rustc with vendored std sources (Debian: ${aptCommand}); use a rustup profile`];
}

/**
 * One line per toolchain profile, from the target package's detection. A usable profile is enough:
 * the others are then warnings; with none usable, each is missing, and any one of the fixes does.
 */
export function checkProfiles(report: ToolchainReport, manager: PackageManager | undefined): Check[] {
  const anyUsable = report.recommended !== undefined;
  return report.statuses.map((status: ToolchainStatus): Check => {
    const name = `${status.name} profile`;
    if (!status.usable) return absent(name, `unusable: ${status.detail}`, fixForPlatform(status.fix, manager), !anyUsable);
    const needed = status.name === report.recommended;
    // Usable, with advice (the system profile shadowed by rustup in PATH).
    if (status.fix.length > 0) return { name, status: 'warning', detail: `usable: ${status.detail}`, fix: status.fix, needed };
    return ok(name, `usable: ${status.detail}`, needed);
  });
}

/**
 * rust-lld links kernels. rustup toolchains ship it; the system profile needs it from the
 * distribution. rustc puts `<sysroot>/lib/rustlib/<host>/bin` ahead of PATH when it runs the
 * linker, so that directory is looked at first. Only checked when the system profile is usable
 * (otherwise its own fix installs the toolchain, rust-lld included).
 */
export function checkRustLld(
  report: ToolchainReport,
  probe: DoctorProbe,
  manager: PackageManager | undefined,
): Check | undefined {
  const system = report.statuses.find((status) => status.name === 'system');
  if (!system?.usable || report.systemVendorDirectory === undefined) return undefined;
  const sysroot = report.systemVendorDirectory.slice(0, -`/${VENDOR_SUBDIR}`.length);
  const host = report.rustc?.host ?? inspectRustc(probe, `${sysroot}/bin/rustc`)?.host;
  const inSysroot = host === undefined ? undefined : `${sysroot}/lib/rustlib/${host}/bin/rust-lld`;
  const found = inSysroot !== undefined && probe.isFile(inSysroot) ? inSysroot : probe.which('rust-lld');
  const needed = report.recommended === 'system';
  if (found !== undefined) return ok('rust-lld', `${found} (links kernels with the system profile)`, needed);
  return absent(
    'rust-lld',
    `not found in PATH or ${sysroot}/lib/rustlib/${host ?? '<host>'}/bin (the system profile links with it)`,
    [installFix(manager, 'rustLld')],
    needed,
  );
}

/**
 * Cargo builds, runs and tests every kernel. rustup installs it with each toolchain; a
 * distribution's rustc comes without it (Debian: cargo-web beside rustc-web).
 */
export function checkCargo(report: ToolchainReport, probe: DoctorProbe, manager: PackageManager | undefined): Check {
  const path = probe.which('cargo');
  const firstLine = path === undefined ? undefined : versionLine(probe, 'cargo');
  if (path !== undefined && firstLine) return ok('cargo', `${firstLine} (${path})`);
  const offPath = report.systemRustcOffPath;
  const besideOffPathRustc = offPath === undefined ? undefined : `${dirname(offPath)}/cargo`;
  const systemRustc = offPath !== undefined || (report.rustc !== undefined && !report.rustc.managedByRustup);
  let fix = systemRustc ? installFix(manager, 'cargo') : RUSTUP_INSTALL;
  if (path === undefined && besideOffPathRustc !== undefined && probe.run(besideOffPathRustc, ['--version'])?.ok) {
    fix = `export PATH=${dirname(besideOffPathRustc)}:$PATH`;
  }
  return absent('cargo', path === undefined ? 'not found' : `at ${path} fails \`cargo --version\``, [fix], true);
}
