import { readFileSync, statSync } from 'node:fs';
import { findOnPath, nodeProbe } from '@baremetal-kernel/generators/node';
import { renderOptionsHelp, type CreateOption } from '@baremetal-kernel/generators';
import { HELP_OPTION, parseArguments } from '../arguments.js';
import { CliError } from '../errors.js';
import { formatReport, reportToJson } from '../doctor/format.js';
import type { DoctorMachine, DoctorProbe } from '../doctor/machine.js';
import { diagnose } from '../doctor/report.js';
import { EXIT, type Io } from '../io.js';

const DOCTOR_OPTIONS = [
  { key: 'json', flag: 'json', type: 'boolean', default: false, help: 'print one JSON object instead' },
  HELP_OPTION,
] as const satisfies readonly CreateOption[];

const HELP = `Usage: baremetal-kernel doctor [options]

Checks what building and booting kernels needs: Rust (rustc, cargo, the toolchain profiles, rust-lld),
QEMU, GRUB (BIOS and UEFI platforms), xorriso, mtools, timeout and OVMF. Prints one line per check
with the command that fixes what is missing, for this system's package manager where it can tell.

Options:
${renderOptionsHelp(DOCTOR_OPTIONS)}

Exit status: 0 when nothing needed is missing (OVMF and GRUB's UEFI platform are only needed for
\`cargo run -- --uefi\`: warnings), 1 when something needed is missing, 2 on bad usage.
`;

/** Where os-release(5) lives: /etc first, /usr/lib as the fallback the specification names. */
const OS_RELEASE_FILES = ['/etc/os-release', '/usr/lib/os-release'];

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readOsRelease(): string | undefined {
  for (const path of OS_RELEASE_FILES) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** The real machine: child processes (with the environment of `io`), the file system, the OS. */
export function nodeMachine(env: NodeJS.ProcessEnv): DoctorMachine {
  const probe: DoctorProbe = { ...nodeProbe(env), which: (command) => findOnPath(command, env), isFile };
  return { probe, os: process.platform, osRelease: readOsRelease(), ovmfCodeOverride: env.OVMF_CODE };
}

/** `baremetal-kernel doctor [--json]`; `args` are the words after `doctor`. Returns the exit status. */
export function runDoctor(args: readonly string[], io: Io, machine: DoctorMachine = nodeMachine(io.env)): number {
  let values;
  try {
    ({ values } = parseArguments(args, DOCTOR_OPTIONS, { maxPositionals: 0, hint: 'see baremetal-kernel doctor --help' }));
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr(`error: ${error.message}\n`);
    return error.exitCode;
  }
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const report = diagnose(machine);
  io.stdout(values.json ? `${reportToJson(report)}\n` : `${formatReport(report).join('\n')}\n`);
  return report.ready ? EXIT.ok : EXIT.failure;
}
