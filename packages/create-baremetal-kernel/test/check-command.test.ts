/**
 * `baremetal-kernel check`: arguments, finding the project and the ELF, what it prints and its exit
 * codes. What the findings say is @baremetal-kernel/check's, tested there (packages/check/test).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { LIMINE } from '@baremetal-kernel/target';
import { checkKernelImage, formatFinding, kernelElfPath } from '@baremetal-kernel/check';
import { buildElf, check, concat, MANIFEST, multiboot2Header, PF_R, PF_W, PF_X, temporaryDirectory, wordBytes, writeTemporary } from './check-support.js';

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
      expect(run.stdout).toMatch(/\n {2}--boot <protocol> +check against this boot protocol: multiboot2, limine \(default: the project's for its own kernel, else what the image says\)\n/);
    }
  });

  it('rejects --boot without a value', () => {
    const run = check(['--boot']);
    expect(run).toMatchObject({ status: 2, stdout: '', stderr: `error: --boot needs a value: --boot <protocol> (${HINT})\n` });
  });

  it('rejects an unknown boot protocol, suggesting the closest', () => {
    expect(check(['--boot', 'limin'])).toMatchObject({
      status: 2,
      stderr: "error: --boot: unknown boot protocol 'limin' (known: multiboot2, limine); did you mean 'limine'?\n",
    });
    expect(check(['--boot', 'uefi']).stderr).toBe("error: --boot: unknown boot protocol 'uefi' (known: multiboot2, limine)\n");
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
      `summary: target/x86_64-unknown-none/debug/my-os fails the limine checks (protocol from ${join(directory, 'Cargo.toml')}): 2 checks ok, 2 warnings, 2 errors`,
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
      // The missing requests markers are warnings: Limine does without them (§Requests Delimiters).
      counts: { ok: 2, warning: 2, error: 2 },
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

  it("judges an ELF given by path by its own contents; the project's protocol only for the project's own kernel", () => {
    const directory = project(MANIFEST, PLAIN_ELF);
    // A multiboot2 image (a header with only the end tag, §3.1) inside the limine project.
    const multiboot2 = buildElf({
      entry: 0x101000n,
      segments: [
        { flags: PF_R, vaddr: 0x100000n, data: multiboot2Header() },
        { flags: PF_R | PF_X, vaddr: 0x101000n, data: new Uint8Array(16) },
      ],
    }).bytes;
    writeFileSync(join(directory, 'other.elf'), multiboot2);
    const other = check(['other.elf'], { cwd: directory });
    expect(other.lines.at(-1)).toMatch(/^summary: other\.elf (passes|fails) the multiboot2 checks \(protocol detected from a multiboot2 header in the first 32 KiB\): /);
    // An ELF that says nothing of its protocol: not told by the project either.
    writeFileSync(join(directory, 'plain.elf'), PLAIN_ELF);
    expect(check(['plain.elf'], { cwd: directory }).lines.at(-1)).toMatch(/^summary: plain\.elf fails the kernel checks \(boot protocol unknown\): /);
    // The project's own kernel, by any path to it (debug or release), keeps the project's protocol.
    const fromCargo = `(protocol from ${join(directory, 'Cargo.toml')})`;
    expect(check(['target/x86_64-unknown-none/debug/my-os'], { cwd: directory }).lines.at(-1)).toContain(`fails the limine checks ${fromCargo}`);
    expect(check(['./target/../target/x86_64-unknown-none/debug/my-os'], { cwd: directory }).lines.at(-1)).toContain(`the limine checks ${fromCargo}`);
    symlinkSync(join(directory, 'target', 'x86_64-unknown-none', 'debug', 'my-os'), join(directory, 'kernel-link'));
    expect(check(['kernel-link'], { cwd: directory }).lines.at(-1)).toContain(`the limine checks ${fromCargo}`);
    mkdirSync(join(directory, 'target', 'x86_64-unknown-none', 'release'), { recursive: true });
    writeFileSync(join(directory, 'target', 'x86_64-unknown-none', 'release', 'my-os'), multiboot2);
    expect(check(['target/x86_64-unknown-none/release/my-os'], { cwd: directory }).lines.at(-1)).toContain(`the limine checks ${fromCargo}`);
    // --boot still decides for any file.
    expect(check(['other.elf', '--boot', 'limine'], { cwd: directory }).lines.at(-1)).toContain('the limine checks (protocol from --boot)');
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
      stderr: `error: ${join(strange, 'Cargo.toml')}: boot = 'grub': unknown boot protocol 'grub' (known: multiboot2, limine)\n`,
    });
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
      'error: cannot tell the boot protocol: no multiboot2 header in the first 32 KiB and no Limine base revision tag or requests marker in the file-backed data of the PT_LOAD segments; pass --boot',
      `summary: ${path} fails the kernel checks (boot protocol unknown): 1 check ok, 0 warnings, 1 error`,
    ]);
    expect(run.status).toBe(1);
  });

  it('detects a Limine kernel from its markers and prints what the checker finds', () => {
    const base = 0xffff_ffff_8000_0000n;
    const requests = wordBytes(
      ...LIMINE.requestsStartMarker,
      ...LIMINE.baseRevisionMagic,
      BigInt(LIMINE.baseRevision),
      ...LIMINE.requests.hhdm,
      0n,
      0n,
      ...LIMINE.requestsEndMarker,
      // 32 bytes after the end marker, as .data gives a real kernel: Limine's scan does not see an
      // end marker in the image's last 31 bytes (it reads 32 bytes at each step, limine.c).
      0n,
      0n,
      0n,
      0n,
    );
    const image = buildElf({
      entry: base,
      segments: [
        { flags: PF_R | PF_X, vaddr: base, data: new Uint8Array(16).fill(0xc3) },
        { flags: PF_R | PF_W, vaddr: base + 0x1000n, data: requests },
      ],
    }).bytes;
    const path = writeTemporary('limine-os', image);
    const run = check([path], { cwd: temporaryDirectory() });
    const findings = checkKernelImage(image, 'limine');
    expect(findings.filter((finding) => finding.level !== 'ok')).toEqual([]);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.lines).toEqual([
      ...findings.map(formatFinding),
      `summary: ${path} passes the limine checks (protocol detected from a Limine base revision tag or requests marker): ${findings.length} checks ok, 0 warnings, 0 errors`,
    ]);
  });
});

/**
 * The check command as a program of its own, bundled from its sources, that reports on stderr,
 * after its output, how long `runCheck` took and the process's peak resident memory (VmHWM).
 */
function checkProgram(): string {
  const directory = temporaryDirectory('check-program-');
  const entry = join(directory, 'entry.ts');
  const source = fileURLToPath(new URL('../src/commands/check.ts', import.meta.url));
  writeFileSync(
    entry,
    `import { readFileSync } from 'node:fs';
import { runCheck } from ${JSON.stringify(source)};
// CPU time (user and system): what other processes on the machine do not add to.
const started = process.cpuUsage();
const status = runCheck(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: {},
  interactive: false,
});
const used = process.cpuUsage(started);
const ms = (used.user + used.system) / 1000;
const peakKiB = Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
process.stderr.write(JSON.stringify({ ms, peakKiB }) + '\\n');
process.exitCode = status;
`,
  );
  const program = join(directory, 'check.mjs');
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: program, logLevel: 'silent' });
  return program;
}

describe('check reads only what it needs', () => {
  /** Peak resident memory of the whole process, Node itself included (about 50 MB). */
  const PEAK_LIMIT_KIB = 200 * 1024;

  it('checks a kernel at the start of a sparse file of gigabytes in well under a second and 200 MB', { timeout: 30_000 }, () => {
    // Before, it read the whole file: 1.9 GiB took 8 s and 2 GB of memory, and 6 GiB could not be
    // read at all ("File size is greater than 2 GiB"). Now 8 ms and 48 MB, Node itself included.
    const image = buildElf({
      entry: 0x100000n,
      segments: [{ flags: PF_R | PF_X, vaddr: 0x100000n, data: concat(multiboot2Header(), new Uint8Array(16).fill(0xf4)) }],
    }).bytes;
    const findings = checkKernelImage(image, 'multiboot2').map(formatFinding);
    // Every check passes; the one warning is for the PVH note this image lacks.
    expect(findings.filter((line) => !line.startsWith('ok: '))).toEqual([expect.stringMatching(/^warning: no PVH note/)]);
    const program = checkProgram();
    const cwd = temporaryDirectory();
    for (const size of [1.9 * 2 ** 30, 6 * 2 ** 30]) {
      const path = writeTemporary('sparse-os', image);
      // A hole after the image: costs no disk, reads as zeros.
      truncateSync(path, Math.floor(size));
      expect(statSync(path).size).toBe(Math.floor(size));
      const run = spawnSync(process.execPath, [program, path], { cwd, encoding: 'utf8' });
      const report = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as { ms: number; peakKiB: number };
      expect(run.stdout.trim().split('\n')).toEqual([
        ...findings,
        `summary: ${path} passes the multiboot2 checks (protocol detected from a multiboot2 header in the first 32 KiB): ${findings.length - 1} checks ok, 1 warning, 0 errors`,
      ]);
      expect(run.status).toBe(0);
      expect(report.ms).toBeLessThan(1000);
      expect(report.peakKiB).toBeLessThan(PEAK_LIMIT_KIB);
      rmSync(path);
    }
    // Nor is the file searched whole for Limine's markers, which Limine looks for only in the loaded data.
    const plain = writeTemporary('sparse-plain', PLAIN_ELF);
    truncateSync(plain, 6 * 2 ** 30);
    const run = spawnSync(process.execPath, [program, plain], { cwd, encoding: 'utf8' });
    const report = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as { ms: number; peakKiB: number };
    expect(run.stdout).toMatch(/^error: cannot tell the boot protocol: /m);
    expect(run.status).toBe(1);
    expect(report.ms).toBeLessThan(1000);
    expect(report.peakKiB).toBeLessThan(PEAK_LIMIT_KIB);
    rmSync(plain);
  });
});
