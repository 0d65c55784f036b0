/** `baremetal-kernel sysroot [--clean] [--json]`: the shared sysroots on this machine, and removing them. */
import { SHARED_SYSROOT } from '@baremetal-kernel/target';
import { renderOptionsHelp, type CreateOption } from '@baremetal-kernel/generators';
import { HELP_OPTION, parseArguments } from '../arguments.js';
import { CliError } from '../errors.js';
import { EXIT, type Io } from '../io.js';
import { cleanSysroots, formatBytes, readSysrootCache, sysrootRootFor, type SysrootCache } from '../sysroot-cache.js';

const SYSROOT_OPTIONS = [
  { key: 'clean', flag: 'clean', type: 'boolean', default: false, help: 'remove them (the next kernel build makes the one it needs again)' },
  { key: 'json', flag: 'json', type: 'boolean', default: false, help: 'print one JSON object instead' },
  HELP_OPTION,
] as const satisfies readonly CreateOption[];

export const SYSROOT_USAGE = `Usage: baremetal-kernel sysroot [options]

Lists the shared sysroots on this machine: core, alloc and compiler_builtins, compiled once per
compiler and codegen flags by the first build of a kernel on the system or rustup-nightly profile
(its .cargo/sysroot-rustc), and used by every kernel that matches. They live in
$${SHARED_SYSROOT.directoryVariable}, else the platform's cache directory + ${SHARED_SYSROOT.cacheSubdirectory}.

Options:
${renderOptionsHelp(SYSROOT_OPTIONS)}

After --clean, run \`cargo clean\` in a kernel before its next build if it was built against one.
`;

function listing(cache: SysrootCache): string[] {
  if (cache.sysroots.length === 0) return [`no shared sysroots in ${cache.root} (the first build of a system or nightly kernel makes one)`];
  const total = cache.sysroots.reduce((sum, sysroot) => sum + sysroot.bytes, 0);
  return [
    `${cache.sysroots.length} shared sysroot${cache.sysroots.length === 1 ? '' : 's'} in ${cache.root} (${formatBytes(total)}):`,
    ...cache.sysroots.map((sysroot) => `  ${sysroot.name}  ${sysroot.compiler ?? 'unknown compiler'}; ${sysroot.codegen || 'no codegen options'}; ${formatBytes(sysroot.bytes)}`),
  ];
}

export function runSysroot(args: readonly string[], io: Io): number {
  let values;
  try {
    ({ values } = parseArguments(args, SYSROOT_OPTIONS, { maxPositionals: 0, hint: 'see baremetal-kernel sysroot --help' }));
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr(`error: ${error.message}\n`);
    return error.exitCode;
  }
  if (values.help) {
    io.stdout(SYSROOT_USAGE);
    return EXIT.ok;
  }
  const cache = readSysrootCache(sysrootRootFor(io.env));
  if (!values.clean) {
    io.stdout(values.json ? `${JSON.stringify(cache, null, 2)}\n` : `${listing(cache).join('\n')}\n`);
    return EXIT.ok;
  }
  const result = cleanSysroots(cache);
  if (values.json) {
    io.stdout(`${JSON.stringify({ root: cache.root, ...result }, null, 2)}\n`);
  } else {
    const busy = result.inProgress.length > 0 ? `; left ${result.inProgress.length} build${result.inProgress.length === 1 ? '' : 's'} in progress` : '';
    io.stdout(`removed ${result.removed.length} shared sysroot${result.removed.length === 1 ? '' : 's'} from ${cache.root} (${formatBytes(result.bytes)})${busy}\n`);
  }
  return EXIT.ok;
}
