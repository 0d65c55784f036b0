import { describe, expect, it } from 'vitest';
import { compareVersions, detectToolchains, type CommandResult, type MachineProbe } from '../src/index.js';

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
    expect(report.statuses[2]).toMatchObject({ usable: true, detail: 'rustc 1.96.0 at rustc with vendored rust-src', fix: [] });
  });

  it('rejects a system rustc without vendored sources or older than the minimum', () => {
    const noSource = fakeMachine({ 'rustc -vV': rustc('1.96.0'), 'rustc --print sysroot': '/usr\n' });
    expect(detectToolchains(noSource).statuses[2]).toMatchObject({
      usable: false,
      detail: 'system rustc 1.96.0 at rustc has no vendored rust-src (/usr/lib/rustlib/src/rust/library/vendor)',
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
