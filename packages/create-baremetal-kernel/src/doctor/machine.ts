import type { MachineProbe } from '@baremetal-kernel/target';
import type { SysrootCache } from '../sysroot-cache.js';

/**
 * Everything `doctor` asks of the machine, so that tests can fake any machine. Commands and
 * directories go through the target package's {@link MachineProbe} (which toolchain detection
 * shares); the rest is what the boot tools need besides.
 */
export interface DoctorProbe extends MachineProbe {
  /** The absolute path `command` resolves to through PATH (like `command -v`), or undefined. */
  which(command: string): string | undefined;
  isFile(path: string): boolean;
}

/** The first line `command --version` prints, or undefined when it fails or prints nothing. */
export function versionLine(probe: MachineProbe, command: string): string | undefined {
  const version = probe.run(command, ['--version']);
  return version?.ok ? version.stdout.split('\n')[0]?.trim() || undefined : undefined;
}

export interface DoctorMachine {
  readonly probe: DoctorProbe;
  /** `process.platform`: 'linux', 'darwin', ... */
  readonly os: string;
  /** The text of /etc/os-release (Linux), or undefined when there is none. */
  readonly osRelease: string | undefined;
  /** `$OVMF_CODE`, which the runner prefers over its search for the firmware. */
  readonly ovmfCodeOverride: string | undefined;
  /** The shared sysroots kernels made on this machine; undefined where not looked at. */
  readonly sharedSysroots?: SysrootCache;
}
