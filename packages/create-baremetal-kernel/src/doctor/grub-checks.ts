import { hostRequirement } from '@baremetal-kernel/target';
import type { BootCheck } from './boot-checks.js';
import { absentFor, ok } from './check.js';
import type { DoctorProbe } from './machine.js';
import { installFix } from './packages.js';

/** What the runner looks for, in its order (`build_iso` in templates/boot/multiboot2/fragments/runner_image.hbs). */
const GRUB_MKRESCUE_COMMANDS = hostRequirement('grubMkrescue').programs;

/** Homebrew's x86_64-elf-grub installs its tools with this prefix, which the runner does not look for. */
const HOMEBREW_GRUB_MKRESCUE = 'x86_64-elf-grub-mkrescue';

/** The GRUB platforms a hybrid ISO boots with: BIOS (needed: the default boot) and UEFI (`--uefi`). */
export const GRUB_PLATFORMS = { bios: 'i386-pc', uefi: 'x86_64-efi' } as const;

const FIRMWARE_NAMES: Readonly<Record<string, string>> = { [GRUB_PLATFORMS.bios]: 'BIOS', [GRUB_PLATFORMS.uefi]: 'UEFI' };

/**
 * Where GRUB keeps its platform directories when grub-mkrescue cannot say: GRUB's default for the
 * prefix /usr (Debian, Ubuntu, Fedora, Arch), openSUSE's, and a source build's (prefix /usr/local).
 */
export const GRUB_LIBRARY_DIRECTORIES: readonly string[] = ['/usr/lib/grub', '/usr/share/grub2', '/usr/local/lib/grub'];

/**
 * grub-mkrescue's `--help` names its compiled-in directory: `[default=/usr/lib/grub/<platform>]`.
 * That is where it takes the platforms from, wherever it was installed (distribution, Homebrew).
 */
export function grubLibraryDirectory(helpText: string): string | undefined {
  return /\[default=(\S+)\/<platform>\]/.exec(helpText)?.[1];
}

/** grub-mkrescue as found on a machine, and where it takes GRUB's platforms from. */
export interface GrubInstallation {
  /** The first of the runner's names for it in PATH. */
  readonly mkrescue: { readonly command: string; readonly path: string } | undefined;
  /** Homebrew's prefixed grub-mkrescue, looked for only when the runner's names are not in PATH. */
  readonly homebrewMkrescue: string | undefined;
  readonly libraryDirectories: readonly string[];
}

export function findGrub(probe: DoctorProbe): GrubInstallation {
  const mkrescue = GRUB_MKRESCUE_COMMANDS.map((command) => ({ command, path: probe.which(command) })).find(
    (found): found is { command: string; path: string } => found.path !== undefined,
  );
  const homebrewMkrescue = mkrescue === undefined ? probe.which(HOMEBREW_GRUB_MKRESCUE) : undefined;
  const tool = mkrescue?.command ?? homebrewMkrescue;
  const help = tool === undefined ? undefined : probe.run(tool, ['--help']);
  const compiledIn = help?.ok ? grubLibraryDirectory(help.stdout) : undefined;
  return { mkrescue, homebrewMkrescue, libraryDirectories: compiledIn === undefined ? GRUB_LIBRARY_DIRECTORIES : [compiledIn] };
}

/** grub-mkrescue, which makes the ISO: found, only under Homebrew's prefixed name, or absent. */
export const checkGrubMkrescue: BootCheck = (context, need) => {
  const { mkrescue, homebrewMkrescue } = context.grub();
  if (mkrescue !== undefined) return ok(mkrescue.command, mkrescue.path, need.needed);
  const [command, ...others] = GRUB_MKRESCUE_COMMANDS;
  if (homebrewMkrescue !== undefined) {
    const link = homebrewMkrescue.replace(/x86_64-elf-grub-mkrescue$/, 'grub-mkrescue');
    return absentFor(command!, `not found, but ${homebrewMkrescue} is: the runner runs ${command}`, [`ln -s ${homebrewMkrescue} ${link}`], need);
  }
  return absentFor(command!, `not found (nor ${others.join(', ')})`, [installFix(context.manager, 'grubMkrescue')], need);
};

/** One of the GRUB platforms grub-mkrescue puts on the ISO, in its library directory. */
export function checkGrubPlatform(platform: string): BootCheck {
  return (context, need) => {
    const { libraryDirectories } = context.grub();
    const name = `GRUB ${platform} (${FIRMWARE_NAMES[platform] ?? platform})`;
    const found = libraryDirectories.map((directory) => `${directory}/${platform}`).find((path) => context.machine.probe.isDirectory(path));
    if (found !== undefined) return ok(name, found, need.needed);
    return absentFor(name, `not found in ${libraryDirectories.join(', ')}`, [installFix(context.manager, need.requirement.key)], need);
  };
}
