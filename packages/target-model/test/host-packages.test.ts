/**
 * A protocol's host facts live in its row (`hostRequirements`) and the tables of host-packages.ts;
 * everything else derives from them. These tests hold the rows and tables to each other, and to
 * tools/install-toolchain.sh, which installs the same Debian packages for this repository.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BOOT_PROTOCOLS,
  DEBIAN_PACKAGES,
  DEFAULT_BOOT_PROTOCOL,
  HOST_PACKAGES,
  HOST_REQUIREMENTS,
  NO_PACKAGE,
  PACKAGE_MANAGERS,
  bootPackages,
  findBootProtocol,
  hostTools,
  installCommand,
  installHint,
  type BootProtocol,
} from '../src/index.js';

const INSTALL_TOOLCHAIN = new URL('../../../tools/install-toolchain.sh', import.meta.url);

/** The words of a `readonly NAME=(a b c)` array of the script. */
function scriptArray(script: string, name: string): string[] {
  const match = new RegExp(`^readonly ${name}=\\(([^)]*)\\)$`, 'm').exec(script);
  if (!match) throw new Error(`tools/install-toolchain.sh has no array ${name}`);
  return match[1]!.trim().split(/\s+/);
}

const sorted = (values: readonly string[]) => [...values].sort();

describe('the requirements of the protocols’ rows', () => {
  it('are each known once, and each row names a requirement once', () => {
    const keys = HOST_REQUIREMENTS.map((requirement) => requirement.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const protocol of BOOT_PROTOCOLS) {
      const named = protocol.hostRequirements.map((need) => need.requirement);
      expect(new Set(named).size, protocol.name).toBe(named.length);
      for (const key of named) expect(keys, `${protocol.name} names ${key}`).toContain(key);
      for (const need of protocol.hostRequirements) expect(need.why, `${protocol.name}: ${need.requirement}`).not.toBe('');
    }
  });

  it('have a package, or a sentence saying there is none, on every package manager', () => {
    for (const protocol of BOOT_PROTOCOLS) {
      for (const { requirement } of protocol.hostRequirements) {
        for (const manager of PACKAGE_MANAGERS) {
          const packages = HOST_PACKAGES[manager][requirement];
          const note = NO_PACKAGE[manager]?.[requirement];
          expect(packages !== undefined || note !== undefined, `${protocol.name}: ${requirement} on ${manager}`).toBe(true);
          if (packages !== undefined) expect(packages.length, `${requirement} on ${manager}`).toBeGreaterThan(0);
        }
        // Debian is where the generated README and CI install from: there must be a package.
        expect(HOST_PACKAGES.apt[requirement], `${requirement} on apt`).toBeDefined();
      }
    }
  });

  it('give `create` the programs each runner calls on every boot, not the UEFI or debugging extras', () => {
    const multiboot2 = findBootProtocol('multiboot2')!;
    expect(hostTools(multiboot2)).toEqual([
      { name: 'QEMU', programs: ['qemu-system-x86_64'] },
      // Debian's name, then Fedora's (the runner's order).
      { name: 'GRUB', programs: ['grub-mkrescue', 'grub2-mkrescue'] },
      { name: 'xorriso', programs: ['xorriso'] },
      { name: 'mtools', programs: ['mformat'] },
      { name: 'timeout', programs: ['timeout'] },
    ]);
    const limine = hostTools(findBootProtocol('limine')!).map((tool) => tool.name);
    expect(limine).toEqual(['QEMU', 'xorriso', 'timeout', 'curl', 'make', 'a C compiler']);
    expect(hostTools(findBootProtocol('limine')!).at(-1)!.programs).toEqual(['cc', 'gcc', 'clang']);
  });
});

describe('bootPackages', () => {
  it('lists each package once, in the order of the row, without Debian’s Essential coreutils', () => {
    const row = (requirements: BootProtocol['hostRequirements']): BootProtocol => ({ ...findBootProtocol('multiboot2')!, hostRequirements: requirements });
    const packages = bootPackages(
      row([
        { requirement: 'grubMkrescue', use: 'boot', why: 'x' },
        { requirement: 'timeout', use: 'boot', why: 'x' },
        { requirement: 'grubBios', use: 'boot', why: 'x' },
        { requirement: 'ovmf', use: 'uefi', why: 'x' },
        { requirement: 'gdb', use: 'debug', why: 'x' },
      ]),
      'apt',
    );
    expect(packages).toEqual(['grub-common', 'grub-pc-bin', 'ovmf']);
    // Arch builds every GRUB platform into one package: listed once.
    const arch = bootPackages(row((['grubBios', 'grubUefi', 'grubMkrescue'] as const).map((requirement) => ({ requirement, use: 'boot', why: 'x' }))), 'pacman');
    expect(arch).toEqual(['grub']);
  });

  it('give multiboot2 exactly what tools/install-toolchain.sh installs to boot, and Limine no GRUB', () => {
    const script = readFileSync(INSTALL_TOOLCHAIN, 'utf8');
    expect(DEFAULT_BOOT_PROTOCOL).toBe('multiboot2');
    expect(sorted(bootPackages(findBootProtocol('multiboot2')!, 'apt'))).toEqual(sorted(scriptArray(script, 'BOOT_PACKAGES')));
    expect(scriptArray(script, 'RUST_PACKAGES')).toEqual([...DEBIAN_PACKAGES.systemRust]);
    expect(scriptArray(script, 'DEBUG_PACKAGES')).toEqual(HOST_PACKAGES.apt.gdb);
    const limine = bootPackages(findBootProtocol('limine')!, 'apt');
    expect(limine.filter((name) => name.startsWith('grub'))).toEqual([]);
    expect(limine).toEqual(expect.arrayContaining(['curl', 'ca-certificates', 'make', 'gcc', 'libc6-dev']));
  });

  it('take the system profile’s Rust packages for cargo and rust-lld from its own list', () => {
    for (const name of [...HOST_PACKAGES.apt.cargo!, ...HOST_PACKAGES.apt.rustLld!]) expect(DEBIAN_PACKAGES.systemRust).toContain(name);
  });
});

describe('installCommand', () => {
  it('writes each package manager’s install line, apt without recommends (no shim with GRUB for UEFI)', () => {
    expect(installCommand('apt', ['xorriso', 'mtools'])).toBe('sudo apt-get install --no-install-recommends xorriso mtools');
    expect(installCommand('dnf', ['xorriso'])).toBe('sudo dnf install xorriso');
    expect(installCommand('pacman', ['libisoburn'])).toBe('sudo pacman -S --needed libisoburn');
    expect(installCommand('brew', ['xorriso'])).toBe('brew install xorriso');
  });
});

describe('installHint', () => {
  it('names each system and its packages, once each, in one line', () => {
    expect(installHint(['qemu'])).toBe(
      'Debian/Ubuntu: qemu-system-x86; Fedora: qemu-system-x86-core; Arch: qemu-system-x86; macOS: brew install qemu',
    );
    // Arch's one grub package serves all three; Homebrew has none for UEFI, and its BIOS GRUB once.
    expect(installHint(['grubMkrescue', 'grubBios', 'grubUefi'])).toBe(
      'Debian/Ubuntu: grub-common grub-pc-bin grub-efi-amd64-bin; Fedora: grub2-tools-extra grub2-pc-modules grub2-efi-x64-modules; ' +
        'Arch: grub; macOS: brew install x86_64-elf-grub',
    );
  });

  it('leaves out a system with no package for it', () => {
    expect(installHint(['rustLld'])).not.toMatch(/macOS/);
  });
});
