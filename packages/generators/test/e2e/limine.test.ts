/**
 * A generated Limine kernel. Limine itself cannot be downloaded here, so: the kernel is built and
 * checked against the protocol's ELF rules; the runner's fetch, verification, cache and ISO steps
 * run against a stand-in release archive; and the boots run only where LIMINE_DIR names a real
 * Limine binary release (a visible skip otherwise, never a pass).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkKernelImage, ET_EXEC, parseElf, permissions } from '@baremetal-kernel/check';
import { LIMINE, LIMINE_RELEASE } from '@baremetal-kernel/target';
import { cacheDirectory, cargo, generate, kernelElf, run } from './support.js';

const NAME = 'limine-os';
const BUILD_TIMEOUT = 300_000;
const targetDirectory = cacheDirectory('e2e-limine-system-baseline');
let directory: string;

beforeAll(() => {
  directory = generate({ name: NAME, boot: 'limine' }).directory;
  const build = cargo(directory, ['build'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
  expect(build.status, build.output).toBe(0);
}, BUILD_TIMEOUT);

/** The little-endian bytes of 64-bit words given as hex strings. */
function wordBytes(words: readonly string[]): Buffer {
  const buffer = Buffer.alloc(words.length * 8);
  words.forEach((word, index) => buffer.writeBigUInt64LE(BigInt(word), index * 8));
  return buffer;
}

describe('a generated Limine kernel', () => {
  it('builds clean, in debug and release, with clippy and rustfmt finding nothing', () => {
    expect(cargo(directory, ['build'], { targetDirectory }).output).not.toMatch(/^warning/m);
    const clippy = cargo(directory, ['clippy', '--all-targets', '--', '-D', 'warnings'], { targetDirectory });
    expect(clippy.status, clippy.output).toBe(0);
    expect(cargo(directory, ['fmt', '--check'], { targetDirectory }).status).toBe(0);
    const release = cargo(directory, ['build', '--release'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(release.status, release.output).toBe(0);
    expect(release.output).not.toMatch(/^warning/m);
  }, BUILD_TIMEOUT);

  it('loads in the higher half with R+X, R and R+W segments on pages of their own', () => {
    const elf = parseElf(readFileSync(kernelElf(targetDirectory, NAME)));
    expect(elf.type).toBe(ET_EXEC);
    expect(elf.entry).toBe(0xffffffff80000000n);
    const loads = elf.loadSegments;
    expect(loads.map((load) => permissions(load.flags))).toEqual(['r-x', 'r--', 'rw-']);
    for (const load of loads) {
      expect(load.vaddr >= 0xffffffff80000000n).toBe(true);
      expect(load.align).toBe(0x1000n);
    }
    // Limine refuses segments with different permissions in one 4 KiB page.
    for (let index = 1; index < loads.length; index++) {
      const previous = loads[index - 1]!;
      expect((previous.vaddr + previous.memsz - 1n) / 4096n < loads[index]!.vaddr / 4096n).toBe(true);
    }
  });

  it('passes every check of the Limine loader rules (baremetal-kernel check)', () => {
    const findings = checkKernelImage(readFileSync(kernelElf(targetDirectory, NAME)), 'limine');
    expect(findings.filter((finding) => finding.level !== 'ok')).toEqual([]);
  });

  it('carries the requests between their markers, with the base revision tag and every ID of the model', () => {
    const image = readFileSync(kernelElf(targetDirectory, NAME));
    const start = image.indexOf(wordBytes(LIMINE.requestsStartMarker));
    const end = image.indexOf(wordBytes(LIMINE.requestsEndMarker));
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const tag = image.indexOf(wordBytes([...LIMINE.baseRevisionMagic, `0x${LIMINE.baseRevision.toString(16).padStart(16, '0')}`]));
    expect(tag).toBeGreaterThan(start);
    expect(tag).toBeLessThan(end);
    const used = [
      'bootloaderInfo',
      'executableCommandLine',
      'firmwareType',
      'stackSize',
      'hhdm',
      'memoryMap',
      'framebuffer',
      'rsdp',
      'executableAddress',
    ] as const;
    for (const name of used) {
      const at = image.indexOf(wordBytes(LIMINE.requests[name]));
      expect(at, name).toBeGreaterThan(start);
      expect(at, name).toBeLessThan(end);
      expect(at % 8, name).toBe(0);
    }
  });

  it('says in one line that it cannot boot without Limine, and fails', () => {
    const boot = cargo(directory, ['run'], {
      targetDirectory,
      env: { LIMINE_URL: join(tmpdir(), 'no-such-limine-binary.tar.gz') },
      timeoutMs: 120_000,
    });
    expect(boot.status).not.toBe(0);
    expect(boot.output).toMatch(
      new RegExp(`^runner: cannot boot: Limine ${LIMINE_RELEASE.version.replaceAll('.', '\\.')} is not in \\.limine/ and downloading .* failed \\(offline\\?\\); set LIMINE_DIR`, 'm'),
    );
    const test = cargo(directory, ['test'], { targetDirectory, env: { LIMINE_URL: join(tmpdir(), 'no-such.tar.gz') }, timeoutMs: BUILD_TIMEOUT });
    expect(test.status).not.toBe(0);
    expect(test.output).toMatch(/^runner: cannot boot: Limine/m);
  }, BUILD_TIMEOUT);

  it('refuses --direct: QEMU cannot load a Limine kernel by itself', () => {
    const boot = cargo(directory, ['run', '--', '--direct'], { targetDirectory });
    expect(boot.status).not.toBe(0);
    expect(boot.output).toMatch(/^runner: there is no direct boot for a Limine kernel/m);
  });
});

describe.each(['x86-64-v2', 'x86-64-v3'])('a Limine kernel with the %s preset', (preset) => {
  it('builds clean and keeps to the ELF rules', () => {
    const presetDirectory = generate({ name: NAME, boot: 'limine', preset }).directory;
    const presetTarget = cacheDirectory(`e2e-limine-system-${preset}`);
    const options = { targetDirectory: presetTarget, timeoutMs: BUILD_TIMEOUT };
    const clippy = cargo(presetDirectory, ['clippy', '--all-targets', '--', '-D', 'warnings'], options);
    expect(clippy.status, clippy.output).toBe(0);
    expect(cargo(presetDirectory, ['fmt', '--check'], options).status).toBe(0);
    const build = cargo(presetDirectory, ['build'], options);
    expect(build.status, build.output).toBe(0);
    expect(build.output).not.toMatch(/^warning/m);
    const bytes = readFileSync(kernelElf(presetTarget, NAME));
    expect(parseElf(bytes).entry).toBe(0xffffffff80000000n);
    expect(checkKernelImage(bytes, 'limine').filter((finding) => finding.level !== 'ok')).toEqual([]);
  }, BUILD_TIMEOUT);
});

describe("the runner's Limine fetch, against a stand-in release", () => {
  const work = mkdtempSync(join(tmpdir(), 'limine-standin-'));

  /** A tarball shaped like limine-binary.tar.gz, whose host tool reports `version`. Not Limine. */
  function standInRelease(name: string, version: string, omit?: string) {
    const root = join(work, `${name}-tree`, 'limine-binary');
    mkdirSync(root, { recursive: true });
    for (const file of ['limine-bios.sys', 'limine-bios-cd.bin', 'limine-uefi-cd.bin', 'BOOTX64.EFI']) {
      // 4 KiB each: xorriso's -boot-load-size 4 wants at least 2 KiB of El Torito image.
      if (file !== omit) writeFileSync(join(root, file), Buffer.alloc(4096, 0x4c));
    }
    writeFileSync(
      join(root, 'limine.c'),
      `#include <stdio.h>\n#include <string.h>\nint main(int argc, char **argv) {\n` +
        `  if (argc == 2 && strcmp(argv[1], "--version") == 0) { printf("limine ${version} (stand-in)\\n"); return 0; }\n` +
        `  if (argc == 3 && strcmp(argv[1], "bios-install") == 0) { printf("stand-in bios-install %s\\n", argv[2]); return 0; }\n` +
        `  return 1;\n}\n`,
    );
    writeFileSync(join(root, 'Makefile'), 'limine: limine.c\n\tcc -O2 -o limine limine.c\n');
    const archive = join(work, `${name}.tar.gz`);
    execFileSync('tar', ['-czf', archive, '-C', join(work, `${name}-tree`), 'limine-binary']);
    return { archive, sha256: createHash('sha256').update(readFileSync(archive)).digest('hex'), root };
  }

  const runner = (env: Record<string, string>) =>
    cargo(directory, ['run', '--', '--iso-only'], { targetDirectory, env, timeoutMs: 120_000 });

  it('refuses an archive whose SHA-256 is not the pinned one', () => {
    rmSync(join(directory, '.limine'), { recursive: true, force: true });
    const good = standInRelease('good', LIMINE_RELEASE.version);
    const result = runner({ LIMINE_URL: good.archive });
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(new RegExp(`^runner: refusing the Limine archive from .*: its SHA-256 is ${good.sha256}, expected ${LIMINE_RELEASE.sha256}$`, 'm'));
  }, 120_000);

  it('fetches, verifies and caches a release, builds the ISO and installs the BIOS stage', () => {
    rmSync(join(directory, '.limine'), { recursive: true, force: true });
    const good = standInRelease('good', LIMINE_RELEASE.version);
    const first = runner({ LIMINE_URL: good.archive, LIMINE_SHA256: good.sha256 });
    expect(first.status, first.output).toBe(0);
    expect(existsSync(join(directory, '.limine', LIMINE_RELEASE.version, 'limine'))).toBe(true);
    const iso = join(targetDirectory, 'x86_64-unknown-none', 'debug', 'iso', `${NAME}.iso`);
    const contents = run('xorriso', ['-indev', iso, '-find', '/', '-type', 'f']).output;
    for (const file of ['/boot/limine/limine.conf', '/boot/limine/limine-bios.sys', '/EFI/BOOT/BOOTX64.EFI', '/boot/kernel']) {
      expect(contents).toContain(`'${file}'`);
    }
    // `limine bios-install <iso>` ran (the stand-in host tool says so).
    expect(readFileSync(join(iso, '..', 'limine-bios-install.log'), 'utf8')).toBe(`stand-in bios-install ${iso}\n`);
    // The second run takes the cache: the archive it would fetch is gone.
    const second = runner({ LIMINE_URL: join(work, 'gone.tar.gz'), LIMINE_SHA256: good.sha256 });
    expect(second.status, second.output).toBe(0);
  }, 120_000);

  it('refuses a release whose host tool reports another version, or that lacks a file', () => {
    rmSync(join(directory, '.limine'), { recursive: true, force: true });
    const older = standInRelease('older', '12.8.0');
    const wrong = runner({ LIMINE_URL: older.archive, LIMINE_SHA256: older.sha256 });
    expect(wrong.status).not.toBe(0);
    expect(wrong.output).toMatch(/^runner: refusing the Limine archive from .*: .*12\.8\.0/m);
    const incomplete = standInRelease('incomplete', LIMINE_RELEASE.version, 'limine-uefi-cd.bin');
    const missing = runner({ LIMINE_URL: incomplete.archive, LIMINE_SHA256: incomplete.sha256 });
    expect(missing.status).not.toBe(0);
    expect(missing.output).toMatch(/^runner: refusing the Limine archive from .*limine-uefi-cd\.bin/m);
    expect(existsSync(join(directory, '.limine', LIMINE_RELEASE.version))).toBe(false);
  }, 120_000);

  it('uses LIMINE_DIR, an existing copy, without fetching', () => {
    rmSync(join(directory, '.limine'), { recursive: true, force: true });
    const copy = standInRelease('copy', LIMINE_RELEASE.version);
    execFileSync('make', ['-s', '-C', copy.root]);
    const result = runner({ LIMINE_DIR: copy.root, LIMINE_URL: join(work, 'gone.tar.gz') });
    expect(result.status, result.output).toBe(0);
    expect(existsSync(join(directory, '.limine'))).toBe(false);
  }, 120_000);
});

describe.skipIf(!process.env.LIMINE_DIR)('booting through a real Limine (LIMINE_DIR)', () => {
  // §Firmware Type Feature: LIMINE_FIRMWARE_TYPE_X86BIOS on SeaBIOS, EFI64 on the x64 OVMF.
  it.each([
    ['--bios', /^\[boot\] firmware: BIOS$/m],
    ['--uefi', /^\[boot\] firmware: UEFI \(64-bit\)$/m],
  ])('boots with %s and exits QEMU with success', (path, firmware) => {
    const boot = cargo(directory, ['run', '--', path], { targetDirectory, timeoutMs: 120_000 });
    expect(boot.status, boot.output).toBe(0);
    expect(boot.output).toMatch(/^\[boot\] loader: Limine /m);
    expect(boot.output).toMatch(firmware);
    expect(boot.output).toMatch(/^\[boot\] kernel at physical 0x[0-9a-f]+, virtual 0xffffffff80000000; physical memory at virtual \+ 0x[0-9a-f]+$/m);
    // _start switches to the kernel's boot stack (src/memory/stacks.rs) from Limine's.
    expect(boot.output).toMatch(/^\[boot\] stack: 64 KiB$/m);
    expect(boot.output).toMatch(/^\[heap\] allocation works: Box = 42/m);
    expect(boot.output).toMatch(/^\[kernel\] boot complete$/m);
  }, 120_000);

  it('passes its in-kernel tests', () => {
    const test = cargo(directory, ['test'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(test.status, test.output).toBe(0);
    expect(test.output).toMatch(/^test result: ok\. 13 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in \d+\.\d{2}s$/m);
  }, BUILD_TIMEOUT);
});
