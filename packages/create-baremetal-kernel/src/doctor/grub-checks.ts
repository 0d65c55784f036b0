import { absent, ok, ONLY_FOR_UEFI, type Check } from './check.js';
import type { DoctorProbe } from './machine.js';
import { installFix } from './packages.js';
import type { PackageManager } from './platform.js';

/** What the runner looks for, in its order (`build_iso` in templates/boot/multiboot2/runner.hbs). */
export const GRUB_MKRESCUE_COMMANDS: readonly string[] = ['grub-mkrescue', 'grub2-mkrescue'];

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

function findMkrescue(probe: DoctorProbe): { command: string; path: string } | undefined {
  for (const command of GRUB_MKRESCUE_COMMANDS) {
    const path = probe.which(command);
    if (path !== undefined) return { command, path };
  }
  return undefined;
}

function checkPlatform(
  probe: DoctorProbe,
  libraryDirectories: readonly string[],
  platform: string,
  needed: boolean,
  fix: string,
): Check {
  const name = `GRUB ${platform} (${FIRMWARE_NAMES[platform] ?? platform})`;
  const found = libraryDirectories.map((directory) => `${directory}/${platform}`).find((path) => probe.isDirectory(path));
  if (found !== undefined) return ok(name, found, needed);
  const where = `not found in ${libraryDirectories.join(', ')}`;
  return absent(name, needed ? where : `${where}; ${ONLY_FOR_UEFI}`, [fix], needed);
}

/** grub-mkrescue, and the BIOS and UEFI platforms it puts on the ISO. */
export function checkGrub(probe: DoctorProbe, manager: PackageManager | undefined): Check[] {
  const mkrescue = findMkrescue(probe);
  const homebrewMkrescue = mkrescue === undefined ? probe.which(HOMEBREW_GRUB_MKRESCUE) : undefined;
  const checks: Check[] = [];
  if (mkrescue !== undefined) {
    checks.push(ok(mkrescue.command, mkrescue.path));
  } else if (homebrewMkrescue !== undefined) {
    const link = homebrewMkrescue.replace(/x86_64-elf-grub-mkrescue$/, 'grub-mkrescue');
    checks.push(
      absent(
        'grub-mkrescue',
        `not found, but ${homebrewMkrescue} is: the runner runs grub-mkrescue`,
        [`ln -s ${homebrewMkrescue} ${link}`],
        true,
      ),
    );
  } else {
    checks.push(absent('grub-mkrescue', 'not found (nor grub2-mkrescue)', [installFix(manager, 'grubMkrescue')], true));
  }
  const tool = mkrescue?.command ?? homebrewMkrescue;
  const help = tool === undefined ? undefined : probe.run(tool, ['--help']);
  const compiledIn = help?.ok ? grubLibraryDirectory(help.stdout) : undefined;
  const libraryDirectories = compiledIn === undefined ? GRUB_LIBRARY_DIRECTORIES : [compiledIn];
  checks.push(
    checkPlatform(probe, libraryDirectories, GRUB_PLATFORMS.bios, true, installFix(manager, 'grubBios')),
    checkPlatform(probe, libraryDirectories, GRUB_PLATFORMS.uefi, false, installFix(manager, 'grubUefi')),
  );
  return checks;
}
