import { execFileSync } from 'node:child_process';
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

const HINT = 'see baremetal-kernel check --help';

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
    expect(run).toMatchObject({ status: 2, stdout: '', stderr: `error: unknown option '--frobnicate' (${HINT})\n` });
  });

  it('prints its help on --help and -h (status 0)', () => {
    for (const flag of ['--help', '-h']) {
      const run = check([flag]);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^Usage: baremetal-kernel check \[path-to-elf\] \[options\]\n/);
      expect(run.stdout).toMatch(/\n {2}--boot <protocol> +check against this boot protocol: multiboot2, limine \(default: the project's, else what the image says\)\n/);
    }
  });

  it('rejects --boot without a value', () => {
    const run = check(['--boot']);
    expect(run).toMatchObject({ status: 2, stdout: '', stderr: `error: --boot needs a value: --boot <protocol> (${HINT})\n` });
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
    expect(run).toMatchObject({ status: 2, stdout: '', stderr: `error: check takes one kernel path, got 2: a.elf b.elf (${HINT})\n` });
  });

  it('reports a path that does not exist, and a directory', () => {
    const cwd = temporaryDirectory();
    expect(check(['missing.elf'], { cwd })).toMatchObject({ status: 1, stdout: '', stderr: 'error: no such file: missing.elf\n' });
    mkdirSync(join(cwd, 'build'));
    expect(check(['build'], { cwd })).toMatchObject({ status: 1, stdout: '', stderr: 'error: build is a directory, not a kernel ELF\n' });
  });

  it('refuses what is not a regular file without reading it: /dev/zero, a FIFO', () => {
    const cwd = temporaryDirectory();
    // Both would hang or exhaust memory if read: the test itself would time out.
    expect(check(['/dev/zero'], { cwd })).toMatchObject({ status: 1, stdout: '', stderr: 'error: /dev/zero is a character device, not a kernel ELF\n' });
    execFileSync('mkfifo', [join(cwd, 'pipe')]);
    expect(check(['pipe'], { cwd })).toMatchObject({ status: 1, stdout: '', stderr: 'error: pipe is a FIFO, not a kernel ELF\n' });
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

  it('says the same in JSON with --json, and nothing else on stdout', () => {
    const directory = project(MANIFEST, PLAIN_ELF);
    const text = check([], { cwd: directory });
    const run = check(['--json'], { cwd: directory });
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as { findings: { level: string; message: string }[] };
    expect(report).toEqual({
      path: 'target/x86_64-unknown-none/debug/my-os',
      protocol: 'limine',
      protocolSource: `from ${join(directory, 'Cargo.toml')}`,
      passes: false,
      counts: { ok: 2, warning: 0, error: 4 },
      findings: expect.any(Array),
    });
    // The findings are the lines the text output prints, in order.
    expect(report.findings.map((finding) => `${finding.level}: ${finding.message}`)).toEqual(text.lines.slice(0, -1));
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

  it('unescapes basic strings and keeps literal strings as written', () => {
    expect(parseKernelManifest('[package]\nname = "my\\"os\\\\" # a comment\n').name).toBe('my"os\\');
    expect(parseKernelManifest("[package]\nname = 'C:\\os'\n").name).toBe('C:\\os');
  });

  it('reads dotted table headers with spaces and comments, CRLF lines and indented keys', () => {
    const text = '[ package ]  # the kernel\r\n  name="spaced-os"\r\n[ package . metadata . baremetal-kernel ]\r\n\tboot =  "multiboot2"\r\n';
    expect(parseKernelManifest(text)).toEqual({ name: 'spaced-os', boot: 'multiboot2' });
    // Spaces on one side of a dot only.
    expect(parseKernelManifest('[package .metadata. baremetal-kernel]\nboot = "limine"\n').boot).toBe('limine');
  });

  it('reads each key only in its own table', () => {
    const text = ['[package]', 'boot = "limine"', 'names = "not-a-name"', '[package.metadata.baremetal-kernel]', 'name = "not-the-package"'].join('\n');
    expect(parseKernelManifest(text)).toEqual({ name: undefined, boot: undefined });
    // An array of tables named like a table is not that table.
    expect(parseKernelManifest('[[package]]\nname = "array"\n[[package.metadata.baremetal-kernel]]\nboot = "limine"\n')).toEqual({
      name: undefined,
      boot: undefined,
    });
  });

  it('takes a line with more than a header on it for no header, and a value not starting with a quote for no string', () => {
    expect(parseKernelManifest('[dependencies]\n[package]x\nname = "dep"\n').name).toBeUndefined();
    expect(parseKernelManifest('[dependencies]\nx[package]\nname = "dep"\n').name).toBeUndefined();
    expect(parseKernelManifest('[package] #\nname = "after-a-bare-comment"\n').name).toBe('after-a-bare-comment');
    expect(parseKernelManifest('[package]\n# name = "commented-out"\n').name).toBeUndefined();
    expect(parseKernelManifest('[package]\nname = v"1"\n[package.metadata.baremetal-kernel]\nboot = x\'limine\'\n')).toEqual({ name: undefined, boot: undefined });
  });

  it('keeps a value it read when a later one is not a string', () => {
    expect(parseKernelManifest('[package]\nname = "first"\nname = 5\n')).toEqual({ name: 'first', boot: undefined });
    expect(parseKernelManifest('[package.metadata.baremetal-kernel]\nboot = "limine"\nboot = limine\n')).toEqual({ name: undefined, boot: 'limine' });
  });
});

describe('kernelElfPath', () => {
  const cwd = '/work/here';

  it('is <project>/target/x86_64-unknown-none/<profile>/<name> without CARGO_TARGET_DIR, or with it empty', () => {
    expect(kernelElfPath('/p/os', 'os', { cwd })).toBe('/p/os/target/x86_64-unknown-none/debug/os');
    expect(kernelElfPath('/p/os', 'os', { cwd, cargoTargetDir: '' })).toBe('/p/os/target/x86_64-unknown-none/debug/os');
    expect(kernelElfPath('/p/os', 'os', { cwd, profile: 'release' })).toBe('/p/os/target/x86_64-unknown-none/release/os');
  });

  it('takes an absolute CARGO_TARGET_DIR as it is, a relative one from the working directory', () => {
    expect(kernelElfPath('/p/os', 'os', { cwd, cargoTargetDir: '/cache/t' })).toBe('/cache/t/x86_64-unknown-none/debug/os');
    expect(kernelElfPath('/p/os', 'os', { cwd, cargoTargetDir: '../t', profile: 'release' })).toBe('/work/t/x86_64-unknown-none/release/os');
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

/**
 * Under Stryker (which sets STRYKER_MUTATOR_WORKER in its test runners) the two robustness tests
 * below run once per mutant they reach, nearly every one, on instrumented code many times slower:
 * there they sample less, so that they stay well inside vitest's 5 s test timeout on a busy machine
 * (a timeout would count as a kill). The rule tests (check-*-rules.test.ts, check-elf.test.ts) are
 * what kill the checker's mutants; these guard against exceptions.
 */
const UNDER_MUTATION = process.env.STRYKER_MUTATOR_WORKER !== undefined;
/** Rounds of random corruption per protocol. */
const CORRUPTION_ROUNDS = UNDER_MUTATION ? 100 : 2000;
/** Truncations: every length below this (the ELF and program headers), then every 61st. */
const EVERY_LENGTH_BELOW = UNDER_MUTATION ? 320 : 1024;

// 2000 rounds take about 3 s alone, longer while the other packages' tests share the two cores.
describe('robustness against malformed images', { timeout: 30_000 }, () => {
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
      const lengths = Array.from({ length: image.length }, (_, length) => length).filter((length) => length < EVERY_LENGTH_BELOW || length % 61 === 0);
      for (const length of lengths) {
        const findings = checkKernelImage(image.subarray(0, length), protocol);
        expect(findings.some((finding) => finding.level === 'error'), `truncated to ${length} bytes`).toBe(true);
      }
    });

    it(`${protocol}: random corruption of headers and data never throws`, () => {
      const next = random(protocol.length);
      for (let round = 0; round < CORRUPTION_ROUNDS; round++) {
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
