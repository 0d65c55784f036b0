/**
 * The `c-interop` module end to end: a fresh kernel with the module added builds its C code with
 * GCC and with Clang (CC), on the baseline preset and on x86-64-v3, and passes the module's
 * in-kernel tests (tests/c_interop.rs) in debug builds, and on the baseline preset in release
 * builds too: optimised C is where a compiler would vectorise into SSE or AVX registers. What
 * the tests in QEMU cannot see (code they do not run, x87 and MMX, which CR0/CR4 do not trap
 * here), objdump sees: no C function of the linked kernel names an x87, MMX, SSE or AVX
 * register. Limine kernels (static and position-independent) are built and linted here, not
 * booted (that needs LIMINE_DIR). Without a C compiler the build stops with one line saying
 * what to install.
 *
 * These tests need GCC and Clang (tools/install-toolchain.sh installs both): they fail, never
 * skip, without them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cFlags, installHint, rustflags, type CCompiler, type KernelConfig } from '@baremetal-kernel/target';
import { addModules, cacheDirectory, cargo, generate, run, rustEnvironment } from './support.js';

const BUILD_TIMEOUT = 600_000;
/** Two builds (debug and release), each with its QEMU runs, on a cold cache. */
const CASE_TIMEOUT = 1_200_000;
const COMPILERS: readonly CCompiler[] = ['gcc', 'clang'];

/** The C functions of csrc/c_interop.c. */
const C_FUNCTIONS = ['c_mul_add', 'c_sum', 'c_stats_add', 'c_stats_collect'];

/**
 * A register operand of the x87 (`%st`, `%st(1)`), MMX (`%mm0`), SSE (`%xmm0`), AVX (`%ymm0`) or
 * AVX-512 (`%zmm0`, mask registers `%k0`-`%k7`) in objdump's AT&T syntax.
 */
const FPU_OR_SIMD_REGISTER = /%(?:st\b|mm\d|[xyz]mm\d|k[0-7]\b)/;

/** The boot line src/main.rs prints, with the values worked out by hand: -6 * 7 + 100 and 3 - 1 + 4. */
function bootLine(compiler: CCompiler): RegExp {
  return new RegExp(
    `^\\[c-interop\\] C compiled by ${compiler} \\(.+\\): -6 \\* 7 \\+ 100 = 58, ` +
      'stats of \\[3, -1, 4\\] = Stats \\{ count: 3, sum: 6, min: -1, max: 4 \\}$',
    'm',
  );
}

/** The strings of a `const NAME: &[&str] = &[...];` in the kernel's build/c_interop.rs. */
function flagsInBuildStep(directory: string, name: string): string[] {
  const source = readFileSync(join(directory, 'build', 'c_interop.rs'), 'utf8');
  const body = new RegExp(`^const ${name}: &\\[&str\\] = &\\[\\n([^\\]]*)\\];$`, 'm').exec(source)?.[1];
  if (body === undefined) throw new Error(`build/c_interop.rs has no ${name}`);
  return [...body.matchAll(/^ {4}"([^"]*)",$/gm)].map((match) => match[1]!);
}

/** The test binary `cargo test --no-run` built for tests/c_interop.rs. */
function testBinary(output: string): string {
  const path = /Executable tests\/c_interop\.rs \((.+)\)$/m.exec(output)?.[1];
  if (!path) throw new Error(`cargo did not say where the c_interop test binary is:\n${output}`);
  return path;
}

/** Checks that every C function is in `elf` and names no x87, MMX, SSE or AVX register. */
function expectNoFpuOrSimd(elf: string): void {
  for (const name of C_FUNCTIONS) {
    const listing = run('objdump', ['-d', '--no-show-raw-insn', `--disassemble=${name}`, elf]);
    expect(listing.status, listing.output).toBe(0);
    expect(listing.output, `${name} is in ${elf}`).toMatch(new RegExp(`^[0-9a-f]+ <${name}>:$`, 'm'));
    // An instruction line: its address (16 digits in a higher-half kernel, indented when shorter), a tab.
    const instructions = listing.output.split('\n').filter((line) => /^\s*[0-9a-f]+:\t/.test(line));
    expect(instructions.length, `${name}'s instructions`).toBeGreaterThan(0);
    expect(instructions.filter((line) => FPU_OR_SIMD_REGISTER.test(line)), `${name} in ${elf}`).toEqual([]);
  }
}

/** The C compiler that wrote the objects of `elf`, as its `.comment` section says. */
function compilerComment(elf: string): string {
  return run('readelf', ['-p', '.comment', elf]).output;
}

/** The `.comment` text each compiler writes: GCC's `GCC: (...) 12.2.0`, Clang's `clang version 14...`. */
const COMMENT: Readonly<Record<CCompiler, RegExp>> = { gcc: /\bGCC: \(/, clang: /\bclang version \d/ };

/**
 * Runs the kernel's compiled build script (from a `cargo build` of the kernel in `targetDirectory`)
 * as cargo would, with `flags` as the target's rustflags and a fresh OUT_DIR.
 */
function runBuildScript(directory: string, targetDirectory: string, flags: readonly string[]) {
  const buildDirectory = join(targetDirectory, 'debug', 'build');
  const package_ = readFileSync(join(directory, 'Cargo.toml'), 'utf8').match(/^name = "(.+)"$/m)![1]!;
  // The newest: the cache may hold builds of this kernel's earlier versions.
  const scripts = readdirSync(buildDirectory)
    .filter((entry) => entry.startsWith(`${package_}-`))
    .map((entry) => join(buildDirectory, entry, 'build-script-build'))
    .filter((path) => existsSync(path))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (scripts.length === 0) throw new Error(`no build script of ${package_} in ${buildDirectory}: build the kernel first`);
  const result = spawnSync(scripts[0]!, [], {
    cwd: directory,
    env: rustEnvironment({
      CARGO_MANIFEST_DIR: directory,
      OUT_DIR: mkdtempSync(join(tmpdir(), 'c-interop-out-')),
      CARGO_ENCODED_RUSTFLAGS: flags.join('\x1f'),
      CC: 'gcc',
      OPT_LEVEL: '0',
      DEBUG: 'false',
    }),
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  return { status: result.status, stderr: result.stderr };
}

function expectFlagsOfTheModel(directory: string, config: KernelConfig): void {
  const { preset, codeModel, relocationModel } = config;
  expect(flagsInBuildStep(directory, 'GCC_FLAGS')).toEqual(cFlags({ compiler: 'gcc', preset, codeModel, relocationModel }));
  expect(flagsInBuildStep(directory, 'CLANG_FLAGS')).toEqual(cFlags({ compiler: 'clang', preset, codeModel, relocationModel }));
}

/**
 * Builds tests/c_interop.rs with `compiler` as CC (debug, or with `--release`): without a warning,
 * the ELF naming that compiler, and no FPU or SIMD register in any C function.
 */
function buildTestBinary(directory: string, profile: readonly string[], compiler: CCompiler, targetDirectory: string): void {
  const env = { CC: compiler };
  const build = cargo(directory, ['test', ...profile, '--test', 'c_interop', '--no-run'], { targetDirectory, env, timeoutMs: BUILD_TIMEOUT });
  expect(build.status, build.output).toBe(0);
  expect(build.output).not.toMatch(/^warning/m);
  const binary = testBinary(build.output);
  expect(compilerComment(binary)).toMatch(COMMENT[compiler]);
  expectNoFpuOrSimd(binary);
}

describe.each(['baseline', 'x86-64-v3'])('c-interop on multiboot2, the %s preset', (preset) => {
  // Shared with modules.test.ts and presets-and-toolchains.test.ts: `core` is built once per preset.
  const targetDirectory = cacheDirectory(preset === 'baseline' ? 'e2e-modules-multiboot2-system-baseline' : 'e2e-multiboot2-system-x86-64-v3');
  let directory = '';
  let config: KernelConfig;
  const name = `c-interop-${preset}`;
  // Optimised C is where compilers vectorise (gcc -O3 and clang -O2 do in c_sum), so release builds
  // matter for the no-SSE proof; once, on the baseline preset: each release build of a preset
  // compiles `core` again, and the flags differ between presets only in -march.
  const profiles: (readonly string[])[] = preset === 'baseline' ? [[], ['--release']] : [[]];

  beforeAll(() => {
    ({ directory, config } = generate({ name, preset }));
    addModules(directory, ['c-interop']);
  });

  it('the build step has the flags of the model for this kernel, and the kernel is formatted', () => {
    expectFlagsOfTheModel(directory, config);
    const formatted = cargo(directory, ['fmt', '--check'], { targetDirectory });
    expect(formatted.status, formatted.output).toBe(0);
    // `cargo fmt` reaches build/c_interop.rs (a module of build.rs): a misplaced line there fails it.
    const buildStep = join(directory, 'build', 'c_interop.rs');
    const source = readFileSync(buildStep, 'utf8');
    writeFileSync(buildStep, source.replace('use std::ffi::OsString;', '  use std::ffi::OsString;'));
    try {
      const unformatted = cargo(directory, ['fmt', '--check'], { targetDirectory });
      expect(unformatted.status, unformatted.output).not.toBe(0);
      expect(unformatted.output).toContain('c_interop.rs');
    } finally {
      writeFileSync(buildStep, source);
    }
  });

  it.each(COMPILERS)(
    `CC=%s: the in-kernel tests pass (${preset === 'baseline' ? 'debug and release' : 'debug'}), the kernel boots, no C function uses an FPU or SIMD register`,
    (compiler) => {
      const env = { CC: compiler };
      for (const profile of profiles) {
        buildTestBinary(directory, profile, compiler, targetDirectory);

        const tests = cargo(directory, ['test', ...profile, '--test', 'c_interop'], { targetDirectory, env, timeoutMs: BUILD_TIMEOUT });
        expect(tests.status, tests.output).toBe(0);
        expect(tests.output).toMatch(/^test the_c_code_runs_with_sse_and_avx_off \.\.\. ok/m);
        expect(tests.output).toMatch(/^test result: ok\. 7 passed; 0 failed; 0 ignored/m);
      }
      const boot = cargo(directory, ['run', ...profiles.at(-1)!, '--', '--direct'], { targetDirectory, env, timeoutMs: BUILD_TIMEOUT });
      expect(boot.status, boot.output).toBe(0);
      expect(boot.output).toMatch(bootLine(compiler));
      expect(boot.output).toMatch(/^\[kernel\] boot complete$/m);
    },
    CASE_TIMEOUT,
  );

  it.runIf(preset === 'baseline')(
    'without a C compiler the build stops with one line naming the packages to install',
    () => {
      const build = cargo(directory, ['build'], { targetDirectory, env: { CC: '/nonexistent' }, timeoutMs: BUILD_TIMEOUT });
      expect(build.status).not.toBe(0);
      const errors = build.output.split('\n').filter((line) => /^\s*error: c-interop:/.test(line));
      expect(errors, build.output).toHaveLength(1);
      expect(errors[0]!.trim()).toMatch(/^error: c-interop: no C compiler: `\/nonexistent` \(CC\) cannot be run \(.+\); /);
      expect(errors[0]).toContain(`install gcc or clang (${installHint(['cCompiler'])}), or set CC`);
    },
    BUILD_TIMEOUT,
  );

  it.runIf(preset === 'baseline')(
    'the build step stops with one line when the Rust code model or relocation model is not the one the C flags are for',
    () => {
      // The build script as cargo runs it, with other rustflags: cargo itself would rebuild `core`
      // for them first. It takes rustc's last `-C name=value` of each name, in either spelling.
      const build = cargo(directory, ['build'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
      expect(build.status, build.output).toBe(0);
      const kernelFlags = rustflags(config);
      expect(kernelFlags).toContain('relocation-model=static');
      const cases: readonly [readonly string[], string | undefined][] = [
        [kernelFlags, undefined],
        [[...kernelFlags, '-C', 'relocation-model=pic'], 'kernel and pic'],
        [[...kernelFlags, '-Ccode-model=large'], 'large and static'],
        [['-Crelocation-model=pic', ...kernelFlags], undefined],
        // No relocation model given: the target's own, pic.
        [['-C', 'force-frame-pointers=yes'], 'kernel and pic'],
      ];
      for (const [flags, models] of cases) {
        const { status, stderr } = runBuildScript(directory, targetDirectory, flags);
        const errors = stderr.split('\n').filter((line) => line.startsWith('error: '));
        if (models === undefined) {
          expect({ flags, status, errors }).toEqual({ flags, status: 0, errors: [] });
        } else {
          expect(status, flags.join(' ')).not.toBe(0);
          expect(errors, flags.join(' ')).toEqual([
            'error: c-interop: the C flags are for code model kernel and relocation model static, ' +
              `but the Rust code is built with ${models} (.cargo/config.toml); C and Rust must agree`,
          ]);
        }
      }
    },
    BUILD_TIMEOUT,
  );
});

/**
 * The position-independent kernel gets the module at creation (`create --modules`): `add` knows a
 * kernel's boot protocol, preset and toolchain from its Cargo.toml, not its relocation model.
 */
describe.each([
  { relocationModel: 'static', compiler: 'gcc', how: 'added' },
  { relocationModel: 'pic', compiler: 'clang', how: 'created with it' },
] as const)('c-interop on Limine ($relocationModel relocation model, $how, CC=$compiler): built and linted', ({ relocationModel, compiler, how }) => {
  it('builds and passes clippy, with no C function using an FPU or SIMD register', () => {
    const targetDirectory = cacheDirectory(`e2e-modules-limine-system-baseline${relocationModel === 'pic' ? '-pic' : ''}`);
    const name = `c-interop-limine-${relocationModel}`;
    const modules = how === 'added' ? [] : ['c-interop'];
    const { directory, config } = generate({ name, boot: 'limine', relocationModel, modules });
    if (how === 'added') addModules(directory, ['c-interop']);
    expectFlagsOfTheModel(directory, config);
    const env = { CC: compiler };
    buildTestBinary(directory, [], compiler, targetDirectory);
    const clippy = cargo(directory, ['clippy', '--all-targets', '--', '-D', 'warnings'], { targetDirectory, env, timeoutMs: BUILD_TIMEOUT });
    expect(clippy.status, clippy.output).toBe(0);
  }, CASE_TIMEOUT);
});
