import { describe, expect, it } from 'vitest';
import { MINIMUM_RUST_VERSION, SHARED_SYSROOT, compareVersions, detectToolchains, findToolchain, sharedSysrootRoot, type CommandResult, type MachineProbe } from '../src/index.js';

/** A fake machine: commands keyed by `command arg arg`, and a set of directories. */
function fakeMachine(commands: Record<string, string | CommandResult>, directories: string[] = []): MachineProbe {
  return {
    run(command, args) {
      const entry = commands[[command, ...args].join(' ')];
      if (entry === undefined) {
        const known = Object.keys(commands).some((key) => key.split(' ')[0] === command);
        return known ? { ok: false, stdout: '' } : undefined;
      }
      return typeof entry === 'string' ? { ok: true, stdout: entry } : entry;
    },
    isDirectory: (path) => directories.includes(path),
  };
}

const RUSTUP_SYSROOT = '/home/me/.rustup/toolchains/stable-x86_64-unknown-linux-gnu';
const rustc = (version: string) => `rustc ${version}\nbinary: rustc\nhost: x86_64-unknown-linux-gnu\nrelease: ${version}\n`;

const rustupStableWithTarget = {
  'rustc -vV': rustc('1.95.0'),
  'rustc --print sysroot': RUSTUP_SYSROOT,
  'rustup toolchain list': 'stable-x86_64-unknown-linux-gnu (default)\n',
  'rustup target list --installed --toolchain stable': 'x86_64-unknown-linux-gnu\nx86_64-unknown-none\n',
};

describe('detectToolchains', () => {
  it('finds rustup stable with the target and recommends it', () => {
    const report = detectToolchains(fakeMachine(rustupStableWithTarget));
    expect(report.rustc).toEqual({
      command: 'rustc',
      version: '1.95.0',
      host: 'x86_64-unknown-linux-gnu',
      sysroot: RUSTUP_SYSROOT,
      managedByRustup: true,
    });
    expect(report.statuses.map((status) => [status.name, status.usable])).toEqual([
      ['rustup-stable', true],
      ['rustup-nightly', false],
      ['system', false],
    ]);
    expect(report.recommended).toBe('rustup-stable');
    expect(report.statuses[1]!.fix).toEqual(['rustup toolchain install nightly --profile minimal --component rust-src,rustfmt,clippy']);
  });

  it('says to add the target when rustup stable lacks it', () => {
    const report = detectToolchains(
      fakeMachine({ ...rustupStableWithTarget, 'rustup target list --installed --toolchain stable': 'x86_64-unknown-linux-gnu\n' }),
    );
    expect(report.statuses[0]).toEqual({
      name: 'rustup-stable',
      usable: false,
      detail: 'the stable toolchain lacks the x86_64-unknown-none target',
      fix: ['rustup target add x86_64-unknown-none'],
    });
    expect(report.recommended).toBeUndefined();
  });

  it('finds nightly with rust-src, and says to add rust-src when it is missing', () => {
    const machine = {
      ...rustupStableWithTarget,
      'rustup toolchain list': 'stable-x86_64-unknown-linux-gnu\nnightly-x86_64-unknown-linux-gnu (default)\n',
      'rustup target list --installed --toolchain stable': 'x86_64-unknown-linux-gnu\n',
      'rustup component list --installed --toolchain nightly': 'cargo-x86_64-unknown-linux-gnu\nrust-src\nrustc-x86_64-unknown-linux-gnu\n',
    };
    expect(detectToolchains(fakeMachine(machine)).recommended).toBe('rustup-nightly');
    const withoutSrc = { ...machine, 'rustup component list --installed --toolchain nightly': 'cargo-x86_64-unknown-linux-gnu\n' };
    expect(detectToolchains(fakeMachine(withoutSrc)).statuses[1]).toEqual({
      name: 'rustup-nightly',
      usable: false,
      detail: 'the nightly toolchain lacks the rust-src component',
      fix: ['rustup component add rust-src --toolchain nightly'],
    });
  });

  it("finds Debian's toolchain behind a rustup that comes first in PATH (this project's CI machine)", () => {
    const machine = fakeMachine(
      {
        'rustc -vV': rustc('1.95.0'),
        'rustc --print sysroot': RUSTUP_SYSROOT,
        'rustup toolchain list': 'stable-x86_64-unknown-linux-gnu (default)\n',
        'rustup target list --installed --toolchain stable': 'x86_64-unknown-linux-gnu\n',
        '/usr/bin/rustc -vV': rustc('1.96.0'),
        '/usr/bin/rustc --print sysroot': '/usr\n',
      },
      ['/usr/lib/rustlib/src/rust/library/vendor'],
    );
    const report = detectToolchains(machine);
    expect(report.recommended).toBe('system');
    expect(report.systemVendorDirectory).toBe('/usr/lib/rustlib/src/rust/library/vendor');
    expect(report.statuses[2]).toEqual({
      name: 'system',
      usable: true,
      detail: 'rustc 1.96.0 at /usr/bin/rustc with vendored rust-src; rustup comes first in PATH: put /usr/bin first',
      fix: ['export PATH=/usr/bin:$PATH'],
    });
  });

  it('uses a system rustc first in PATH without rustup', () => {
    const machine = fakeMachine(
      { 'rustc -vV': rustc('1.96.0'), 'rustc --print sysroot': '/usr\n' },
      ['/usr/lib/rustlib/src/rust/library/vendor'],
    );
    const report = detectToolchains(machine);
    expect(report.statuses[0]!.detail).toBe('rustup is not installed');
    // Named by where it lives, <sysroot>/bin/rustc, not by the command.
    expect(report.statuses[2]).toMatchObject({ usable: true, detail: 'rustc 1.96.0 at /usr/bin/rustc with vendored rust-src', fix: [] });
  });

  it('rejects a system rustc without vendored sources or older than the minimum', () => {
    const noSource = fakeMachine({ 'rustc -vV': rustc('1.96.0'), 'rustc --print sysroot': '/usr\n' });
    expect(detectToolchains(noSource).statuses[2]).toMatchObject({
      usable: false,
      detail: 'system rustc 1.96.0 at /usr/bin/rustc has no vendored rust-src (/usr/lib/rustlib/src/rust/library/vendor)',
    });
    const old = fakeMachine({ 'rustc -vV': rustc('1.63.0'), 'rustc --print sysroot': '/usr\n' }, ['/usr/lib/rustlib/src/rust/library/vendor']);
    expect(detectToolchains(old).statuses[2]).toMatchObject({ usable: false, detail: 'system rustc 1.63.0 is older than 1.85.0' });
  });

  it('reports a machine without Rust', () => {
    const report = detectToolchains(fakeMachine({}));
    expect(report.rustc).toBeUndefined();
    expect(report.recommended).toBeUndefined();
    expect(report.statuses.map((status) => status.detail)).toEqual([
      'rustup is not installed',
      'rustup is not installed',
      'no system rustc found',
    ]);
    expect(report.statuses[0]!.fix[0]).toMatch(/sh\.rustup\.rs/);
  });
});

describe('compareVersions', () => {
  it.each([
    ['1.96.0', '1.85.0', 1],
    ['1.85.0', '1.85.0', 0],
    ['1.9.0', '1.85.0', -1],
    ['1.86.0-nightly', '1.85.0', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
});

describe('the minimum Rust version, at its boundary', () => {
  const vendor = '/usr/lib/rustlib/src/rust/library/vendor';
  const systemRustc = (version: string) =>
    detectToolchains(fakeMachine({ 'rustc -vV': rustc(version), 'rustc --print sysroot': '/usr\n' }, [vendor])).statuses[2]!;
  const [major, minor, patch] = MINIMUM_RUST_VERSION.split('.').map(Number) as [number, number, number];

  it(`accepts exactly ${MINIMUM_RUST_VERSION} and the next patch release`, () => {
    expect(systemRustc(MINIMUM_RUST_VERSION)).toMatchObject({ usable: true, detail: `rustc ${MINIMUM_RUST_VERSION} at /usr/bin/rustc with vendored rust-src` });
    expect(systemRustc(`${major}.${minor}.${patch + 1}`).usable).toBe(true);
  });

  it('refuses the release just below: the previous patch, and the previous minor whatever its patch', () => {
    const previousPatch = patch > 0 ? [`${major}.${minor}.${patch - 1}`] : [];
    for (const below of [...previousPatch, `${major}.${minor - 1}.0`, `${major}.${minor - 1}.99`]) {
      expect(systemRustc(below), below).toMatchObject({ usable: false, detail: `system rustc ${below} is older than ${MINIMUM_RUST_VERSION}` });
    }
  });

  it('compares each part as a number, not as text', () => {
    // As text, "1.100.0" sorts before "1.85.0" and "1.9.0" after it.
    expect(systemRustc(`${major}.100.0`).usable).toBe(true);
    expect(systemRustc(`${major}.9.0`).usable).toBe(false);
  });
});

describe('detectToolchains, each answer of the machine', () => {
  const vendor = '/usr/lib/rustlib/src/rust/library/vendor';

  it('reads `rustc -vV` with CRLF line ends, and gives up on output without a release, a host or a sysroot', () => {
    const crlf = fakeMachine({ 'rustc -vV': rustc('1.95.0').replaceAll('\n', '\r\n'), 'rustc --print sysroot': '/usr\r\n' });
    expect(detectToolchains(crlf).rustc).toMatchObject({ version: '1.95.0', host: 'x86_64-unknown-linux-gnu', sysroot: '/usr' });
    const trailingSpaces = fakeMachine({ 'rustc -vV': 'release: 1.95.0  \nhost: x86_64-unknown-linux-gnu \n', 'rustc --print sysroot': '/usr\n' });
    expect(detectToolchains(trailingSpaces).rustc).toMatchObject({ version: '1.95.0', host: 'x86_64-unknown-linux-gnu' });
    const broken = [
      { 'rustc -vV': 'rustc 1.95.0\nhost: x86_64-unknown-linux-gnu\n', 'rustc --print sysroot': '/usr\n' },
      { 'rustc -vV': 'rustc 1.95.0\nrelease: 1.95.0\n', 'rustc --print sysroot': '/usr\n' },
      { 'rustc -vV': rustc('1.95.0'), 'rustc --print sysroot': { ok: false, stdout: '' } },
    ];
    for (const commands of broken) expect(detectToolchains(fakeMachine(commands)).rustc).toBeUndefined();
    // A probe that cannot run `--print sysroot` at all.
    const noSysroot: MachineProbe = {
      run: (command, args) => (command === 'rustc' && args[0] === '-vV' ? { ok: true, stdout: rustc('1.95.0') } : undefined),
      isDirectory: () => false,
    };
    expect(detectToolchains(noSysroot).rustc).toBeUndefined();
  });

  it("knows rustup's toolchains wherever RUSTUP_HOME is, and only by a directory named rustup", () => {
    const managed = (sysroot: string) =>
      detectToolchains(fakeMachine({ 'rustc -vV': rustc('1.95.0'), 'rustc --print sysroot': sysroot })).rustc?.managedByRustup;
    expect(managed('/home/me/.rustup/toolchains/stable-x86_64-unknown-linux-gnu')).toBe(true);
    expect(managed('/opt/rustup/toolchains/stable-x86_64-unknown-linux-gnu')).toBe(true);
    expect(managed('/home/me/notrustup/toolchains/stable')).toBe(false);
    expect(managed('/usr')).toBe(false);
  });

  it('says to install a stable toolchain when rustup has only nightly', () => {
    const report = detectToolchains(fakeMachine({ 'rustup toolchain list': 'nightly-x86_64-unknown-linux-gnu (default)\n' }));
    expect(report.statuses[0]).toEqual({
      name: 'rustup-stable',
      usable: false,
      detail: 'rustup has no stable toolchain',
      fix: ['rustup toolchain install stable --profile minimal', 'rustup target add x86_64-unknown-none'],
    });
    expect(report.statuses[1]!.detail).toBe('the nightly toolchain lacks the rust-src component');
  });

  it('finds stable among other toolchains, with rustup listing in CRLF and with blank lines', () => {
    const report = detectToolchains(
      fakeMachine({
        'rustup toolchain list': 'nightly-x86_64-unknown-linux-gnu\r\n\r\nstable-x86_64-unknown-linux-gnu (default)\r\n',
        'rustup target list --installed --toolchain stable': 'x86_64-unknown-linux-gnu\r\nx86_64-unknown-none\r\n',
      }),
    );
    expect(report.statuses[0]).toEqual({ name: 'rustup-stable', usable: true, detail: 'stable toolchain with the x86_64-unknown-none target', fix: [] });
  });

  it('counts a rustup that cannot list targets or components as lacking them', () => {
    const partial: MachineProbe = {
      run: (command, args) =>
        command === 'rustup' && args[0] === 'toolchain' ? { ok: true, stdout: 'stable-x\nnightly-x\n' } : undefined,
      isDirectory: () => false,
    };
    const report = detectToolchains(partial);
    expect(report.statuses.slice(0, 2).map((status) => [status.usable, status.detail])).toEqual([
      [false, 'the stable toolchain lacks the x86_64-unknown-none target'],
      [false, 'the nightly toolchain lacks the rust-src component'],
    ]);
  });

  it('says what makes nightly usable: rustup itself, then the toolchain', () => {
    const none = detectToolchains(fakeMachine({}));
    expect(none.statuses[1]!.fix).toEqual([
      expect.stringMatching(/sh\.rustup\.rs/),
      'rustup toolchain install nightly --profile minimal --component rust-src,rustfmt,clippy',
    ]);
    const stableOnly = detectToolchains(fakeMachine({ 'rustup toolchain list': 'stable-x86_64-unknown-linux-gnu\n' }));
    expect(stableOnly.statuses[1]).toEqual({
      name: 'rustup-nightly',
      usable: false,
      detail: 'rustup has no nightly toolchain',
      fix: ['rustup toolchain install nightly --profile minimal --component rust-src,rustfmt,clippy'],
    });
    const ready = detectToolchains(
      fakeMachine({
        'rustup toolchain list': 'nightly-x86_64-unknown-linux-gnu\n',
        'rustup component list --installed --toolchain nightly': 'rust-src\n',
      }),
    );
    expect(ready.statuses[1]).toEqual({ name: 'rustup-nightly', usable: true, detail: 'nightly toolchain with rust-src', fix: [] });
    expect(ready.recommended).toBe('rustup-nightly');
  });

  it('finds a system rustc outside PATH, in /usr/local/bin too, and says PATH is what it lacks', () => {
    const machine = fakeMachine(
      { '/usr/local/bin/rustc -vV': rustc('1.90.0'), '/usr/local/bin/rustc --print sysroot': '/usr/local\n' },
      ['/usr/local/lib/rustlib/src/rust/library/vendor'],
    );
    const report = detectToolchains(machine);
    expect(report.rustc).toBeUndefined();
    // Cargo runs the rustc in PATH: without one there, the profile cannot build anything.
    expect(report.statuses[2]).toEqual({
      name: 'system',
      usable: false,
      detail: 'rustc 1.90.0 at /usr/local/bin/rustc with vendored rust-src, but /usr/local/bin is not in PATH (cargo runs the rustc in PATH)',
      fix: ['export PATH=/usr/local/bin:$PATH'],
    });
    expect(report.systemRustcOffPath).toBe('/usr/local/bin/rustc');
    expect(report.recommended).toBeUndefined();
  });

  it('says to install the vendored sources when a system rustc has none', () => {
    const machine = fakeMachine({ '/usr/bin/rustc -vV': rustc('1.96.0'), '/usr/bin/rustc --print sysroot': '/usr\n' });
    const system = detectToolchains(machine).statuses[2]!;
    expect(system.usable).toBe(false);
    expect(system.fix).toEqual([expect.stringMatching(/^sudo apt-get install --no-install-recommends .*rust-web-src/)]);
    expect(detectToolchains(fakeMachine({}, [vendor])).statuses[2]!.fix).toEqual(findToolchain('system')!.setup);
  });
});

describe('sharedSysrootRoot: where the shared sysroots are, as .cargo/sysroot-rustc finds them', () => {
  const home = '/home/ada';
  it('takes the override variable first', () => {
    expect(sharedSysrootRoot({ env: { [SHARED_SYSROOT.directoryVariable]: '/srv/sysroots', XDG_CACHE_HOME: '/x' }, platform: 'linux', home })).toBe('/srv/sysroots');
  });
  it('else XDG_CACHE_HOME, else ~/.cache, on Linux and the other Unixes', () => {
    expect(sharedSysrootRoot({ env: { XDG_CACHE_HOME: '/var/cache/ada' }, platform: 'linux', home })).toBe('/var/cache/ada/baremetal-kernel/sysroots');
    expect(sharedSysrootRoot({ env: { XDG_CACHE_HOME: '' }, platform: 'freebsd', home })).toBe('/home/ada/.cache/baremetal-kernel/sysroots');
  });
  it('and ~/Library/Caches on macOS, whatever XDG_CACHE_HOME says', () => {
    expect(sharedSysrootRoot({ env: { XDG_CACHE_HOME: '/x' }, platform: 'darwin', home: '/Users/ada' })).toBe('/Users/ada/Library/Caches/baremetal-kernel/sysroots');
  });
});
