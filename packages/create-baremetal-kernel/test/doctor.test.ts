import { BOOT_PROTOCOLS, DEBIAN_PACKAGES, HOST_REQUIREMENTS, findBootProtocol, type BootProtocol, type BootProtocolName } from '@baremetal-kernel/target';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../src/commands/doctor.js';
import { bootNeeds } from '../src/doctor/boot-needs.js';
import { formatReport } from '../src/doctor/format.js';
import { diagnose } from '../src/doctor/report.js';
import type { DoctorMachine, DoctorProbe } from '../src/doctor/machine.js';
import { detectPlatform } from '../src/doctor/platform.js';
import { grubLibraryDirectory } from '../src/doctor/grub-checks.js';
import type { Io } from '../src/io.js';

// ---------------------------------------------------------------------------------------------
// A machine in memory: commands found in PATH (and what they print for given arguments), files
// and directories.

const HOME = '/home/dev';
const RUSTUP = `${HOME}/.cargo/bin`;
const RUSTUP_INSTALL = "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh";
const UEFI_ONLY = 'only needed for `cargo run -- --uefi`';
const DEBUG_ONLY = 'only needed to debug kernels: `cargo run -- --gdb` prints the GDB command to attach';
const DEBIAN_SYSTEM_RUST_INSTALL = `sudo apt-get install --no-install-recommends ${DEBIAN_PACKAGES.systemRust.join(' ')}`;

const DEBIAN_12 = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
`;
const FEDORA_40 = `NAME="Fedora Linux"
VERSION="40 (Workstation Edition)"
ID=fedora
VERSION_ID=40
PRETTY_NAME="Fedora Linux 40 (Workstation Edition)"
`;
const MANJARO = `NAME="Manjaro Linux"
PRETTY_NAME="Manjaro Linux"
ID=manjaro
ID_LIKE=arch
`;
const GENTOO = `NAME=Gentoo
ID=gentoo
PRETTY_NAME="Gentoo Linux"
`;

const DEBIAN_CARGO_VERSION = 'cargo 1.96.0 (f2d3ce0bd 2026-03-21) (built from a source tarball)';
const RUSTUP_CARGO_VERSION = 'cargo 1.95.0 (f2d3ce0bd 2026-02-21)';
const QEMU_VERSION = 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)';
/** What grub-mkrescue --help says about its directory, as GRUB 2.06 prints it. */
const grubHelp = (directory: string) =>
  `Usage: grub-mkrescue [OPTION...] [OPTION] SOURCE...\n  -d, --directory=DIR        use images and modules under DIR\n                             [default=${directory}/<platform>]\n`;

function rustcVerbose(version: string): string {
  return `rustc ${version} (59807616e 2026-04-14)\nbinary: rustc\nhost: x86_64-unknown-linux-gnu\nrelease: ${version}\nLLVM version: 22.1.2\n`;
}

class FakeMachine {
  /** Command names to where PATH finds them. */
  private readonly paths = new Map<string, string>();
  /** Every installed executable, runnable by its absolute path even when PATH finds another first. */
  private readonly executables = new Set<string>();
  private readonly outputs = new Map<string, string>();
  private readonly files = new Set<string>();
  private readonly directories = new Set<string>();
  ovmfCode: string | undefined;

  constructor(
    readonly os: string,
    readonly osRelease: string | undefined,
  ) {}

  /** `command` is first in PATH at `path`; `outputs` maps arguments (joined by spaces) to stdout. */
  tool(command: string, path: string, outputs: Record<string, string> = {}): this {
    this.paths.set(command, path);
    this.executables.add(path);
    for (const [args, stdout] of Object.entries(outputs)) {
      this.outputs.set(`${command} ${args}`, stdout);
      this.outputs.set(`${path} ${args}`, stdout);
    }
    return this;
  }

  remove(...commands: string[]): this {
    for (const command of commands) this.paths.delete(command);
    return this;
  }

  file(...paths: string[]): this {
    for (const path of paths) this.files.add(path);
    return this;
  }

  removeFile(...paths: string[]): this {
    for (const path of paths) this.files.delete(path);
    return this;
  }

  directory(...paths: string[]): this {
    for (const path of paths) this.directories.add(path);
    return this;
  }

  removeDirectory(...paths: string[]): this {
    for (const path of paths) this.directories.delete(path);
    return this;
  }

  machine(): DoctorMachine {
    const probe: DoctorProbe = {
      run: (command, args) => {
        const found = command.includes('/') ? this.executables.has(command) : this.paths.has(command);
        if (!found) return undefined;
        const stdout = this.outputs.get(`${command} ${args.join(' ')}`);
        return stdout === undefined ? { ok: false, stdout: '' } : { ok: true, stdout };
      },
      which: (command) => this.paths.get(command),
      isFile: (path) => this.files.has(path),
      isDirectory: (path) => this.directories.has(path),
    };
    return { probe, os: this.os, osRelease: this.osRelease, ovmfCodeOverride: this.ovmfCode };
  }
}

/** Debian's rustc-web with rust-web-src and rust-lld, in /usr/bin. */
function withDebianRust(machine: FakeMachine): FakeMachine {
  return machine
    .tool('rustc', '/usr/bin/rustc', { '-vV': rustcVerbose('1.96.0'), '--print sysroot': '/usr\n' })
    .tool('cargo', '/usr/bin/cargo', { '--version': `${DEBIAN_CARGO_VERSION}\n` })
    .directory('/usr/lib/rustlib/src/rust/library/vendor')
    .tool('rust-lld', '/usr/bin/rust-lld');
}

interface RustupSetup {
  readonly stableTarget: boolean;
  readonly nightly: boolean;
  /** Whether ~/.cargo/bin comes before /usr/bin in PATH, so rustup's rustc answers `rustc`. */
  readonly firstInPath: boolean;
}

function withRustup(machine: FakeMachine, setup: RustupSetup): FakeMachine {
  const toolchains = ['stable-x86_64-unknown-linux-gnu (default)', ...(setup.nightly ? ['nightly-x86_64-unknown-linux-gnu'] : [])];
  machine.tool('rustup', `${RUSTUP}/rustup`, {
    'toolchain list': `${toolchains.join('\n')}\n`,
    'target list --installed --toolchain stable': `x86_64-unknown-linux-gnu\n${setup.stableTarget ? 'x86_64-unknown-none\n' : ''}`,
    'component list --installed --toolchain nightly': 'cargo-x86_64-unknown-linux-gnu\nrust-src\nrustc-x86_64-unknown-linux-gnu\n',
  });
  if (setup.firstInPath || !machine.machine().probe.which('rustc')) {
    machine.tool('rustc', `${RUSTUP}/rustc`, {
      '-vV': rustcVerbose('1.95.0'),
      '--print sysroot': `${HOME}/.rustup/toolchains/stable-x86_64-unknown-linux-gnu\n`,
    });
    machine.tool('cargo', `${RUSTUP}/cargo`, { '--version': `${RUSTUP_CARGO_VERSION}\n` });
  }
  return machine;
}

/** What tools/install-toolchain.sh installs for booting, where Debian puts it. */
function withDebianBootTools(machine: FakeMachine): FakeMachine {
  return machine
    .tool('qemu-system-x86_64', '/usr/bin/qemu-system-x86_64', { '--version': `${QEMU_VERSION}\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n` })
    .tool('grub-mkrescue', '/usr/bin/grub-mkrescue', { '--help': grubHelp('/usr/lib/grub') })
    .directory('/usr/lib/grub/i386-pc', '/usr/lib/grub/x86_64-efi')
    .tool('xorriso', '/usr/bin/xorriso')
    .tool('mformat', '/usr/bin/mformat')
    .tool('timeout', '/usr/bin/timeout')
    .file('/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd')
    .tool('curl', '/usr/bin/curl')
    .tool('make', '/usr/bin/make')
    .tool('cc', '/usr/bin/cc')
    .tool('gdb', '/usr/bin/gdb');
}

/** Debian with everything: Debian's Rust first in PATH, rustup with both profiles ready, boot tools. */
function completeDebian(): FakeMachine {
  const machine = withDebianBootTools(withDebianRust(new FakeMachine('linux', DEBIAN_12)));
  return withRustup(machine, { stableTarget: true, nightly: true, firstInPath: false });
}

function doctor(machine: FakeMachine, args: readonly string[] = []) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    cwd: '/',
    env: {},
    interactive: false,
  };
  const status = runDoctor(args, io, machine.machine());
  return { status, stdout, stderr, lines: stdout.split('\n').filter((line) => line.length > 0) };
}

// ---------------------------------------------------------------------------------------------

describe('doctor on Debian', () => {
  it('reports a complete machine as ready, every check ok', () => {
    const result = doctor(completeDebian());
    expect(result.lines).toEqual([
      'platform Debian GNU/Linux 12 (bookworm) (fixes use apt)',
      'ok       rustc 1.96.0 (/usr/bin/rustc)',
      `ok       cargo ${DEBIAN_CARGO_VERSION} (/usr/bin/cargo)`,
      'ok       rustup-stable profile usable: stable toolchain with the x86_64-unknown-none target',
      'ok       rustup-nightly profile usable: nightly toolchain with rust-src',
      // The rustc first in PATH, by where it lives (<sysroot>/bin/rustc).
      'ok       system profile usable: rustc 1.96.0 at /usr/bin/rustc with vendored rust-src',
      'ok       rust-lld /usr/bin/rust-lld (links kernels with the system profile)',
      `ok       qemu-system-x86_64 ${QEMU_VERSION} (/usr/bin/qemu-system-x86_64)`,
      'ok       grub-mkrescue /usr/bin/grub-mkrescue',
      'ok       GRUB i386-pc (BIOS) /usr/lib/grub/i386-pc',
      'ok       GRUB x86_64-efi (UEFI) /usr/lib/grub/x86_64-efi',
      'ok       xorriso /usr/bin/xorriso',
      'ok       mformat (mtools) /usr/bin/mformat',
      'ok       timeout (coreutils) /usr/bin/timeout',
      'ok       OVMF /usr/share/OVMF/OVMF_CODE_4M.fd with /usr/share/OVMF/OVMF_VARS_4M.fd',
      'ok       curl /usr/bin/curl',
      'ok       make /usr/bin/make',
      'ok       cc /usr/bin/cc',
      'ok       gdb /usr/bin/gdb',
      'ready: nothing needed is missing; --toolchain auto picks rustup-stable',
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('fails on a missing xorriso with the apt-get line, and only warns about OVMF', () => {
    const machine = completeDebian().remove('xorriso').removeFile('/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd');
    const result = doctor(machine);
    expect(result.status).toBe(1);
    expect(result.lines).toContain('missing  xorriso not found: sudo apt-get install --no-install-recommends xorriso');
    expect(result.lines).toContain(`warning  OVMF not found; ${UEFI_ONLY}: sudo apt-get install --no-install-recommends ovmf`);
    expect(result.lines.filter((line) => !line.startsWith('ok '))).toEqual([
      'platform Debian GNU/Linux 12 (bookworm) (fixes use apt)',
      'missing  xorriso not found: sudo apt-get install --no-install-recommends xorriso',
      `warning  OVMF not found; ${UEFI_ONLY}: sudo apt-get install --no-install-recommends ovmf`,
      'not ready: 1 needed item missing (xorriso), 1 warning',
    ]);
  });

  it('exits 0 when only the UEFI extras are missing', () => {
    const machine = completeDebian()
      .removeFile('/usr/share/OVMF/OVMF_CODE_4M.fd')
      .removeDirectory('/usr/lib/grub/x86_64-efi');
    const result = doctor(machine);
    expect(result.lines.filter((line) => line.startsWith('warning'))).toEqual([
      `warning  GRUB x86_64-efi (UEFI) not found in /usr/lib/grub; ${UEFI_ONLY}: sudo apt-get install --no-install-recommends grub-efi-amd64-bin`,
      `warning  OVMF not found; ${UEFI_ONLY}: sudo apt-get install --no-install-recommends ovmf`,
    ]);
    expect(result.lines.at(-1)).toBe('ready: nothing needed is missing, 2 warnings; --toolchain auto picks rustup-stable');
    expect(result.status).toBe(0);
  });

  it("needs GRUB's BIOS platform, looked for where grub-mkrescue says it keeps it", () => {
    const machine = completeDebian()
      .tool('grub-mkrescue', '/usr/bin/grub-mkrescue', { '--help': grubHelp('/opt/grub/lib/grub') })
      .directory('/opt/grub/lib/grub/x86_64-efi');
    const result = doctor(machine);
    expect(result.lines).toContain(
      'missing  GRUB i386-pc (BIOS) not found in /opt/grub/lib/grub: sudo apt-get install --no-install-recommends grub-pc-bin',
    );
    expect(result.lines).toContain('ok       GRUB x86_64-efi (UEFI) /opt/grub/lib/grub/x86_64-efi');
    expect(result.status).toBe(1);
  });

  it('reports no Rust at all with the rustup install command and each profile fix', () => {
    const result = doctor(withDebianBootTools(new FakeMachine('linux', DEBIAN_12)));
    expect(result.lines.slice(1, 6)).toEqual([
      `missing  rustc not found: ${RUSTUP_INSTALL}`,
      `missing  cargo not found: ${RUSTUP_INSTALL}`,
      `missing  rustup-stable profile unusable: rustup is not installed: ${RUSTUP_INSTALL} && rustup target add x86_64-unknown-none`,
      `missing  rustup-nightly profile unusable: rustup is not installed: ${RUSTUP_INSTALL} && rustup toolchain install nightly --profile minimal --component rust-src,rustfmt,clippy`,
      `missing  system profile unusable: no system rustc found: ${DEBIAN_SYSTEM_RUST_INSTALL} && export PATH=/usr/bin:$PATH`,
    ]);
    expect(result.lines[6]).toBe(`ok       qemu-system-x86_64 ${QEMU_VERSION} (/usr/bin/qemu-system-x86_64)`);
    expect(result.lines.at(-1)).toBe(
      'not ready: 5 needed items missing (rustc; cargo; rustup-stable profile; rustup-nightly profile; system profile)',
    );
    expect(result.status).toBe(1);
  });

  it('tells to put /usr/bin first when rustup shadows Debian’s rustc', () => {
    const machine = withRustup(withDebianBootTools(withDebianRust(new FakeMachine('linux', DEBIAN_12))), {
      stableTarget: false,
      nightly: false,
      firstInPath: true,
    });
    const result = doctor(machine);
    expect(result.lines.slice(1, 7)).toEqual([
      `ok       rustc 1.95.0 (${RUSTUP}/rustc, rustup)`,
      `ok       cargo ${RUSTUP_CARGO_VERSION} (${RUSTUP}/cargo)`,
      'warning  rustup-stable profile unusable: the stable toolchain lacks the x86_64-unknown-none target: rustup target add x86_64-unknown-none',
      'warning  rustup-nightly profile unusable: rustup has no nightly toolchain: rustup toolchain install nightly --profile minimal --component rust-src,rustfmt,clippy',
      'warning  system profile usable: rustc 1.96.0 at /usr/bin/rustc with vendored rust-src; rustup comes first in PATH: put /usr/bin first: export PATH=/usr/bin:$PATH',
      'ok       rust-lld /usr/bin/rust-lld (links kernels with the system profile)',
    ]);
    expect(result.lines.at(-1)).toBe('ready: nothing needed is missing, 3 warnings; --toolchain auto picks system');
    expect(result.status).toBe(0);
  });

  it("with /usr/bin off PATH, says where Debian's rustc is and that PATH is the fix, not that it is usable", () => {
    const machine = withDebianBootTools(withDebianRust(new FakeMachine('linux', DEBIAN_12))).remove('rustc', 'cargo', 'rust-lld');
    const result = doctor(machine);
    expect(result.lines.slice(1, 6)).toEqual([
      'missing  rustc not found in PATH (there is one at /usr/bin/rustc): export PATH=/usr/bin:$PATH',
      'missing  cargo not found: export PATH=/usr/bin:$PATH',
      `missing  rustup-stable profile unusable: rustup is not installed: ${RUSTUP_INSTALL} && rustup target add x86_64-unknown-none`,
      `missing  rustup-nightly profile unusable: rustup is not installed: ${RUSTUP_INSTALL} && rustup toolchain install nightly --profile minimal --component rust-src,rustfmt,clippy`,
      'missing  system profile unusable: rustc 1.96.0 at /usr/bin/rustc with vendored rust-src, but /usr/bin is not in PATH (cargo runs the rustc in PATH): export PATH=/usr/bin:$PATH',
    ]);
    expect(result.lines.join('\n')).not.toMatch(/system profile usable/);
    expect(result.status).toBe(1);
  });

  it("needs cargo: Debian's rustc-web without cargo-web cannot build", () => {
    const result = doctor(completeDebian().remove('cargo'));
    expect(result.lines).toContain('missing  cargo not found: sudo apt-get install --no-install-recommends cargo-web');
    expect(result.status).toBe(1);
  });

  it('needs rust-lld when the system profile is the only usable one', () => {
    const machine = withDebianBootTools(withDebianRust(new FakeMachine('linux', DEBIAN_12))).remove('rust-lld');
    const result = doctor(machine);
    expect(result.lines).toContain(
      'missing  rust-lld not found in PATH or /usr/lib/rustlib/x86_64-unknown-linux-gnu/bin (the system profile links with it): sudo apt-get install --no-install-recommends rust-web-llvm lld-22',
    );
    expect(result.status).toBe(1);
  });

  it("only warns, with the fix, about the tools the Limine runner needs", () => {
    const machine = completeDebian().remove('curl', 'make', 'cc');
    const result = doctor(machine);
    const why = 'only needed for Limine kernels, whose runner fetches Limine and builds its host tool';
    expect(result.lines.slice(-5, -2)).toEqual([
      `warning  curl not found; ${why}: sudo apt-get install --no-install-recommends curl ca-certificates`,
      `warning  make not found; ${why}: sudo apt-get install --no-install-recommends make`,
      `warning  cc not found; ${why}: sudo apt-get install --no-install-recommends gcc libc6-dev`,
    ]);
    expect(result.status).toBe(0);
    // Any C compiler will do.
    expect(doctor(machine.tool('gcc', '/usr/bin/gcc')).lines).toContain('ok       cc /usr/bin/gcc');
  });

  it('only warns about a missing GDB, with the install command', () => {
    const result = doctor(completeDebian().remove('gdb'));
    expect(result.lines.slice(-2)).toEqual([
      `warning  gdb not found; ${DEBUG_ONLY}: sudo apt-get install --no-install-recommends gdb`,
      'ready: nothing needed is missing, 1 warning; --toolchain auto picks rustup-stable',
    ]);
    expect(result.status).toBe(0);
  });

  it('takes the firmware from OVMF_CODE like the runner, and warns when it does not exist', () => {
    const machine = completeDebian();
    machine.ovmfCode = '/srv/firmware/CODE.fd';
    expect(doctor(machine).lines).toContain(`warning  OVMF OVMF_CODE=/srv/firmware/CODE.fd does not exist; ${UEFI_ONLY}: unset OVMF_CODE`);
    machine.file('/srv/firmware/CODE.fd');
    expect(doctor(machine).lines).toContain('ok       OVMF /srv/firmware/CODE.fd (OVMF_CODE)');
  });
});

describe('doctor on other systems', () => {
  it('uses dnf names on Fedora, grub2-mkrescue and edk2 firmware', () => {
    const machine = withRustup(new FakeMachine('linux', FEDORA_40), { stableTarget: true, nightly: false, firstInPath: true })
      .tool('curl', '/usr/bin/curl').tool('make', '/usr/bin/make').tool('cc', '/usr/bin/cc')
      .tool('grub2-mkrescue', '/usr/bin/grub2-mkrescue', { '--help': grubHelp('/usr/lib/grub') })
      .directory('/usr/lib/grub/i386-pc')
      .tool('mformat', '/usr/bin/mformat')
      .tool('timeout', '/usr/bin/timeout')
      .file('/usr/share/edk2/ovmf/OVMF_CODE.fd', '/usr/share/edk2/ovmf/OVMF_VARS.fd');
    const result = doctor(machine);
    expect(result.lines).toEqual([
      'platform Fedora Linux 40 (Workstation Edition) (fixes use dnf)',
      `ok       rustc 1.95.0 (${RUSTUP}/rustc, rustup)`,
      `ok       cargo ${RUSTUP_CARGO_VERSION} (${RUSTUP}/cargo)`,
      'ok       rustup-stable profile usable: stable toolchain with the x86_64-unknown-none target',
      'warning  rustup-nightly profile unusable: rustup has no nightly toolchain: rustup toolchain install nightly --profile minimal --component rust-src,rustfmt,clippy',
      `warning  system profile unusable: no system rustc found: no dnf package is known to ship a rustc with vendored std sources (Debian: ${DEBIAN_SYSTEM_RUST_INSTALL}); use a rustup profile`,
      'missing  qemu-system-x86_64 not found: sudo dnf install qemu-system-x86-core',
      'ok       grub2-mkrescue /usr/bin/grub2-mkrescue',
      'ok       GRUB i386-pc (BIOS) /usr/lib/grub/i386-pc',
      `warning  GRUB x86_64-efi (UEFI) not found in /usr/lib/grub; ${UEFI_ONLY}: sudo dnf install grub2-efi-x64-modules`,
      'missing  xorriso not found: sudo dnf install xorriso',
      'ok       mformat (mtools) /usr/bin/mformat',
      'ok       timeout (coreutils) /usr/bin/timeout',
      'ok       OVMF /usr/share/edk2/ovmf/OVMF_CODE.fd with /usr/share/edk2/ovmf/OVMF_VARS.fd',
      'ok       curl /usr/bin/curl',
      'ok       make /usr/bin/make',
      'ok       cc /usr/bin/cc',
      `warning  gdb not found; ${DEBUG_ONLY}: sudo dnf install gdb`,
      'not ready: 2 needed items missing (qemu-system-x86_64; xorriso), 4 warnings',
    ]);
    expect(result.status).toBe(1);
  });

  it('uses pacman names on an Arch derivative (ID_LIKE=arch): grub, libisoburn for xorriso', () => {
    const machine = withRustup(new FakeMachine('linux', MANJARO), { stableTarget: true, nightly: true, firstInPath: true })
      .tool('curl', '/usr/bin/curl').tool('make', '/usr/bin/make').tool('cc', '/usr/bin/cc')
      .tool('qemu-system-x86_64', '/usr/bin/qemu-system-x86_64', { '--version': 'QEMU emulator version 9.2.0\n' })
      .tool('mformat', '/usr/bin/mformat')
      .tool('timeout', '/usr/bin/timeout')
      .file('/usr/share/edk2/x64/OVMF_CODE.4m.fd', '/usr/share/edk2/x64/OVMF_VARS.4m.fd');
    const result = doctor(machine);
    expect(result.lines.slice(-13)).toEqual([
      'ok       qemu-system-x86_64 QEMU emulator version 9.2.0 (/usr/bin/qemu-system-x86_64)',
      'missing  grub-mkrescue not found (nor grub2-mkrescue): sudo pacman -S --needed grub',
      'missing  GRUB i386-pc (BIOS) not found in /usr/lib/grub, /usr/share/grub2, /usr/local/lib/grub: sudo pacman -S --needed grub',
      `warning  GRUB x86_64-efi (UEFI) not found in /usr/lib/grub, /usr/share/grub2, /usr/local/lib/grub; ${UEFI_ONLY}: sudo pacman -S --needed grub`,
      'missing  xorriso not found: sudo pacman -S --needed libisoburn',
      'ok       mformat (mtools) /usr/bin/mformat',
      'ok       timeout (coreutils) /usr/bin/timeout',
      'ok       OVMF /usr/share/edk2/x64/OVMF_CODE.4m.fd with /usr/share/edk2/x64/OVMF_VARS.4m.fd',
      'ok       curl /usr/bin/curl',
      'ok       make /usr/bin/make',
      'ok       cc /usr/bin/cc',
      `warning  gdb not found; ${DEBUG_ONLY}: sudo pacman -S --needed gdb`,
      'not ready: 3 needed items missing (grub-mkrescue; GRUB i386-pc (BIOS); xorriso), 3 warnings',
    ]);
    expect(result.lines[0]).toBe('platform Manjaro Linux (fixes use pacman)');
    expect(result.status).toBe(1);
  });

  it("uses brew on macOS: Homebrew's prefixed GRUB, gtimeout, QEMU's bundled firmware", () => {
    const brew = '/opt/homebrew';
    const grubLibrary = `${brew}/Cellar/x86_64-elf-grub/2.06/lib/x86_64-elf/grub`;
    const machine = withRustup(new FakeMachine('darwin', undefined), { stableTarget: true, nightly: false, firstInPath: true })
      .tool('curl', '/usr/bin/curl').tool('make', '/usr/bin/make').tool('cc', '/usr/bin/cc')
      .tool('qemu-system-x86_64', `${brew}/bin/qemu-system-x86_64`, { '--version': 'QEMU emulator version 10.1.0\n' })
      .tool('x86_64-elf-grub-mkrescue', `${brew}/bin/x86_64-elf-grub-mkrescue`, { '--help': grubHelp(grubLibrary) })
      .directory(`${grubLibrary}/i386-pc`)
      .tool('gtimeout', `${brew}/bin/gtimeout`)
      .file(`${brew}/share/qemu/edk2-x86_64-code.fd`);
    const result = doctor(machine);
    expect(result.lines[0]).toBe('platform macOS (fixes use brew)');
    expect(result.lines.slice(-13)).toEqual([
      `ok       qemu-system-x86_64 QEMU emulator version 10.1.0 (${brew}/bin/qemu-system-x86_64)`,
      `missing  grub-mkrescue not found, but ${brew}/bin/x86_64-elf-grub-mkrescue is: the runner runs grub-mkrescue: ln -s ${brew}/bin/x86_64-elf-grub-mkrescue ${brew}/bin/grub-mkrescue`,
      `ok       GRUB i386-pc (BIOS) ${grubLibrary}/i386-pc`,
      `warning  GRUB x86_64-efi (UEFI) not found in ${grubLibrary}; ${UEFI_ONLY}: Homebrew has no GRUB for UEFI: build GRUB from source with --target=x86_64 --with-platform=efi`,
      'missing  xorriso not found: brew install xorriso',
      'missing  mformat (mtools) not found: brew install mtools',
      `missing  timeout (coreutils) not found, but ${brew}/bin/gtimeout is: put coreutils' gnubin first in PATH: export PATH="$(brew --prefix)/opt/coreutils/libexec/gnubin:$PATH"`,
      `ok       OVMF ${brew}/share/qemu/edk2-x86_64-code.fd`,
      'ok       curl /usr/bin/curl',
      'ok       make /usr/bin/make',
      'ok       cc /usr/bin/cc',
      `warning  gdb not found; ${DEBUG_ONLY}: brew install x86_64-elf-gdb`,
      'not ready: 4 needed items missing (grub-mkrescue; xorriso; mformat (mtools); timeout (coreutils)), 4 warnings',
    ]);
    expect(result.status).toBe(1);
    // Homebrew's GDB for x86_64 ELF goes by its own name.
    expect(doctor(machine.tool('x86_64-elf-gdb', `${brew}/bin/x86_64-elf-gdb`)).lines).toContain(`ok       gdb ${brew}/bin/x86_64-elf-gdb`);
  });

  it('on macOS without coreutils, installs it and puts its gnubin first', () => {
    const machine = withRustup(new FakeMachine('darwin', undefined), { stableTarget: true, nightly: true, firstInPath: true });
    expect(doctor(machine).lines).toContain(
      'missing  timeout (coreutils) not found: brew install coreutils && export PATH="$(brew --prefix)/opt/coreutils/libexec/gnubin:$PATH"',
    );
  });

  it('names the tool when it cannot tell the package manager', () => {
    const machine = withRustup(new FakeMachine('linux', GENTOO), { stableTarget: true, nightly: true, firstInPath: true });
    const result = doctor(machine);
    expect(result.lines[0]).toBe("platform Gentoo Linux (no known package manager: install with the system's)");
    expect(result.lines).toContain("missing  xorriso not found: install xorriso with the system's package manager");
    expect(result.lines).toContain(
      "missing  qemu-system-x86_64 not found: install QEMU (qemu-system-x86_64) with the system's package manager",
    );
  });
});

describe('detectPlatform', () => {
  it.each([
    ['ID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\n', 'Ubuntu 24.04.1 LTS', 'apt'],
    ['ID=linuxmint\nID_LIKE="ubuntu debian"\nNAME="Linux Mint"\n', 'Linux Mint', 'apt'],
    ["ID='rocky'\nID_LIKE='rhel centos fedora'\nPRETTY_NAME='Rocky Linux 9.4 (Blue Onyx)'\n", 'Rocky Linux 9.4 (Blue Onyx)', 'dnf'],
    ['ID=endeavouros\nID_LIKE=arch\nPRETTY_NAME="EndeavourOS"\n', 'EndeavourOS', 'pacman'],
    ['ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\nPRETTY_NAME="openSUSE Tumbleweed"\n', 'openSUSE Tumbleweed', undefined],
    ['ID=constructor\n', 'Linux', undefined],
  ])('reads os-release %#', (osRelease, description, packageManager) => {
    expect(detectPlatform('linux', osRelease)).toEqual({ description, packageManager });
  });

  it('knows macOS without os-release, and nothing of other systems', () => {
    expect(detectPlatform('darwin', undefined)).toEqual({ description: 'macOS', packageManager: 'brew' });
    expect(detectPlatform('win32', undefined)).toEqual({ description: 'win32', packageManager: undefined });
    expect(detectPlatform('linux', undefined)).toEqual({ description: 'linux', packageManager: undefined });
  });
});

describe('grubLibraryDirectory', () => {
  it("reads grub-mkrescue's compiled-in directory from its --help", () => {
    expect(grubLibraryDirectory(grubHelp('/usr/lib/grub'))).toBe('/usr/lib/grub');
    expect(grubLibraryDirectory('Usage: grub-mkrescue [OPTION...]\n')).toBeUndefined();
  });
});

describe('doctor --json', () => {
  it('prints one JSON object and nothing else', () => {
    const result = doctor(completeDebian().remove('xorriso'), ['--json']);
    const report = JSON.parse(result.stdout) as Record<string, unknown> & { checks: Record<string, unknown>[] };
    expect(Object.keys(report).sort()).toEqual(['checks', 'platform', 'ready', 'recommendedToolchain']);
    expect(report.ready).toBe(false);
    expect(report.platform).toEqual({ description: 'Debian GNU/Linux 12 (bookworm)', packageManager: 'apt' });
    expect(report.recommendedToolchain).toBe('rustup-stable');
    expect(report.checks).toHaveLength(18);
    for (const check of report.checks) {
      expect(Object.keys(check).sort()).toEqual(['detail', 'fix', 'name', 'needed', 'status']);
      expect(['ok', 'missing', 'warning']).toContain(check.status);
    }
    expect(report.checks.find((check) => check.name === 'xorriso')).toEqual({
      name: 'xorriso',
      status: 'missing',
      detail: 'not found',
      fix: ['sudo apt-get install --no-install-recommends xorriso'],
      needed: true,
    });
    expect(report.checks.find((check) => check.name === 'OVMF')).toEqual({
      name: 'OVMF',
      status: 'ok',
      detail: '/usr/share/OVMF/OVMF_CODE_4M.fd with /usr/share/OVMF/OVMF_VARS_4M.fd',
      fix: [],
      needed: false,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
  });
});

describe('doctor usage', () => {
  /** A machine that must not be looked at: usage errors come before any check. */
  const untouchable = {
    machine: (): DoctorMachine => {
      const fail = () => {
        throw new Error('the machine was probed');
      };
      return { probe: { run: fail, which: fail, isFile: fail, isDirectory: fail }, os: 'linux', osRelease: DEBIAN_12, ovmfCodeOverride: undefined };
    },
  } as unknown as FakeMachine;

  it.each([
    [['--bogus'], "error: unknown option '--bogus' (see baremetal-kernel doctor --help)\n"],
    [['--jsn'], "error: unknown option '--jsn'; did you mean '--json'? (see baremetal-kernel doctor --help)\n"],
    [['now'], "error: unexpected argument 'now' (see baremetal-kernel doctor --help)\n"],
    [['--json=yes'], "error: --json takes no value (see baremetal-kernel doctor --help)\n"],
  ])('rejects %j with one line on stderr and status 2', (args, message) => {
    const result = doctor(untouchable, args);
    expect(result.stderr).toBe(message);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(2);
  });

  it('prints help on --help and -h', () => {
    for (const flag of ['--help', '-h']) {
      const result = doctor(untouchable, [flag]);
      expect(result.stdout.split('\n')[0]).toBe('Usage: baremetal-kernel doctor [options]');
      expect(result.stdout).toMatch(/\n {2}--json +print one JSON object instead\n {2}-h, --help +show this help\n/);
      expect(result.status).toBe(0);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The boot checks come from the protocols' rows: a new protocol is one row in the target model.

/** The report's lines for `machine` when the protocols are `protocols`, the first the default. */
function linesFor(machine: FakeMachine, protocols: readonly BootProtocol[]): string[] {
  return formatReport(diagnose(machine.machine(), protocols, protocols[0]!.name));
}

/** The lines of the boot checks: without the platform, the Rust checks and the summary. */
const bootLines = (lines: readonly string[]) => lines.slice(1, -1).filter((line) => !/^\S+ +(rustc|cargo|rust-lld|\S+ profile) /.test(line));

describe('doctor derives its boot checks from the protocols’ rows', () => {
  it('names in --help every requirement a runner names, and as warnings exactly the optional ones', () => {
    const help = doctor(completeDebian(), ['--help']).stdout.replace(/\s+/g, ' ');
    const needs = bootNeeds();
    for (const need of needs) expect(help).toContain(need.requirement.name);
    const warned = /\(([^)]*) only warn:/.exec(help)?.[1];
    const optional = needs.filter((need) => !need.needed).map((need) => need.requirement.name);
    expect(warned).toBe(`${optional.slice(0, -1).join(', ')} and ${optional[optional.length - 1]}`);
    expect(warned).toContain('OVMF');
    expect(warned).not.toContain('QEMU');
  });

  const LIMINE_WHY = 'only needed for Limine kernels, whose runner fetches Limine and builds its host tool';

  it('needs what the default protocol boots with, and says why the rest is optional', () => {
    const needs = bootNeeds();
    expect(needs.filter((need) => need.needed).map((need) => need.requirement.key)).toEqual(['qemu', 'grubMkrescue', 'grubBios', 'xorriso', 'mtools', 'timeout']);
    expect(Object.fromEntries(needs.filter((need) => !need.needed).map((need) => [need.requirement.key, need.optional]))).toEqual({
      grubUefi: UEFI_ONLY,
      ovmf: UEFI_ONLY,
      curl: LIMINE_WHY,
      make: LIMINE_WHY,
      cCompiler: LIMINE_WHY,
      gdb: DEBUG_ONLY,
    });
  });

  it('has a check for every requirement a row can name, and names each line differently', () => {
    const everything: BootProtocol = {
      ...findBootProtocol('multiboot2')!,
      hostRequirements: HOST_REQUIREMENTS.filter((requirement) => !['rustLld', 'cargo'].includes(requirement.key)).map((requirement) => ({
        requirement: requirement.key,
        use: 'boot',
        why: 'needs it',
      })),
    };
    for (const machine of [completeDebian(), withRustup(new FakeMachine('linux', DEBIAN_12), { stableTarget: true, nightly: false, firstInPath: true })]) {
      const rust = /^(rustc|cargo|rust-lld|\S+ profile)$/;
      const names = diagnose(machine.machine(), [everything], everything.name).checks.map((check) => check.name).filter((name) => !rust.test(name));
      expect(names).toHaveLength(everything.hostRequirements.length);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('checks only what the given rows name: no GRUB without multiboot2, no curl without Limine', () => {
    const multiboot2 = findBootProtocol('multiboot2')!;
    const limine = findBootProtocol('limine')!;
    const onlyMultiboot2 = bootLines(linesFor(completeDebian(), [multiboot2])).join('\n');
    expect(onlyMultiboot2).toContain('grub-mkrescue');
    expect(onlyMultiboot2).not.toMatch(/curl|make|\bcc\b/);
    // Limine as the only (and default) protocol: curl, make and cc are needed, GRUB and mtools gone.
    const lines = linesFor(completeDebian().remove('curl'), [limine]);
    expect(bootLines(lines).map((line) => line.split(' ').filter(Boolean).slice(0, 2).join(' '))).toEqual([
      'ok qemu-system-x86_64',
      'ok xorriso',
      'ok timeout',
      'ok OVMF',
      'missing curl',
      'ok make',
      'ok cc',
      'ok gdb',
    ]);
    expect(lines).toContain('missing  curl not found: sudo apt-get install --no-install-recommends curl ca-certificates');
  });

  it('takes a new protocol from its row alone: what it boots with is needed, its extras optional', () => {
    const row: BootProtocol = {
      ...findBootProtocol('limine')!,
      name: 'newboot' as BootProtocolName,
      loader: 'Newboot',
      hostRequirements: [
        { requirement: 'qemu', use: 'boot', why: 'boots it' },
        // A protocol that boots only on UEFI firmware: OVMF on every boot.
        { requirement: 'ovmf', use: 'boot', why: 'boots it on UEFI' },
        { requirement: 'make', use: 'debug', why: 'builds a debugger' },
      ],
    };
    const machine = completeDebian().remove('make').removeFile('/usr/share/OVMF/OVMF_CODE_4M.fd');
    const lines = linesFor(machine, [row, ...BOOT_PROTOCOLS]);
    expect(lines).toContain('missing  OVMF not found: sudo apt-get install --no-install-recommends ovmf');
    expect(lines).toContain(`warning  make not found; ${DEBUG_ONLY}: sudo apt-get install --no-install-recommends make`);
    // Multiboot2 is not the default here: GRUB is what its kernels need, not this machine's default.
    expect(lines).toContain('ok       grub-mkrescue /usr/bin/grub-mkrescue');
    const grubless = completeDebian().remove('grub-mkrescue');
    expect(linesFor(grubless, [row, ...BOOT_PROTOCOLS])).toContain(
      'warning  grub-mkrescue not found (nor grub2-mkrescue); only needed for GRUB 2 kernels, whose runner makes a GRUB ISO: sudo apt-get install --no-install-recommends grub-common',
    );
  });
});
