/**
 * CPU exceptions in a generated multiboot2 kernel, booted directly (PVH) in real QEMU: each fatal
 * fault is reported by name with its error code, the registers, CR2 for a page fault and a
 * backtrace, then the kernel exits with failure, within seconds and without a triple fault (which
 * QEMU would report as status 0). `int3` returns. The kernel's own fault test binaries pass.
 *
 * The backtrace is checked against the ELF with binutils' addr2line, independently of the kernel
 * and of the runner.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { appendSource, cacheDirectory, cargo, generate, kernelElf, replaceInSource, run } from './support.js';

const NAME = 'e2e-os';
// Shared with multiboot2.test.ts (same configuration): `core` is compiled once for both.
const targetDirectory = cacheDirectory('e2e-multiboot2-system-baseline');
const BUILD_TIMEOUT = 300_000;
/**
 * The runner's QEMU timeout ("within seconds"): booting and reporting takes about a second under
 * TCG; a hang, or a reset loop, would hit it and fail the run with "timed out".
 */
const RUNNER_TIMEOUT_SECONDS = '10';
const BOOT_COMPLETE = 'println!("[kernel] boot complete");';

/** An unmapped, canonical address for the page fault, recognisable in CR2. */
const UNMAPPED = '0x0000_7e57_dead_0abc';

/** Recursion the compiler can neither drop nor turn into a loop (as tests/stack_overflow.rs). */
const RECURSE = `
#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let mut frame = [depth; 16];
    core::hint::black_box(&mut frame);
    recurse(core::hint::black_box(depth + 1)) + frame[0]
}
`;

interface Fault {
  readonly name: string;
  /** Replaces the "boot complete" line of kernel_main. */
  readonly code: string;
  /** Appended to src/main.rs. */
  readonly extra?: string;
  /** The report's lines, in order (the registers and the backtrace are checked for all). */
  readonly report: readonly RegExp[];
  /** The function (in src/main.rs) that a backtrace frame must name. */
  readonly caller: string;
}

const FAULTS: readonly Fault[] = [
  {
    name: 'null write',
    code: `let node = core::hint::black_box(core::ptr::null_mut::<u64>());
    // SAFETY: deliberately invalid: page 0 is not mapped.
    unsafe { *node.wrapping_add(2) = 1 };`,
    report: [
      /^EXCEPTION: page fault \(#PF, vector 14\)$/,
      /^ {2}error code: 0x2 \(page not present, write, kernel mode\)$/,
      /^ {2}CR2: 0x0000000000000010 \(null pointer: the address is in page 0\)$/,
    ],
    caller: 'kernel_main',
  },
  {
    name: 'page fault',
    code: `// SAFETY: deliberately invalid: nothing maps this address.
    unsafe { *(core::hint::black_box(${UNMAPPED}_u64) as *mut u8) = 1 };`,
    report: [
      /^EXCEPTION: page fault \(#PF, vector 14\)$/,
      /^ {2}error code: 0x2 \(page not present, write, kernel mode\)$/,
      /^ {2}CR2: 0x00007e57dead0abc$/,
    ],
    caller: 'kernel_main',
  },
  {
    name: 'invalid opcode',
    code: `// SAFETY: deliberately invalid: ud2 raises #UD.
    unsafe { core::arch::asm!("ud2") };`,
    report: [/^EXCEPTION: invalid opcode \(#UD, vector 6\)$/, /^ {2}error code: 0x0$/],
    caller: 'kernel_main',
  },
  {
    name: 'divide error',
    code: `// SAFETY: deliberately invalid: div by a zero register raises #DE.
    unsafe {
        core::arch::asm!("div {0}", in(reg) core::hint::black_box(0u64), inout("rax") 1u64 => _, inout("rdx") 0u64 => _);
    }`,
    report: [/^EXCEPTION: divide error \(#DE, vector 0\)$/],
    caller: 'kernel_main',
  },
  {
    name: 'general protection fault',
    code: `// SAFETY: deliberately invalid: a non-canonical address raises #GP.
    let value = unsafe { (core::hint::black_box(0x8000_0000_0000_0000_u64) as *const u64).read_volatile() };
    core::hint::black_box(value);`,
    report: [/^EXCEPTION: general protection fault \(#GP, vector 13\)$/, /^ {2}error code: 0x0 \(no segment involved/],
    caller: 'kernel_main',
  },
  {
    name: 'stack overflow',
    code: 'core::hint::black_box(recurse(0));',
    extra: RECURSE,
    report: [
      /^EXCEPTION: kernel stack overflow: the kernel stack ran into its guard page at 0x[0-9a-f]+$/,
      /^EXCEPTION: double fault \(#DF, vector 8\)$/,
      /^ {2}error code: 0x0$/,
      /^ {2}CR2: 0x[0-9a-f]{16} \(in the guard page of the kernel stack\)$/,
    ],
    // 32 frames of recursion: kernel_main is further up than the walk goes.
    caller: 'recurse',
  },
];

/** A project whose kernel_main commits `fault` instead of finishing the boot. */
function faultyProject(fault: Fault, boot: 'multiboot2' | 'limine' = 'multiboot2'): string {
  const { directory } = generate({ name: NAME, boot });
  replaceInSource(directory, 'src/main.rs', BOOT_COMPLETE, fault.code);
  if (fault.extra) appendSource(directory, 'src/main.rs', fault.extra);
  return directory;
}

/** Each line matches its pattern, in order. */
function expectLinesInOrder(output: string, patterns: readonly RegExp[]) {
  const lines = output.split('\n');
  let from = 0;
  for (const pattern of patterns) {
    const index = lines.findIndex((line, position) => position >= from && pattern.test(line));
    expect(index, `${pattern} after line ${from} in:\n${output}`).toBeGreaterThanOrEqual(0);
    from = index + 1;
  }
}

/** The frames of the first backtrace in `output`: `  #<n> 0x<16 hex digits>`, numbered from 0. */
function backtraceFrames(output: string): bigint[] {
  const lines = output.split('\n');
  const start = lines.indexOf('backtrace:');
  expect(start, output).toBeGreaterThanOrEqual(0);
  const frames: bigint[] = [];
  for (const line of lines.slice(start + 1)) {
    // What the runner names inlined into a frame, below it: core's functions, when core was built
    // optimised (the shared sysroot's is: release, as a prebuilt core), are inlined even here.
    if (/^ {6}inlined: /.test(line)) continue;
    const match = /^ {2}#(\d+) 0x([0-9a-f]{16})(?: |$)/.exec(line);
    if (!match) break;
    expect(Number(match[1])).toBe(frames.length);
    frames.push(BigInt(`0x${match[2]}`));
  }
  return frames;
}

/** The common part of every fatal report: a failure exit, no reset, registers, a backtrace. */
function expectFatalReport(output: string, status: number | null, report: readonly RegExp[]): bigint[] {
  expect(status, output).not.toBe(0);
  expect(output).toMatch(/^runner: the kernel reported failure$/m);
  expect(output).not.toMatch(/triple-fault|timed out/);
  expect(output).not.toMatch(/^\[kernel\] boot complete$/m);
  expectLinesInOrder(output, [
    ...report,
    /^ {2}RIP: 0x[0-9a-f]{16} {2}CS: 0x8$/,
    /^ {2}RSP: 0x[0-9a-f]{16} {2}SS: 0x10$/,
    /^ {2}RFLAGS: 0x[0-9a-f]+$/,
    /^backtrace:$/,
  ]);
  const frames = backtraceFrames(output);
  expect(frames.length, output).toBeGreaterThanOrEqual(2);
  // Frame 0 is the faulting instruction itself.
  const rip = /^ {2}RIP: (0x[0-9a-f]{16})/m.exec(output)![1]!;
  expect(frames[0]).toBe(BigInt(rip));
  return frames;
}

/**
 * `function at file:line` for the addresses, from the ELF's debug information (binutils addr2line),
 * with the functions inlined at each address too: `write_volatile` is inlined into its caller even
 * in debug builds.
 */
function symbolise(elf: string, addresses: readonly bigint[]): string[] {
  const args = ['--functions', '--demangle', '--basenames', '--inlines', '-e', elf, ...addresses.map((a) => `0x${a.toString(16)}`)];
  const result = run('addr2line', args);
  expect(result.status).toBe(0);
  const lines = result.output.trim().split('\n');
  return lines.flatMap((line, index) => (index % 2 === 0 ? [`${line} at ${lines[index + 1]}`] : []));
}

beforeAll(() => {
  const build = cargo(generate({ name: NAME }).directory, ['build'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
  expect(build.status, build.output).toBe(0);
}, BUILD_TIMEOUT);

describe('a generated kernel that commits a CPU exception', () => {
  it.each(FAULTS)('reports a $name by name, with registers and a backtrace, and exits with failure', (fault) => {
    const directory = faultyProject(fault);
    const build = cargo(directory, ['build'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(build.status, build.output).toBe(0);
    const boot = cargo(directory, ['run', '--', '--direct'], { targetDirectory, env: { TIMEOUT: RUNNER_TIMEOUT_SECONDS } });
    const frames = expectFatalReport(boot.output, boot.status, fault.report);
    const symbols = symbolise(kernelElf(targetDirectory, NAME), frames);
    expect(symbols.some((symbol) => symbol.includes(`::${fault.caller} at main.rs:`)), symbols.join('\n')).toBe(true);
    // The runner symbolises the same lines for the user.
    expect(boot.output).toMatch(new RegExp(`^ {2}#\\d+ 0x[0-9a-f]{16} \\S*::${fault.caller} at src/main\\.rs:\\d+$`, 'm'));
  }, BUILD_TIMEOUT);

  it('reports a null write in a release build too', () => {
    const directory = faultyProject(FAULTS[0]!);
    const boot = cargo(directory, ['run', '--release', '--', '--direct'], {
      targetDirectory,
      env: { TIMEOUT: RUNNER_TIMEOUT_SECONDS },
      timeoutMs: BUILD_TIMEOUT,
    });
    expectFatalReport(boot.output, boot.status, FAULTS[0]!.report);
  }, BUILD_TIMEOUT);
});

// The same faults in a Limine kernel, booted through a real Limine (BIOS ISO) where one is at hand.
describe.skipIf(!process.env.LIMINE_DIR)('a generated Limine kernel that commits a CPU exception (LIMINE_DIR)', () => {
  const limineTarget = cacheDirectory('e2e-limine-system-baseline');

  it.each(FAULTS)('reports a $name by name, with registers and a symbolised backtrace, and exits with failure', (fault) => {
    const directory = faultyProject(fault, 'limine');
    const boot = cargo(directory, ['run'], { targetDirectory: limineTarget, env: { TIMEOUT: '30' }, timeoutMs: BUILD_TIMEOUT });
    expectFatalReport(boot.output, boot.status, fault.report);
    expect(boot.output).toMatch(new RegExp(`^ {2}#\\d+ 0x[0-9a-f]{16} \\S*::${fault.caller} at src/main\\.rs:\\d+$`, 'm'));
  }, BUILD_TIMEOUT);
});

describe('a panic', () => {
  it('prints a backtrace that names the panicking function', () => {
    const { directory } = generate({ name: NAME });
    replaceInSource(directory, 'src/main.rs', BOOT_COMPLETE, 'panic!("deliberate panic in kernel_main");');
    const boot = cargo(directory, ['run', '--', '--direct'], {
      targetDirectory,
      env: { TIMEOUT: RUNNER_TIMEOUT_SECONDS },
      timeoutMs: BUILD_TIMEOUT,
    });
    expect(boot.status, boot.output).not.toBe(0);
    expectLinesInOrder(boot.output, [/^panicked at src\/main\.rs:\d+:\d+: deliberate panic in kernel_main$/, /^backtrace:$/]);
    const frames = backtraceFrames(boot.output);
    const symbols = symbolise(kernelElf(targetDirectory, NAME), frames);
    expect(symbols.some((symbol) => symbol.includes('::kernel_main at main.rs:')), symbols.join('\n')).toBe(true);
    expect(boot.output).toMatch(/^ {2}#\d+ 0x[0-9a-f]{16} \S*::kernel_main at src\/main\.rs:\d+$/m);
  }, BUILD_TIMEOUT);
});

describe('a backtrace through a corrupted frame pointer', () => {
  it('stops at the bad frame pointer instead of faulting again', () => {
    const { directory } = generate({ name: NAME });
    // RBP off every stack (non-canonical: following it would be a #GP inside the handler).
    replaceInSource(
      directory,
      'src/main.rs',
      BOOT_COMPLETE,
      `// SAFETY: deliberately invalid: RBP is restored by nobody, ud2 ends the kernel.
    unsafe { core::arch::asm!("mov rbp, {0}", "ud2", in(reg) core::hint::black_box(0x8000_0000_0000_0000_u64)) };`,
    );
    const boot = cargo(directory, ['run', '--', '--direct'], {
      targetDirectory,
      env: { TIMEOUT: RUNNER_TIMEOUT_SECONDS },
      timeoutMs: BUILD_TIMEOUT,
    });
    expect(boot.status, boot.output).not.toBe(0);
    expect(boot.output).toMatch(/^runner: the kernel reported failure$/m);
    expect(boot.output.match(/^EXCEPTION: .*$/gm)).toEqual(['EXCEPTION: invalid opcode (#UD, vector 6)']);
    expect(boot.output).toMatch(/ RBP: 0x8000000000000000 /);
    // Only the faulting instruction: the walk did not follow RBP.
    const rip = BigInt(/^ {2}RIP: (0x[0-9a-f]{16})/m.exec(boot.output)![1]!);
    expect(backtraceFrames(boot.output)).toEqual([rip]);
  }, BUILD_TIMEOUT);
});

describe("the kernel's own fault tests", () => {
  it('pass: each fault binary sees its exception, and int3 returns with the registers intact', () => {
    const { directory } = generate({ name: NAME });
    const test = cargo(directory, ['test'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(test.status, test.output).toBe(0);
    const expectations: [string, string][] = [
      ['division_by_zero_is_a_divide_error', 'divide error (#DE, vector 0)'],
      ['non_canonical_read_is_a_general_protection_fault', 'general protection fault (#GP, vector 13)'],
      ['ud2_is_an_invalid_opcode', 'invalid opcode (#UD, vector 6)'],
      ['null_pointer_write_faults', 'page fault (#PF, vector 14): page not present, write, kernel mode'],
      ['write_to_unmapped_memory_page_faults', 'page fault (#PF, vector 14): page not present, write, kernel mode'],
      ['unbounded_recursion_overflows_the_stack', 'kernel stack overflow'],
    ];
    for (const [name, report] of expectations) {
      const escaped = report.replace(/[()#]/g, '\\$&');
      expect(test.output).toMatch(new RegExp(`^test ${name} \\.\\.\\. ok.*\\(faulted as expected: ${escaped}\\)`, 'm'));
    }
    // The handler's note comes while the test runs, then the test passes.
    expect(test.output).toMatch(
      /^test breakpoint_returns_with_registers_intact \.\.\. note: breakpoint \(#BP, vector 3\) at 0x[0-9a-f]+, continuing\nok/m,
    );
  }, BUILD_TIMEOUT);

  it('fail a test that faults unexpectedly, with the report, and go on with the next tests', () => {
    const { directory } = generate({ name: NAME });
    // Sorted first, so every other test runs after it, on a fresh stack: the overflow leaves the
    // boot stack full and the handler on the double-fault stack.
    appendSource(directory, 'tests/kernel.rs', `${RECURSE}
kernel_test! {
    fn aaa_overflows_the_stack() {
        core::hint::black_box(recurse(0));
    }
}

kernel_test! {
    #[should_fault(expected = "page fault")]
    fn aab_does_not_fault() {}
}

kernel_test! {
    fn aac_runs_on_a_fresh_boot_stack() {
        let rsp: u64;
        // SAFETY: reads RSP.
        unsafe { core::arch::asm!("mov {}, rsp", out(reg) rsp) };
        let stack = e2e_os::memory::stacks::BOOT_STACK.usable();
        // Near the top of the boot stack: not on the double-fault stack, not below the overflow.
        assert!(stack.contains(&rsp) && stack.end - rsp < 4096, "rsp {rsp:#x}, boot stack {stack:x?}");
    }
}
`);
    const test = cargo(directory, ['test', '--test', 'kernel'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(test.status).not.toBe(0);
    expectLinesInOrder(test.output, [
      /^test aaa_overflows_the_stack \.\.\. FAILED/,
      /^EXCEPTION: kernel stack overflow: the kernel stack ran into its guard page/,
      /^EXCEPTION: double fault \(#DF, vector 8\)$/,
      /^backtrace:$/,
      /^test aab_does_not_fault \.\.\. FAILED/,
      /^note: test did not cause the expected CPU exception$/,
      /^test aac_runs_on_a_fresh_boot_stack \.\.\. ok/,
      /^test boxed_value \.\.\. ok/,
      /^test vec_grows \.\.\. ok/,
      /^test result: FAILED\. \d+ passed; 2 failed/,
    ]);
  }, BUILD_TIMEOUT);
});
