//! src/c_interop.rs: integers (negative, and wider than 32 bits), pointers
//! and structs cross between Rust and C both ways, each result checked
//! against the same computation in Rust; and the C code runs with SSE and
//! AVX switched off in CR4, where any SSE or AVX instruction raises #UD.

#![no_std]
#![no_main]

extern crate limine_modules_pic_timer_keyboard as kernel;

use core::arch::asm;

use kernel::arch::x86_64::cpu;
use kernel::c_interop::{self, Stats};
use kernel::kernel_test;

kernel::entry_point!(kernel::testing::test_kernel_main);

/// CR4.OSFXSR (bit 9): clear, every SSE instruction raises #UD (Intel SDM
/// Vol. 3A §2.5; Vol. 2, each SSE instruction's exceptions: "#UD If
/// CR4.OSFXSR[bit 9] = 0").
const CR4_OSFXSR: u64 = 1 << 9;
/// CR4.OSXMMEXCPT (bit 10): SIMD floating-point exceptions; meaningless
/// without OSFXSR.
const CR4_OSXMMEXCPT: u64 = 1 << 10;
/// CR4.OSXSAVE (bit 18): clear, every VEX- or EVEX-encoded (AVX)
/// instruction raises #UD (Intel SDM Vol. 2A §2.3.12, VEX exceptions).
const CR4_OSXSAVE: u64 = 1 << 18;

/// Runs `f` with SSE and AVX off, then puts CR4 back as it was. The kernel
/// itself never uses SSE or AVX registers (the target's ABI is soft-float),
/// so only an SSE or AVX instruction in `f` (in the C code) can notice: it
/// raises #UD, which fails the test.
fn with_sse_off<T>(f: impl FnOnce() -> T) -> T {
    let saved = cpu::read_cr4();
    let off = saved & !(CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE);
    // SAFETY: clearing these bits only disables SSE/AVX instructions, which
    // the Rust code never executes; every other bit is kept.
    unsafe { write_cr4(off) };
    let result = f();
    // SAFETY: the value CR4 held before, which the boot code chose.
    unsafe { write_cr4(saved) };
    result
}

/// Writes CR4.
///
/// # Safety
///
/// `value` must keep paging as it is (PAE, LA57) and enable nothing the CPU
/// or the running code cannot handle.
unsafe fn write_cr4(value: u64) {
    // SAFETY: the caller's contract; MOV to CR4 in ring 0.
    unsafe { asm!("mov cr4, {}", in(reg) value, options(nostack, preserves_flags)) };
}

/// Rust's own answers, to check C's against.
fn rust_sum(values: &[i32]) -> i64 {
    values.iter().map(|&value| i64::from(value)).sum()
}

fn rust_stats(samples: &[i32]) -> Stats {
    Stats {
        count: samples.len() as u32,
        sum: rust_sum(samples),
        min: samples.iter().copied().min().unwrap_or(i32::MAX),
        max: samples.iter().copied().max().unwrap_or(i32::MIN),
    }
}

/// 1000 samples spread over all of `i32`, both signs, with no pattern a
/// compiler could fold: long enough that a vectorising compiler would use
/// SIMD registers for the sum if it were allowed to.
fn samples() -> [i32; 1000] {
    let mut state: u32 = 0x2545_F491;
    core::array::from_fn(|_| {
        // xorshift32 (Marsaglia, "Xorshift RNGs", 2003: shifts 13, 17, 5).
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as i32
    })
}

kernel_test! {
    fn integers_cross_both_ways() {
        let cases = [
            (6, 7, 0),
            (-6, 7, 100),
            (7, -6, -100),
            (-1, -1, -1),
            // The product needs 63 bits: C must widen before multiplying.
            (i32::MAX, i32::MAX, 0),
            (i32::MIN, i32::MIN, -1),
            (i32::MIN, i32::MAX, i64::MAX),
            // The 64-bit argument at its extremes.
            (1, 1, i64::MIN),
            (0, 12345, i64::MAX),
            (-2, 3, 1 << 40),
        ];
        for (a, b, c) in cases {
            let expected = i64::from(a) * i64::from(b) + c;
            assert_eq!(c_interop::mul_add(a, b, c), expected, "{a} * {b} + {c}");
        }
    }
}

kernel_test! {
    fn a_pointer_and_a_length_cross() {
        assert_eq!(c_interop::sum(&[]), 0);
        assert_eq!(c_interop::sum(&[1, 2, 3, 4]), 10);
        assert_eq!(c_interop::sum(&[-5, 3]), -2);
        // Sums beyond 32 bits, both ways.
        assert_eq!(c_interop::sum(&[i32::MAX; 3]), 3 * i64::from(i32::MAX));
        assert_eq!(c_interop::sum(&[i32::MIN, -1]), i64::from(i32::MIN) - 1);
        // C reads exactly the slice it is given, from where it starts.
        let values: [i32; 10] = core::array::from_fn(|i| 1 << i);
        assert_eq!(c_interop::sum(&values[3..7]), 8 + 16 + 32 + 64);
        let samples = samples();
        for length in [1, 7, 8, 9, 999, 1000] {
            assert_eq!(c_interop::sum(&samples[..length]), rust_sum(&samples[..length]), "{length} samples");
        }
    }
}

kernel_test! {
    fn a_struct_crosses_by_pointer_and_comes_back() {
        // Different values in every field: a field read or written at the
        // wrong offset shows.
        let stats = Stats {
            count: 41,
            sum: -(1 << 40),
            min: -3,
            max: 9,
        };
        let before = stats;
        assert_eq!(
            c_interop::stats_add(&stats, 5),
            Stats {
                count: 42,
                sum: -(1 << 40) + 5,
                min: -3,
                max: 9,
            }
        );
        assert_eq!(stats, before, "C left the struct it was pointed at as it was");
        assert_eq!(c_interop::stats_add(&stats, -4).min, -4);
        assert_eq!(c_interop::stats_add(&stats, 10).max, 10);
        let first = c_interop::stats_add(&Stats::EMPTY, i32::MIN);
        assert_eq!(first, rust_stats(&[i32::MIN]));
    }
}

kernel_test! {
    fn c_calls_back_into_rust() {
        assert_eq!(c_interop::stats_of(&[]), Stats::EMPTY, "no sample, no change");
        assert_eq!(
            c_interop::stats_of(&[3, -1, 4]),
            Stats {
                count: 3,
                sum: 6,
                min: -1,
                max: 4,
            }
        );
        let extremes = [i32::MAX, i32::MIN, 0, i32::MAX, i32::MAX];
        assert_eq!(c_interop::stats_of(&extremes), rust_stats(&extremes));
        let samples = samples();
        assert_eq!(c_interop::stats_of(&samples), rust_stats(&samples));
    }
}

kernel_test! {
    fn the_c_code_runs_with_sse_and_avx_off() {
        let samples = samples();
        let (product, sum, added, collected) = with_sse_off(|| {
            (
                c_interop::mul_add(i32::MIN, 3, -7),
                c_interop::sum(&samples),
                c_interop::stats_add(&Stats::EMPTY, -9),
                c_interop::stats_of(&samples),
            )
        });
        assert_eq!(product, i64::from(i32::MIN) * 3 - 7);
        assert_eq!(sum, rust_sum(&samples));
        assert_eq!(added, rust_stats(&[-9]));
        assert_eq!(collected, rust_stats(&samples));
    }
}

kernel_test! {
    // The check above proves something only if an SSE instruction really
    // faults there. (CR4 then stays without SSE for the rest of this test
    // kernel, which needs none.)
    #[should_fault(expected = "invalid opcode (#UD, vector 6)")]
    fn an_sse_instruction_faults_with_sse_off() {
        with_sse_off(|| {
            // SAFETY: deliberately faults: XORPS is an SSE instruction, #UD
            // with CR4.OSFXSR clear; the exception handler never returns here.
            unsafe { asm!("xorps xmm0, xmm0", options(nomem, nostack)) };
        });
    }
}

kernel_test! {
    // The same for AVX: with CR4.OSXSAVE clear, a VEX-encoded instruction
    // faults whether or not the CPU has AVX.
    #[should_fault(expected = "invalid opcode (#UD, vector 6)")]
    fn an_avx_instruction_faults_with_sse_off() {
        with_sse_off(|| {
            // SAFETY: deliberately faults: VPXOR is VEX-encoded (AVX), #UD
            // with CR4.OSXSAVE clear; the exception handler never returns here.
            unsafe { asm!("vpxor xmm0, xmm0, xmm0", options(nomem, nostack)) };
        });
    }
}
