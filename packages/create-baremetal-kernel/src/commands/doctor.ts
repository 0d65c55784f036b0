import { readFileSync, statSync } from 'node:fs';
import { findOnPath, nodeProbe } from '@baremetal-kernel/generators/node';
import { renderOptionsHelp, sentenceList, type CreateOption } from '@baremetal-kernel/generators';
import { HELP_OPTION, parseArguments } from '../arguments.js';
import { CliError } from '../errors.js';
import { formatReport, reportToJson } from '../doctor/format.js';
import type { DoctorMachine, DoctorProbe } from '../doctor/machine.js';
import { bootNeeds, type BootNeed } from '../doctor/boot-needs.js';
import { diagnose } from '../doctor/report.js';
import { EXIT, type Io } from '../io.js';
import { readSysrootCache, sysrootRootFor } from '../sysroot-cache.js';

const DOCTOR_OPTIONS = [
  { key: 'json', flag: 'json', type: 'boolean', default: false, help: 'print one JSON object instead' },
  HELP_OPTION,
] as const satisfies readonly CreateOption[];

/** A paragraph broken into lines of at most `width` characters, at spaces. */
function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  for (const word of text.split(/\s+/)) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines.join('\n');
}

/** The usage text; what is checked, and what only warns, comes from the boot protocols' rows. */
function doctorHelp(): string {
  const needs = bootNeeds();
  const names = (list: readonly BootNeed[]) => sentenceList(list.map((need) => need.requirement.name), 'and');
  const optional = needs.filter((need) => !need.needed);
  const checks =
    'Checks what building and booting kernels needs: Rust (rustc, cargo, the toolchain profiles, rust-lld), ' +
    `then what the runners use: ${names(needs)}. Prints one line per check with the command that fixes ` +
    "what is missing, for this system's package manager where it can tell; and the shared sysroots kernels made " +
    '(see baremetal-kernel sysroot).';
  const exit =
    `Exit status: 0 when nothing needed is missing (${names(optional)} only warn: each serves one option ` +
    'or one boot protocol, as its line says), 1 when something needed is missing, 2 on bad usage.';
  return `Usage: baremetal-kernel doctor [options]\n\n${wrap(checks)}\n\nOptions:\n${renderOptionsHelp(DOCTOR_OPTIONS)}\n\n${wrap(exit)}\n`;
}

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
  return { probe, os: process.platform, osRelease: readOsRelease(), ovmfCodeOverride: env.OVMF_CODE, sharedSysroots: readSysrootCache(sysrootRootFor(env)) };
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
    io.stdout(doctorHelp());
    return EXIT.ok;
  }
  const report = diagnose(machine);
  io.stdout(values.json ? `${reportToJson(report)}\n` : `${formatReport(report).join('\n')}\n`);
  return report.ready ? EXIT.ok : EXIT.failure;
}
