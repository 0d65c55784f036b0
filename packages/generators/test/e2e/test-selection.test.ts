/**
 * Running some tests, not all, as Rust users type it (`cargo test NAME`, `cargo test -- NAME`,
 * `--test`, `--exact`, `--skip`, `--list`, `--ignored`), libtest's output format with times, a hung
 * test named, and the runner's output: an early boot failure that ends QEMU at once, and a UEFI
 * boot that leaves the terminal alone. A generated multiboot2 kernel (system toolchain, baseline)
 * with one extra test binary of known tests, booted in real QEMU.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { appendSource, cacheDirectory, cargo, generate, rustEnvironment } from './support.js';

const NAME = 'selection-os';
const targetDirectory = cacheDirectory('e2e-multiboot2-system-baseline');
let directory: string;

const BUILD_TIMEOUT = 300_000;
const RUN_TIMEOUT = 180_000;

/**
 * tests/selection.rs: names chosen so that substring and exact matching differ (alpha, alphabet),
 * and ignored tests with and without a reason, one that hangs, one that panics, and one that
 * takes between 1 and 2 seconds by the CMOS real-time clock: a clock independent of the TSC.
 */
const SELECTION_TESTS = `#![no_std]
#![no_main]

use ${NAME.replaceAll('-', '_')}::arch::x86_64::port::{inb, outb};
use ${NAME.replaceAll('-', '_')}::kernel_test;

${NAME.replaceAll('-', '_')}::entry_point!(${NAME.replaceAll('-', '_')}::testing::test_kernel_main);

kernel_test! {
    fn alpha() {}
}

kernel_test! {
    fn alphabet() {}
}

kernel_test! {
    #[ignore]
    fn ignored_plain() {}
}

kernel_test! {
    #[ignore = "needs a minute"]
    fn ignored_with_reason() {}
}

kernel_test! {
    #[ignore]
    fn hangs() {
        #[allow(clippy::empty_loop)]
        loop {}
    }
}

kernel_test! {
    #[ignore]
    fn panics() {
        panic!("deliberate");
    }
}

/// The RTC's seconds register (CMOS index 0 through ports 0x70/0x71).
fn rtc_seconds() -> u8 {
    // SAFETY: selecting CMOS register 0 and reading it has no other effect.
    unsafe {
        outb(0x70, 0);
        inb(0x71)
    }
}

kernel_test! {
    #[ignore]
    fn two_rtc_ticks() {
        // From the start to the second change of the seconds: more than 1 s, at most 2 s.
        for _ in 0..2 {
            let start = rtc_seconds();
            while rtc_seconds() == start {
                core::hint::spin_loop();
            }
        }
    }
}
`;

beforeAll(() => {
  directory = generate({ name: NAME }).directory;
  writeFileSync(join(directory, 'tests', 'selection.rs'), SELECTION_TESTS);
  appendSource(directory, 'Cargo.toml', '\n[[test]]\nname = "selection"\nharness = false\n');
  const build = cargo(directory, ['test', '--no-run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
  expect(build.status, build.output).toBe(0);
}, BUILD_TIMEOUT);

const test = (args: readonly string[], env: Record<string, string> = {}) =>
  cargo(directory, ['test', ...args], { targetDirectory, env, timeoutMs: RUN_TIMEOUT });

/** libtest's lines: a test's result with its time (`--report-time`), and the summary. */
const TIME = String.raw`<\d+\.\d{3}s>`;
const result = (name: string, verdict = 'ok') => new RegExp(`^test ${name} \\.\\.\\. ${verdict} ${TIME}$`, 'm');
function summary(counts: { passed: number; failed?: number; ignored?: number; filtered?: number }, verdict = 'ok') {
  const { passed, failed = 0, ignored = 0, filtered = String.raw`\d+` } = counts;
  return new RegExp(
    `^test result: ${verdict}\\. ${passed} passed; ${failed} failed; ${ignored} ignored; 0 measured; ${filtered} filtered out; finished in \\d+\\.\\d{2}s$`,
    'm',
  );
}
/** The names of the tests that ran or were reported, in order. */
const reported = (output: string) => [...output.matchAll(/^test (\S+) \.\.\. /gm)].map((match) => match[1]);

describe('choosing tests', () => {
  it.each([
    ['cargo test NAME', ['vec_grows']],
    ['cargo test -- NAME', ['--', 'vec_grows']],
  ])('%s runs only the matching test, in every test binary (and the library, which has none)', (_, args) => {
    const run = test(args);
    expect(run.status, run.output).toBe(0);
    expect(reported(run.output)).toEqual(['vec_grows']);
    expect(run.output).toMatch(result('vec_grows'));
    // The other tests of tests/kernel.rs are filtered out.
    expect(run.output).toMatch(summary({ passed: 1 }));
    expect(run.output).toMatch(/Running tests\/selection\.rs/);
    expect(run.output).toMatch(/Running tests\/heap_exhaustion\.rs/);
  }, RUN_TIMEOUT);

  it('cargo test --test kernel NAME runs that binary only', () => {
    const run = test(['--test', 'kernel', 'vec_grows']);
    expect(run.status, run.output).toBe(0);
    expect([...run.output.matchAll(/^\s*Running /gm)]).toHaveLength(1);
    expect(reported(run.output)).toEqual(['vec_grows']);
  }, RUN_TIMEOUT);

  it('matches substrings, or whole names with --exact, and leaves out --skip matches', () => {
    const substring = test(['--test', 'selection', 'alpha']);
    expect(substring.status, substring.output).toBe(0);
    expect(reported(substring.output)).toEqual(['alpha', 'alphabet']);
    expect(substring.output).toMatch(summary({ passed: 2, filtered: 5 }));

    const exact = test(['--test', 'selection', '--', '--exact', 'alpha']);
    expect(reported(exact.output)).toEqual(['alpha']);
    expect(exact.output).toMatch(summary({ passed: 1, filtered: 6 }));

    const skip = test(['--test', 'selection', '--', 'alpha', '--skip', 'bet']);
    expect(reported(skip.output)).toEqual(['alpha']);
  }, RUN_TIMEOUT);

  it('skips ignored tests (with their reason), and --ignored runs only them', () => {
    const all = test(['--test', 'selection']);
    expect(all.status, all.output).toBe(0);
    expect(all.output).toMatch(/^running 7 tests$/m);
    expect(all.output).toMatch(/^test ignored_plain \.\.\. ignored$/m);
    expect(all.output).toMatch(/^test ignored_with_reason \.\.\. ignored, needs a minute$/m);
    expect(all.output).toMatch(/^test hangs \.\.\. ignored$/m);
    expect(all.output).toMatch(summary({ passed: 2, ignored: 5, filtered: 0 }));

    const ignored = test(['--test', 'selection', '--', '--ignored', 'ignored_']);
    expect(ignored.status, ignored.output).toBe(0);
    expect(ignored.output).toMatch(result('ignored_plain'));
    expect(ignored.output).toMatch(result('ignored_with_reason'));
    expect(ignored.output).toMatch(summary({ passed: 2, filtered: 5 }));

    const included = test(['--test', 'selection', '--', '--include-ignored', 'ignored_', 'alpha']);
    expect(reported(included.output)).toEqual(['alpha', 'alphabet', 'ignored_plain', 'ignored_with_reason']);
  }, RUN_TIMEOUT);

  it('--list lists the selected tests as libtest does, and runs none', () => {
    const list = test(['--test', 'selection', '--', '--list']);
    expect(list.status, list.output).toBe(0);
    const listing = ['alpha', 'alphabet', 'hangs', 'ignored_plain', 'ignored_with_reason', 'panics', 'two_rtc_ticks'].map((name) => `${name}: test`);
    expect(list.output).toContain(`${listing.join('\n')}\n\n7 tests, 0 benchmarks\n`);
    expect(list.output).not.toMatch(/^running/m);

    const filtered = test(['--test', 'selection', '--', '--list', '--exact', 'alpha']);
    expect(filtered.output).toContain('alpha: test\n\n1 test, 0 benchmarks\n');
  }, RUN_TIMEOUT);

  it('refuses an option it does not know, naming it', () => {
    const run = test(['--test', 'selection', '--', '--frobnicate']);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/^error: unrecognized option '--frobnicate'/m);
  }, RUN_TIMEOUT);

  it('selects through GRUB on BIOS too (the arguments travel in grub.cfg)', () => {
    const run = test(['--test', 'selection', '--', '--bios', '--exact', 'alphabet']);
    expect(run.status, run.output).toBe(0);
    expect(reported(run.output)).toEqual(['alphabet']);
    expect(run.output).toMatch(summary({ passed: 1, filtered: 6 }));
  }, RUN_TIMEOUT);
});

describe('what a run reports', () => {
  it("times a test by a clock that agrees with the CMOS real-time clock's", () => {
    const started = Date.now();
    const run = test(['--test', 'selection', '--', '--ignored', '--exact', 'two_rtc_ticks']);
    const hostSeconds = (Date.now() - started) / 1000;
    expect(run.status, run.output).toBe(0);
    const seconds = Number(new RegExp(`^test two_rtc_ticks \\.\\.\\. ok <(\\d+\\.\\d{3})s>$`, 'm').exec(run.output)?.[1]);
    expect(seconds, run.output).toBeGreaterThanOrEqual(0.95);
    expect(seconds).toBeLessThanOrEqual(2.1);
    const total = Number(/; finished in (\d+\.\d{2})s$/m.exec(run.output)?.[1]);
    expect(total).toBeGreaterThanOrEqual(seconds - 0.01);
    expect(total).toBeLessThan(hostSeconds);
  }, RUN_TIMEOUT);

  it('reports a failing test as FAILED with its time, a symbolised backtrace and the failures list', () => {
    const run = test(['--test', 'selection', '--', '--ignored', 'panics']);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(result('panics', 'FAILED'));
    expect(run.output).toMatch(/^panicked at tests\/selection\.rs:\d+:\d+: deliberate$/m);
    expect(run.output).toMatch(/^ {2}#\d+ 0x[0-9a-f]{16} selection::panics at tests\/selection\.rs:\d+$/m);
    expect(run.output).toContain('\nfailures:\n    panics\n');
    expect(run.output).toMatch(summary({ passed: 0, failed: 1, filtered: 6 }, 'FAILED'));
    expect(run.output).toMatch(/^runner: the kernel reported failure$/m);
  }, RUN_TIMEOUT);

  it('names the test that was running when TIMEOUT fired', () => {
    const run = test(['--test', 'selection', '--', '--include-ignored', 'alpha', 'hangs'], { TIMEOUT: '5' });
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(result('alpha'));
    expect(run.output).toMatch(/^runner: timed out after 5s while running test 'hangs' \(hung\?\); set TIMEOUT to wait longer$/m);
  }, RUN_TIMEOUT);
});

describe("the runner's terminal", () => {
  it('ends QEMU at once, with failure, when the CPU cannot run the kernel (QEMU_CPU=486)', () => {
    const started = Date.now();
    const run = cargo(directory, ['run', '--', '--direct'], { targetDirectory, env: { QEMU_CPU: '486' }, timeoutMs: RUN_TIMEOUT });
    const seconds = (Date.now() - started) / 1000;
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/^boot error: this CPU does not support 64-bit long mode$/m);
    expect(run.output).toMatch(/^runner: boot failed: this CPU does not support 64-bit long mode$/m);
    // Not the runner's 30 s timeout: QEMU exits as soon as the message is out.
    expect(seconds).toBeLessThan(15);
  }, RUN_TIMEOUT);

  it('passes no terminal control sequences through from a UEFI boot (GRUB and OVMF clear the screen)', () => {
    // The output as the terminal receives it: not through support.ts's plainText.
    const boot = spawnSync('cargo', ['run', '--', '--uefi'], {
      cwd: directory,
      env: rustEnvironment({ CARGO_TARGET_DIR: targetDirectory }),
      encoding: 'utf8',
      timeout: RUN_TIMEOUT,
    });
    expect(boot.status, boot.stderr).toBe(0);
    expect(boot.stdout).toMatch(/^\[kernel\] boot complete\r?$/m);
    expect(boot.stdout).not.toContain('\x1b');
    expect(boot.stderr).not.toContain('\x1b');
  }, RUN_TIMEOUT);
});
