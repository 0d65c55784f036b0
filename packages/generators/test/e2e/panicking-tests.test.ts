/**
 * Any number of panicking tests is safe (issue 10, item 1): after a test panics or faults, the
 * harness (src/testing.rs, `continue_on_fresh_stack`) runs the next one from the top of the boot
 * stack. Before that, each panicking test left about 1 KiB of abandoned frames: with 60 the last
 * tests ran inside the page directories below the boot stack, and 120 triple-faulted.
 *
 * A default (multiboot2) kernel with one extra test binary: 120 `#[should_panic]` tests with 3
 * `#[should_fault]` ones among them, then an ordinary test that checks it runs near the top of the
 * boot stack and that the heap still works. PVH direct boot, as `cargo test` does.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { appendSource, cacheDirectory, cargo, generate } from './support.js';

const NAME = 'panics-os';
const CRATE = NAME.replaceAll('-', '_');
const targetDirectory = cacheDirectory('e2e-multiboot2-system-baseline');

const BUILD_TIMEOUT = 300_000;
const RUN_TIMEOUT = 180_000;

const PANICKING = 120;
/** The tests that fault (a page fault) instead of panicking, spread among the others. */
const FAULTING = [30, 61, 92];
/** The panicking and faulting tests, then the ordinary one. */
const TOTAL = PANICKING + FAULTING.length + 1;
/** How deep the last test may find the stack: its own frames and the harness's, far below 1 KiB per earlier test. */
const FRESH_STACK_DEPTH = 16 * 1024;

/** tests/many_panics.rs. The harness runs tests sorted by name: t000 ... t122, then the last one. */
function manyPanics(): string {
  const tests: string[] = [];
  for (let index = 0; index < PANICKING + FAULTING.length; index++) {
    const name = `t${String(index).padStart(3, '0')}`;
    if (FAULTING.includes(index)) {
      tests.push(`kernel_test! {
    #[should_fault(expected = "page fault (#PF, vector 14)")]
    fn ${name}_faults() {
        let pointer = black_box(UNMAPPED) as *mut u64;
        // SAFETY: deliberately invalid: nothing maps this address.
        unsafe { pointer.write_volatile(${index}) };
    }
}
`);
    } else {
      tests.push(`kernel_test! {
    #[should_panic(expected = "panic number ${index}")]
    fn ${name}_panics() {
        // Some stack in use when it panics, as a real test would have.
        let buffer = black_box([${index}u8; 256]);
        panic!("panic number {}", buffer[255]);
    }
}
`);
    }
  }
  return `#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use core::hint::black_box;

use ${CRATE}::kernel_test;
use ${CRATE}::memory::stacks;

${CRATE}::entry_point!(${CRATE}::testing::test_kernel_main);

/// Canonical but far above any RAM the kernel maps (as tests/page_fault.rs).
const UNMAPPED: u64 = 0x0000_7e57_dead_0000;

${tests.join('\n')}
kernel_test! {
    fn z_runs_on_a_fresh_stack_afterwards() {
        let rsp: u64;
        // SAFETY: reads the stack pointer, nothing else.
        unsafe { core::arch::asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack)) };
        let top = stacks::BOOT_STACK.top();
        assert!(rsp < top && top - rsp < ${FRESH_STACK_DEPTH}, "rsp {rsp:#x} is {} bytes below the top {top:#x}", top.wrapping_sub(rsp));
        let squares: Vec<u64> = (0..1000).map(|n| n * n).collect();
        assert_eq!(squares.iter().sum::<u64>(), 332_833_500);
    }
}
`;
}

let directory: string;

beforeAll(() => {
  directory = generate({ name: NAME }).directory;
  writeFileSync(join(directory, 'tests', 'many_panics.rs'), manyPanics());
  appendSource(directory, 'Cargo.toml', '\n[[test]]\nname = "many_panics"\nharness = false\n');
  const build = cargo(directory, ['test', '--test', 'many_panics', '--no-run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
  expect(build.status, build.output).toBe(0);
}, BUILD_TIMEOUT);

describe('a test binary with 120 panicking tests (PVH direct boot)', () => {
  it('reports every one ok, then runs the next test on a fresh stack', () => {
    const run = cargo(directory, ['test', '--test', 'many_panics'], { targetDirectory, timeoutMs: RUN_TIMEOUT });
    expect(run.status, run.output).toBe(0);
    const results = [...run.output.matchAll(/^test (\S+) \.\.\. (\S+)/gm)].map((match) => [match[1], match[2]]);
    expect(results).toHaveLength(TOTAL);
    expect(results.filter(([name]) => /^t\d{3}_panics$/.test(name!))).toHaveLength(PANICKING);
    expect(results.filter(([name]) => /^t\d{3}_faults$/.test(name!))).toHaveLength(TOTAL - PANICKING - 1);
    expect(results.filter(([, verdict]) => verdict !== 'ok'), run.output).toEqual([]);
    expect(results.at(-1)).toEqual(['z_runs_on_a_fresh_stack_afterwards', 'ok']);
    expect(run.output).toMatch(new RegExp(`^test result: ok\\. ${TOTAL} passed; 0 failed; 0 ignored;`, 'm'));
  }, RUN_TIMEOUT);
});
