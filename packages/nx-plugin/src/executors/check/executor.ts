/**
 * `@baremetal-kernel/nx:check`: the kernel's debug build checked against what its boot protocol's
 * loader accepts (@baremetal-kernel/check, as `baremetal-kernel check` does), before any boot.
 * The kernel's name and protocol come from its Cargo.toml; the image from where Cargo put it
 * (`CARGO_TARGET_DIR` honoured).
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { logger, type ExecutorContext } from '@nx/devkit';
import { checkKernelImage, formatFinding, hasErrors, kernelElfPath, type Finding } from '@baremetal-kernel/check';
import { readKernelMetadata } from '@baremetal-kernel/generators';
import { BOOT_PROTOCOLS, unknownChoice, type BootProtocolName } from '@baremetal-kernel/target';

/** No options: everything comes from the project (schema.json says so). */
export type CheckExecutorOptions = Record<string, never>;

export interface CheckResult {
  readonly success: boolean;
  /** What the executor prints: one line per finding, then a summary (or the one-line reason it could not check). */
  readonly lines: readonly string[];
}

/** The environment and files the check reads; tests pass their own. */
export interface CheckEdges {
  readonly readText: (path: string) => string;
  readonly readBytes: (path: string) => Uint8Array;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const NODE_EDGES: CheckEdges = { readText: (path) => readFileSync(path, 'utf8'), readBytes: (path) => readFileSync(path), env: process.env };

function isProtocol(name: string): name is BootProtocolName {
  return BOOT_PROTOCOLS.some((protocol) => protocol.name === name);
}

const count = (findings: readonly Finding[], level: Finding['level']) => findings.filter((finding) => finding.level === level).length;

/** Checks the kernel whose project directory is `projectDirectory` (absolute); `cwd` for messages. */
export function checkKernelProject(projectDirectory: string, cwd: string, edges: CheckEdges = NODE_EDGES): CheckResult {
  const manifest = join(projectDirectory, 'Cargo.toml');
  const shown = (path: string) => relative(cwd, path) || '.';
  try {
    const metadata = readKernelMetadata(edges.readText(manifest), shown(manifest));
    if (!isProtocol(metadata.boot)) {
      return { success: false, lines: [`${shown(manifest)}: boot = '${metadata.boot}': ${unknownChoice('boot protocol', metadata.boot, BOOT_PROTOCOLS.map((protocol) => protocol.name))}`] };
    }
    const elf = kernelElfPath(projectDirectory, metadata.name, { cargoTargetDir: edges.env['CARGO_TARGET_DIR'], cwd: projectDirectory });
    let bytes: Uint8Array;
    try {
      bytes = edges.readBytes(elf);
    } catch (error) {
      return { success: false, lines: [`cannot read the kernel at ${shown(elf)} (${(error as Error).message}): build it first`] };
    }
    const findings = checkKernelImage(bytes, metadata.boot);
    const verdict = hasErrors(findings) ? 'fails' : 'passes';
    const summary = `summary: ${shown(elf)} ${verdict} the ${metadata.boot} checks: ${count(findings, 'ok')} ok, ${count(findings, 'warning')} warnings, ${count(findings, 'error')} errors`;
    return { success: !hasErrors(findings), lines: [...findings.map(formatFinding), summary] };
  } catch (error) {
    return { success: false, lines: [(error as Error).message] };
  }
}

export default async function checkExecutor(_options: CheckExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const projectName = context.projectName;
  const project = projectName === undefined ? undefined : context.projectsConfigurations.projects[projectName];
  if (project === undefined) {
    logger.error(`@baremetal-kernel/nx:check: no project ${projectName ?? '(none given)'} in this workspace`);
    return { success: false };
  }
  const result = checkKernelProject(join(context.root, project.root), context.cwd);
  for (const line of result.lines) (result.success ? logger.info : logger.error)(line);
  return { success: result.success };
}
