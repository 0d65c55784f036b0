import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { findOnPath, nodeProbe } from '@baremetal-kernel/target/node';
import { CliError } from '../errors.js';
import { formatReport, reportToJson } from '../doctor/format.js';
import type { DoctorMachine, DoctorProbe } from '../doctor/machine.js';
import { diagnose } from '../doctor/report.js';
import { EXIT, type Io } from '../io.js';

const USAGE = 'usage: baremetal-kernel doctor [--json]';

const HELP = `${USAGE}

Checks what building and booting kernels needs: Rust (rustc, the toolchain profiles, rust-lld),
QEMU, GRUB (BIOS and UEFI platforms), xorriso, mtools, timeout and OVMF. Prints one line per check
with the command that fixes what is missing, for this system's package manager where it can tell.

  --json      print one JSON object instead
  -h, --help  this text

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

interface DoctorOptions {
  readonly json: boolean;
  readonly help: boolean;
}

/** node:util's messages, shortened to what the user typed and what is wrong with it. */
function usageMessage(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted !== undefined) return `unknown option '${quoted}'`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted !== undefined) return `unexpected argument '${quoted}'`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted !== undefined) return `option '${quoted}' takes no value`;
  return message.split('. ')[0] ?? message;
}

function parseDoctorArgs(args: readonly string[]): DoctorOptions {
  try {
    const { values } = parseArgs({
      args: [...args],
      options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    });
    return { json: values.json, help: values.help };
  } catch (error) {
    throw new CliError('usage', `${usageMessage(error)} (${USAGE})`, EXIT.usage);
  }
}

/** `baremetal-kernel doctor [--json]`; `args` are the words after `doctor`. Returns the exit status. */
export function runDoctor(args: readonly string[], io: Io, machine: DoctorMachine = nodeMachine(io.env)): number {
  let options: DoctorOptions;
  try {
    options = parseDoctorArgs(args);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr(`error: ${error.message}\n`);
    return error.exitCode;
  }
  if (options.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const report = diagnose(machine);
  io.stdout(options.json ? `${reportToJson(report)}\n` : `${formatReport(report).join('\n')}\n`);
  return report.ready ? EXIT.ok : EXIT.failure;
}
