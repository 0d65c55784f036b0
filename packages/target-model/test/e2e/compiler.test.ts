/**
 * The model checked against the real tools of this machine: Debian's rustc (through the system
 * profile), GCC and QEMU. These tests need the toolchain script to have run; they fail, never
 * skip, when it has not.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUILD_STD_CRATES,
  BUILD_STD_FEATURES,
  PRESETS,
  TARGET,
  cFlags,
  cfgFeaturesOn,
  qemuCpuModel,
  rustflags,
  validateKernelRequest,
  type CfgChannel,
  type FeaturePreset,
} from '../../src/index.js';
import { TEST_CACHE_ROOT } from '../../../../tools/vitest/test-cache.js';

/** Debian's toolchain lives in /usr/bin; a rustup proxy earlier in PATH would shadow it. */
const env: NodeJS.ProcessEnv = { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` };
delete env.RUSTFLAGS;

function run(command: string, args: string[], options: { cwd?: string; extraEnv?: Record<string, string> } = {}) {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: { ...env, ...options.extraEnv },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function configFor(preset: FeaturePreset) {
  const result = validateKernelRequest({ name: 'probe', preset: preset.name, toolchain: 'system' });
  if (!result.ok) throw new Error(result.problems[0]!.message);
  return result.config;
}

describe('the target as rustc has it', () => {
  it('matches the target spec rustc prints', () => {
    const { stdout } = run('rustc', ['-Z', 'unstable-options', '--print', 'target-spec-json', '--target', TARGET.triple], {
      extraEnv: { RUSTC_BOOTSTRAP: '1' },
    });
    const spec = JSON.parse(stdout) as Record<string, unknown>;
    expect(spec['llvm-target']).toBe(TARGET.llvmTarget);
    expect(spec['cpu']).toBe(TARGET.cpu);
    expect(spec['code-model']).toBe(TARGET.codeModel);
    expect(spec['disable-redzone']).toBe(TARGET.disableRedZone);
    expect(spec['panic-strategy']).toBe(TARGET.panicStrategy);
    expect(spec['linker']).toBe(TARGET.linker);
    expect(spec['linker-flavor']).toBe(TARGET.linkerFlavor);
    expect(spec['rustc-abi']).toBe(TARGET.rustcAbi);
    expect(spec['static-position-independent-executables']).toBe(true);
    expect(spec['position-independent-executables']).toBe(true);
    expect(spec['max-atomic-width']).toBe(TARGET.maxAtomicWidth);
    expect((spec['features'] as string).split(',')).toEqual(TARGET.specFeatures);
    expect((spec['metadata'] as { std: boolean }).std).toBe(TARGET.std);
  });
});

/**
 * `--print cfg` differs by channel: a stable compiler hides unstable target features, a nightly one
 * (or a stable one with RUSTC_BOOTSTRAP=1, as the system profile's builds run) reports them too.
 * Both are run here whatever the caller's environment, each against the model's set for it.
 */
const CHANNELS = [
  ['stable', 'without RUSTC_BOOTSTRAP', {}],
  ['nightly', 'with RUSTC_BOOTSTRAP=1', { RUSTC_BOOTSTRAP: '1' }],
] as const satisfies readonly (readonly [CfgChannel, string, Record<string, string>])[];

/** rustc with the caller's RUSTC_BOOTSTRAP removed, then `extraEnv` added. */
function rustcOnChannel(args: string[], extraEnv: Record<string, string>) {
  const { RUSTC_BOOTSTRAP: _, ...stableEnv } = env;
  const result = spawnSync('rustc', args, { env: { ...stableEnv, ...extraEnv }, encoding: 'utf8' });
  if (result.error) throw result.error;
  return result;
}

describe.each(CHANNELS)('target features on the %s channel (rustc %s)', (channel, _, extraEnv) => {
  it.each(PRESETS.map((preset) => [preset.name, preset] as const))(
    'reports exactly the target features the model gives the %s preset, with no warning',
    (_, preset) => {
      const args = ['--print', 'cfg', '--target', TARGET.triple, ...rustflags(configFor(preset))];
      const { status, stdout, stderr } = rustcOnChannel(args, extraEnv);
      expect(stderr).toBe('');
      expect(status).toBe(0);
      const features = stdout
        .split('\n')
        .map((line) => /^target_feature="(.+)"$/.exec(line)?.[1])
        .filter((feature): feature is string => feature !== undefined)
        .sort();
      expect(features).toEqual(cfgFeaturesOn(preset, channel));
    },
  );
});

describe('which target features are unstable', () => {
  // Independent of `--print cfg`: a stable rustc warns when asked for an unstable feature by name.
  const unstable = [...new Set(PRESETS.flatMap((preset) => preset.unstableCfgFeatures))];
  const stable = [...new Set(PRESETS.flatMap((preset) => preset.cfgFeatures))];

  it.each(unstable)('%s: stable rustc calls it unstable', (feature) => {
    const { stderr } = rustcOnChannel(['--print', 'cfg', '--target', TARGET.triple, '-C', `target-feature=+${feature}`], {});
    expect(stderr).toContain(`unstable feature specified for \`-Ctarget-feature\`: \`${feature}\``);
  });

  it.each(stable)('%s: stable rustc accepts it without a warning', (feature) => {
    const { status, stderr } = rustcOnChannel(['--print', 'cfg', '--target', TARGET.triple, '-C', `target-feature=+${feature}`], {});
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});

describe('QEMU CPU models', () => {
  it.each(PRESETS.map((preset) => [preset.name, preset] as const))('QEMU accepts the %s model under TCG without warnings', (_, preset) => {
    // -S stops the CPU before the first instruction; `quit` on the monitor ends QEMU at once.
    const result = spawnSync(
      'qemu-system-x86_64',
      ['-cpu', qemuCpuModel(preset), '-accel', 'tcg', '-display', 'none', '-nodefaults', '-S', '-monitor', 'stdio'],
      { input: 'quit\n', encoding: 'utf8', timeout: 20_000 },
    );
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

/** A cache per preset, shared between runs, so only the first run pays for building `core`. */
function cargoTargetDirectory(preset: FeaturePreset): string {
  return join(TEST_CACHE_ROOT, `target-model-${preset.name}`);
}

const C_SOURCE = `
/* Called from Rust; calls back into Rust, so both directions of the C ABI are exercised. */
extern unsigned long rust_scale(unsigned long value);
static unsigned long calls;

unsigned long c_accumulate(const unsigned long *values, unsigned long count) {
    unsigned long sum = 0;
    for (unsigned long index = 0; index < count; index++) {
        sum += rust_scale(values[index]);
    }
    calls++;
    return sum;
}
`;

const RUST_MAIN = `#![no_std]
#![no_main]

unsafe extern "C" {
    fn c_accumulate(values: *const u64, count: u64) -> u64;
}

#[unsafe(no_mangle)]
pub extern "C" fn rust_scale(value: u64) -> u64 {
    value * 3
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    let values = [1u64, 2, 3, 4];
    // SAFETY: the pointer and length describe a live array for the duration of the call.
    let sum = unsafe { c_accumulate(values.as_ptr(), values.len() as u64) };
    // POPCNT comes with x86-64-v2 and v3 (the baseline gets a bit trick); with every crate,
    // core included, compiled for the preset.
    core::hint::black_box(core::hint::black_box(sum).count_ones());
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
`;

const BUILD_RS = `fn main() {
    let dir = std::env::var("C_LIBRARY_DIR").expect("C_LIBRARY_DIR");
    println!("cargo:rustc-link-search=native={dir}");
    println!("cargo:rustc-link-lib=static=cside");
    println!("cargo:rerun-if-env-changed=C_LIBRARY_DIR");
}
`;

/** A TOML string or array of strings: JSON's syntax, which TOML shares for ASCII strings without escapes. */
const toml = (value: string | readonly string[]) => JSON.stringify(value).replaceAll('","', '", "');

/**
 * The system profile's `.cargo/config.toml` for `preset`, written here from the model (the
 * generators package renders the kernels' own; this package imports none of ours).
 */
function cargoConfigToml(preset: FeaturePreset): string {
  const config = configFor(preset);
  return [
    '[build]',
    `target = ${toml(TARGET.triple)}`,
    '',
    `[target.${TARGET.triple}]`,
    `rustflags = ${toml(rustflags(config))}`,
    '',
    '[unstable]',
    `build-std = ${toml(BUILD_STD_CRATES)}`,
    `build-std-features = ${toml(BUILD_STD_FEATURES)}`,
    '',
    '[source.crates-io]',
    'replace-with = "rustlib"',
    '',
    '[source.rustlib]',
    `directory = ${toml(config.vendorDirectory!)}`,
    '',
    '[env]',
    'RUSTC_BOOTSTRAP = "1"',
    '',
  ].join('\n');
}

describe('a no_std crate and C code built with each preset', () => {
  it.each(PRESETS.map((preset) => [preset.name, preset] as const))(
    '%s: the crate builds without warnings and links C compiled with the model flags',
    (_, preset) => {
      const config = configFor(preset);
      const project = mkdtempSync(join(tmpdir(), `target-model-${preset.name}-`));
      mkdirSync(join(project, 'src'));
      mkdirSync(join(project, '.cargo'));
      mkdirSync(join(project, 'c'));
      writeFileSync(
        join(project, 'Cargo.toml'),
        '[package]\nname = "probe"\nversion = "0.1.0"\nedition = "2024"\n\n[profile.release]\npanic = "abort"\n',
      );
      writeFileSync(join(project, 'build.rs'), BUILD_RS);
      writeFileSync(join(project, 'src', 'main.rs'), RUST_MAIN);
      writeFileSync(join(project, '.cargo', 'config.toml'), cargoConfigToml(preset));
      writeFileSync(join(project, 'c', 'cside.c'), C_SOURCE);

      const flags = cFlags({ compiler: 'gcc', preset, codeModel: config.codeModel, relocationModel: config.relocationModel });
      const gcc = run('gcc', [...flags, '-O2', '-Wall', '-Werror', '-c', 'c/cside.c', '-o', 'c/cside.o'], { cwd: project });
      expect(gcc.stderr).toBe('');
      expect(gcc.status).toBe(0);
      expect(run('ar', ['rcs', 'c/libcside.a', 'c/cside.o'], { cwd: project }).status).toBe(0);

      const build = run('cargo', ['build', '--release'], {
        cwd: project,
        extraEnv: { CARGO_TARGET_DIR: cargoTargetDirectory(preset), C_LIBRARY_DIR: join(project, 'c'), CARGO_TERM_COLOR: 'never' },
      });
      expect(build.status, build.stderr).toBe(0);
      expect(build.stderr).not.toMatch(/^warning/m);

      const elf = join(cargoTargetDirectory(preset), TARGET.triple, 'release', 'probe');
      const header = execFileSync('readelf', ['-h', '-s', elf], { encoding: 'utf8' });
      // relocation-model=static gives a position-dependent executable.
      expect(header).toMatch(/Type:\s+EXEC/);
      expect(header).toMatch(/\bc_accumulate\b/);
      expect(header).toMatch(/\brust_scale\b/);
      const code = execFileSync('objdump', ['-d', '--no-show-raw-insn', elf], { encoding: 'utf8' });
      expect(/\bpopcnt\b/.test(code)).toBe(preset.name !== 'baseline');
      // The soft-float ABI: no preset lets the compiler touch SSE or AVX registers.
      expect(code).not.toMatch(/%[xy]mm\d/);
    },
    240_000,
  );
});
