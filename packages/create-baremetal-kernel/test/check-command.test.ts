/**
 * `baremetal-kernel check`: arguments, finding the project and the ELF, and images that are not
 * kernels at all; plus the robustness of the image checks against truncated and corrupted input.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMINE, MULTIBOOT2 } from '@baremetal-kernel/target';
import { checkKernelImage } from '../src/check/kernel-image.js';
import { kernelElfPath, parseKernelManifest } from '../src/check/project.js';
import { buildElf, check, concat, PF_R, PF_W, PF_X, temporaryDirectory, wordBytes, writeTemporary } from './check-support.js';

const USAGE = 'usage: baremetal-kernel check [path-to-elf] [--boot multiboot2|limine]';

/** A kernel project directory with the given Cargo.toml and, optionally, a built ELF in target/. */
function project(manifest: string, elf?: Uint8Array): string {
  const directory = temporaryDirectory('check-project-');
  writeFileSync(join(directory, 'Cargo.toml'), manifest);
  if (elf) {
    const output = join(directory, 'target', 'x86_64-unknown-none', 'debug');
    mkdirSync(output, { recursive: true });
    writeFileSync(join(output, 'my-os'), elf);
  }
  return directory;
}

const MANIFEST = [
  '[package]',
  'name = "my-os"',
  'version = "0.1.0"',
  '',
  '[[bin]]',
  'name = "not-this-one"',
  '',
  '[package.metadata.baremetal-kernel]',
  'generator-version = "0.1.0"',
  'boot = "limine"  # comment',
  'preset = "baseline"',
  '',
].join('\n');

/** An ELF that is neither protocol's kernel: a code segment and nothing else. */
const PLAIN_ELF = buildElf({ entry: 0x100000n, segments: [{ flags: PF_R | PF_X, vaddr: 0x100000n, data: new Uint8Array(16) }] }).bytes;

describe('check arguments', () => {
  it('rejects an unknown option with exit 2', () => {
    const run = check(['--frobnicate']);
    expect(run).toMatchObject({ status: 2, stdout: '', stderr: `error: unknown option '--frobnicate' (${USAGE})\n` });
  });

  it('rejects --boot without a value', () => {
    const run = check(['--boot']);
    expect(run).toMatchObject({ status: 2, stdout: '', stderr: `error: option '--boot' needs a value (${USAGE})\n` });
  });

  it('rejects an unknown boot protocol, suggesting the closest', () => {
    expect(check(['--boot', 'limin'])).toMatchObject({
      status: 2,
      stderr: "error: --boot: unknown boot protocol 'limin'; did you mean 'limine'? (expected multiboot2 or limine)\n",
    });
    expect(check(['--boot', 'uefi']).stderr).toBe("error: --boot: unknown boot protocol 'uefi' (expected multiboot2 or limine)\n");
  });

  it('rejects two paths', () => {
    const run = check(['a.elf', 'b.elf']);
    expect(run).toMatchObject({ status: 2, stdout: '', stderr: `error: check takes one kernel path, got 2: a.elf b.elf (${USAGE})\n` });
  });

  it('reports a path that does not exist, and a directory', () => {
    const cwd = temporaryDirectory();
    expect(check(['missing.elf'], { cwd })).toMatchObject({ status: 1, stdout: '', stderr: 'error: no such file: missing.elf\n' });
    mkdirSync(join(cwd, 'build'));
    expect(check(['build'], { cwd })).toMatchObject({ status: 1, stdout: '', stderr: 'error: build is a directory, not a kernel ELF\n' });
  });

  it('needs a path outside a kernel project', () => {
    const cwd = temporaryDirectory();
    expect(check([], { cwd })).toMatchObject({
      status: 2,
      stdout: '',
      stderr: `error: no kernel project here (no Cargo.toml in ${cwd} or a parent directory): run check in a kernel project or pass the kernel's path\n`,
    });
  });
});

describe('check in a project', () => {
  it('checks target/x86_64-unknown-none/debug/<name> with the protocol from Cargo.toml', () => {
    const directory = project(MANIFEST, PLAIN_ELF);
    const run = check([], { cwd: directory });
    expect(run.stderr).toBe('');
    expect(run.lines.at(-1)).toBe(
      `summary: target/x86_64-unknown-none/debug/my-os fails the limine checks (protocol from ${join(directory, 'Cargo.toml')}): 2 checks ok, 0 warnings, 4 errors`,
    );
    expect(run.status).toBe(1);
  });

  it('lets --boot override the project', () => {
    const directory = project(MANIFEST, PLAIN_ELF);
    const run = check(['--boot', 'multiboot2'], { cwd: directory });
    expect(run.lines.at(-1)).toMatch(/^summary: target\/x86_64-unknown-none\/debug\/my-os fails the multiboot2 checks \(protocol from --boot\): /);
  });

  it('honours CARGO_TARGET_DIR, relative to the working directory', () => {
    const directory = project(MANIFEST);
    const elsewhere = temporaryDirectory();
    mkdirSync(join(elsewhere, 'out', 'x86_64-unknown-none', 'debug'), { recursive: true });
    writeFileSync(join(elsewhere, 'out', 'x86_64-unknown-none', 'debug', 'my-os'), PLAIN_ELF);
    const absolute = check([], { cwd: directory, env: { CARGO_TARGET_DIR: join(elsewhere, 'out') } });
    expect(absolute.lines.at(-1)).toContain(`summary: ${join(elsewhere, 'out', 'x86_64-unknown-none', 'debug', 'my-os')} fails the limine checks`);
    expect(kernelElfPath(directory, 'my-os', { cargoTargetDir: 'out', cwd: elsewhere })).toBe(
      join(elsewhere, 'out', 'x86_64-unknown-none', 'debug', 'my-os'),
    );
  });

  it('asks for cargo build when the ELF is missing', () => {
    const directory = project(MANIFEST);
    expect(check([], { cwd: directory })).toMatchObject({
      status: 1,
      stdout: '',
      stderr: 'error: no kernel at target/x86_64-unknown-none/debug/my-os: run `cargo build` first\n',
    });
  });

  it('reports a Cargo.toml without a package name or with an unknown protocol', () => {
    const nameless = project('[workspace]\nmembers = []\n');
    expect(check([], { cwd: nameless })).toMatchObject({ status: 1, stderr: `error: ${join(nameless, 'Cargo.toml')} has no [package] name\n` });
    const strange = project(MANIFEST.replace('boot = "limine"', 'boot = "grub"'), PLAIN_ELF);
    expect(check([], { cwd: strange })).toMatchObject({
      status: 1,
      stdout: '',
      stderr: `error: ${join(strange, 'Cargo.toml')}: boot = 'grub': unknown boot protocol 'grub' (expected multiboot2 or limine)\n`,
    });
  });
});

describe('parseKernelManifest', () => {
  it('reads the package name and the boot protocol of a generated Cargo.toml, nothing else', () => {
    expect(parseKernelManifest(MANIFEST)).toEqual({ name: 'my-os', boot: 'limine' });
  });

  it('leaves out what is missing, and reads literal strings', () => {
    expect(parseKernelManifest("[package]\nname = 'lit-os'\n")).toEqual({ name: 'lit-os', boot: undefined });
    expect(parseKernelManifest('[dependencies]\nname = "dep"\n')).toEqual({ name: undefined, boot: undefined });
  });
});

describe('images that are not kernels', () => {
  it('rejects a file that is not ELF', () => {
    const path = writeTemporary('notes.txt', new TextEncoder().encode('just some text, not a kernel\n'));
    const run = check([path], { cwd: temporaryDirectory() });
    expect(run.lines).toEqual([
      'error: not an ELF file: it does not start with the ELF magic 7f 45 4c 46',
      `summary: ${path} fails the kernel checks (boot protocol unknown): 0 checks ok, 0 warnings, 1 error`,
    ]);
    expect(run.status).toBe(1);
    const asMultiboot2 = check([path, '--boot', 'multiboot2'], { cwd: temporaryDirectory() });
    expect(asMultiboot2.lines).toEqual([
      'error: not an ELF file: it does not start with the ELF magic 7f 45 4c 46',
      `summary: ${path} fails the multiboot2 checks (protocol from --boot): 0 checks ok, 0 warnings, 1 error`,
    ]);
  });

  it('cannot tell the protocol of an ELF with neither a multiboot2 header nor Limine markers', () => {
    const path = writeTemporary('plain.elf', PLAIN_ELF);
    const run = check([path], { cwd: temporaryDirectory() });
    expect(run.lines).toEqual([
      'ok: ELF64, little-endian, x86-64, ET_EXEC, 1 program headers (1 PT_LOAD)',
      'error: cannot tell the boot protocol: no multiboot2 header in the first 32 KiB and no Limine base revision tag or requests marker; pass --boot',
      `summary: ${path} fails the kernel checks (boot protocol unknown): 1 check ok, 0 warnings, 1 error`,
    ]);
    expect(run.status).toBe(1);
  });

  it('rejects an ELF32 file, a big-endian file and one without program headers', () => {
    const elf32 = PLAIN_ELF.slice();
    elf32[4] = 1;
    expect(checkKernelImage(elf32, 'multiboot2')[0]).toEqual({
      level: 'error',
      message: 'ELF class is 1 (ELF32), an x86_64 kernel must be ELF64 (class 2)',
    });
    const bigEndian = PLAIN_ELF.slice();
    bigEndian[5] = 2;
    expect(checkKernelImage(bigEndian, 'limine')[0]?.message).toBe(
      'ELF data encoding is 2, an x86_64 kernel must be little-endian (ELFDATA2LSB = 1)',
    );
    const noHeaders = PLAIN_ELF.slice();
    noHeaders[56] = 0;
    expect(checkKernelImage(noHeaders, 'limine')).toEqual([
      { level: 'error', message: 'the ELF file has no program headers: a loader has nothing to load' },
    ]);
  });
});

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('robustness against malformed images', () => {
  const multiboot2Header = (() => {
    const header = new Uint8Array(24);
    const view = new DataView(header.buffer);
    view.setUint32(0, MULTIBOOT2.headerMagic, true);
    view.setUint32(8, 24, true);
    view.setUint32(12, (0x1_0000_0000 - ((MULTIBOOT2.headerMagic + 24) % 0x1_0000_0000)) >>> 0, true);
    view.setUint32(20, 8, true); // end tag: type 0, flags 0, size 8
    return header;
  })();
  const note = concat(new Uint8Array([4, 0, 0, 0, 8, 0, 0, 0, 18, 0, 0, 0, 0x58, 0x65, 0x6e, 0]), wordBytes(0x101000n));
  const images = {
    multiboot2: buildElf({
      entry: 0x101000n,
      segments: [
        { flags: PF_R, vaddr: 0x100000n, data: multiboot2Header },
        { type: 4, flags: PF_R, vaddr: 0x100020n, data: note, align: 4n },
        { flags: PF_R | PF_X, vaddr: 0x101000n, data: new Uint8Array(32) },
        { flags: PF_R | PF_W, vaddr: 0x102000n, data: new Uint8Array(8), memsz: 0x1000n },
      ],
    }).bytes,
    limine: buildElf({
      entry: 0xffff_ffff_8000_0000n,
      segments: [
        { flags: PF_R | PF_X, vaddr: 0xffff_ffff_8000_0000n, data: new Uint8Array(16) },
        {
          flags: PF_R | PF_W,
          vaddr: 0xffff_ffff_8000_1000n,
          data: wordBytes(...LIMINE.requestsStartMarker, ...LIMINE.baseRevisionMagic, 6n, ...LIMINE.requests.hhdm, 0n, 0n, ...LIMINE.requestsEndMarker),
        },
      ],
    }).bytes,
  } as const;

  for (const [protocol, image] of Object.entries(images) as Array<['multiboot2' | 'limine', Uint8Array]>) {
    it(`${protocol}: the intact synthetic image passes`, () => {
      const findings = checkKernelImage(image, protocol);
      expect(findings.filter((finding) => finding.level !== 'ok')).toEqual([]);
    });

    it(`${protocol}: every truncation gives findings with an error, never an exception`, () => {
      // Every length through the headers, then a sample through the data.
      const lengths = Array.from({ length: image.length }, (_, length) => length).filter((length) => length < 1024 || length % 61 === 0);
      for (const length of lengths) {
        const findings = checkKernelImage(image.subarray(0, length), protocol);
        expect(findings.some((finding) => finding.level === 'error'), `truncated to ${length} bytes`).toBe(true);
      }
    });

    it(`${protocol}: random corruption of headers and data never throws`, () => {
      const next = random(protocol.length);
      for (let round = 0; round < 2000; round++) {
        const copy = image.slice();
        const flips = 1 + Math.floor(next() * 8);
        for (let flip = 0; flip < flips; flip++) {
          // Mostly the ELF header and program headers, where offsets and sizes live.
          const position = next() < 0.7 ? Math.floor(next() * 300) : Math.floor(next() * copy.length);
          copy[position] = Math.floor(next() * 256);
        }
        const findings = checkKernelImage(copy, round % 3 === 0 ? undefined : protocol);
        expect(findings.length, `round ${round}`).toBeGreaterThan(0);
        for (const finding of findings) expect(['ok', 'warning', 'error']).toContain(finding.level);
      }
    });
  }
});
