import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/commands/doctor.js';
import type { Io } from '../../src/io.js';

// The machine this runs on: Debian (or a derivative) prepared by tools/install-toolchain.sh, which
// installs Debian's Rust in /usr/bin, QEMU, GRUB for BIOS and UEFI, xorriso, mtools and OVMF. A
// rustup toolchain may come first in PATH. Expectations are read from the tools themselves where
// they vary (versions, paths), and are the Debian packages' paths where they do not.

function shell(command: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync('sh', ['-c', command], { encoding: 'utf8', env });
  expect(result.status, `${command}: ${result.stderr}`).toBe(0);
  return result.stdout.trim();
}

function doctor(args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    cwd: process.cwd(),
    env,
    interactive: false,
  };
  const status = runDoctor(args, io);
  return { status, stdout, stderr, lines: stdout.split('\n').filter((line) => line.length > 0) };
}

const DEBIAN_RUSTC_VERSION = /^release: (\S+)$/m.exec(shell('/usr/bin/rustc -vV'))?.[1];

describe('doctor on this machine', { timeout: 60_000 }, () => {
  it('finds everything needed, and the system profile usable', () => {
    const result = doctor([]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.lines[0]).toMatch(/^platform .+ \(fixes use apt\)$/);
    expect(result.lines.filter((line) => line.startsWith('missing'))).toEqual([]);
    const systemProfile = result.lines.find((line) => line.includes(' system profile '));
    expect(systemProfile).toMatch(
      new RegExp(`^(ok|warning) +system profile usable: rustc ${DEBIAN_RUSTC_VERSION!.replaceAll('.', '\\.')} at \\S+ with vendored rust-src`),
    );
    expect(result.lines.at(-1)).toMatch(/^ready: nothing needed is missing(, \d+ warnings?)?; --toolchain auto picks \S+$/);
  });

  it('shows the QEMU that `qemu-system-x86_64 --version` names, where PATH finds it', () => {
    const versionLine = shell('qemu-system-x86_64 --version | head -n 1');
    const path = shell('command -v qemu-system-x86_64');
    expect(doctor([]).lines).toContain(`ok       qemu-system-x86_64 ${versionLine} (${path})`);
  });

  it("finds Debian's GRUB platforms, tools, OVMF and GDB where the packages put them", () => {
    const lines = doctor([]).lines;
    expect(lines).toContain(`ok       ${shell('command -v grub-mkrescue').split('/').at(-1)} ${shell('command -v grub-mkrescue')}`);
    expect(lines).toContain('ok       GRUB i386-pc (BIOS) /usr/lib/grub/i386-pc');
    expect(lines).toContain('ok       GRUB x86_64-efi (UEFI) /usr/lib/grub/x86_64-efi');
    expect(lines).toContain(`ok       xorriso ${shell('command -v xorriso')}`);
    expect(lines).toContain(`ok       mformat (mtools) ${shell('command -v mformat')}`);
    expect(lines).toContain(`ok       timeout (coreutils) ${shell('command -v timeout')}`);
    expect(lines).toContain('ok       OVMF /usr/share/OVMF/OVMF_CODE_4M.fd with /usr/share/OVMF/OVMF_VARS_4M.fd');
    expect(lines).toContain(`ok       gdb ${shell('command -v gdb')}`);
  });

  it("with /usr/bin first in PATH, Debian's rustc answers and the system profile needs nothing more", () => {
    const env = { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` };
    const lines = doctor([], env).lines;
    expect(lines).toContain(`ok       rustc ${DEBIAN_RUSTC_VERSION} (/usr/bin/rustc)`);
    expect(lines).toContain(`ok       system profile usable: rustc ${DEBIAN_RUSTC_VERSION} at /usr/bin/rustc with vendored rust-src`);
    expect(lines).toContain('ok       rust-lld /usr/bin/rust-lld (links kernels with the system profile)');
    expect(lines.find((line) => line.startsWith('ok       cargo '))).toMatch(/^ok {7}cargo cargo \d+\.\d+\.\d+ .*\(\/usr\/bin\/cargo\)$/);
  });

  it("with /usr/bin off PATH, says where Debian's rustc is, and that PATH is the fix", () => {
    // /bin is a link to /usr/bin on a merged-/usr system: keep only what holds neither.
    const env = { ...process.env, PATH: '/usr/local/bin' };
    const lines = doctor([], env).lines;
    expect(lines).toContain('missing  rustc not found in PATH (there is one at /usr/bin/rustc): export PATH=/usr/bin:$PATH');
    expect(lines).toContain('missing  cargo not found: export PATH=/usr/bin:$PATH');
    expect(lines.find((line) => line.includes('system profile'))).toMatch(/^missing  system profile unusable: .* but \/usr\/bin is not in PATH/);
  });

  it('reports the same in JSON', () => {
    const result = doctor(['--json']);
    const report = JSON.parse(result.stdout) as {
      ready: boolean;
      platform: { packageManager: string | null };
      checks: { name: string; status: string; detail: string }[];
    };
    expect(report.ready).toBe(true);
    expect(report.platform.packageManager).toBe('apt');
    expect(report.checks.find((check) => check.name === 'system profile')?.detail).toMatch(/^usable: rustc /);
    expect(report.checks.filter((check) => check.status === 'missing')).toEqual([]);
    expect(result.status).toBe(0);
  });
});
