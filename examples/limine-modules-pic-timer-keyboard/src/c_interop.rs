//! C beside Rust: the functions of csrc/c_interop.c, called through
//! `extern "C"`, and [`rust_c_interop_next_sample`], the Rust function that C
//! calls back.
//!
//! build.rs compiles csrc/ with the host C compiler (build/c_interop.rs) into
//! a static library that links into the kernel. Each C function is declared
//! below as csrc/c_interop.h declares it, with the types that match on both
//! sides (`int32_t` = `i32`, `int64_t` = `i64`, `size_t` = `usize`, `bool` =
//! `bool`, `void *` = `*mut c_void`), and has a safe wrapper: the `unsafe`
//! stays in this file. C gets no floating point (its flags turn SSE and the
//! x87 off, as the Rust target does): never pass `f32` or `f64` across.

use core::ffi::c_void;
use core::mem::{offset_of, size_of};
use core::slice;

/// The compiler family build.rs chose the C flags for: `gcc` or `clang`.
pub const COMPILER: &str = env!("C_INTEROP_COMPILER");
/// The first line of the C compiler's `--version`.
pub const COMPILER_VERSION: &str = env!("C_INTEROP_COMPILER_VERSION");

/// `struct c_stats` of csrc/c_interop.h: running statistics of samples.
/// `#[repr(C)]` lays the fields out as C does, in this order.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    pub count: u32,
    pub sum: i64,
    /// `i32::MAX` while `count` is 0.
    pub min: i32,
    /// `i32::MIN` while `count` is 0.
    pub max: i32,
}

// The layout the header gives (System V x86-64 ABI §3.1.2): each field at
// the next multiple of its size, so 4 bytes of padding after `count`. C
// checks the same numbers (csrc/c_interop.c).
const _: () = {
    assert!(size_of::<Stats>() == 24);
    assert!(offset_of!(Stats, sum) == 8);
    assert!(offset_of!(Stats, max) == 20);
};

impl Stats {
    /// No samples: the first one becomes both the minimum and the maximum.
    pub const EMPTY: Self = Self {
        count: 0,
        sum: 0,
        min: i32::MAX,
        max: i32::MIN,
    };
}

unsafe extern "C" {
    fn c_mul_add(a: i32, b: i32, c: i64) -> i64;
    fn c_sum(values: *const i32, count: usize) -> i64;
    fn c_stats_add(stats: *const Stats, sample: i32) -> Stats;
    fn c_stats_collect(source: *mut c_void) -> Stats;
}

/// `a * b + c`, computed in C in 64 bits.
pub fn mul_add(a: i32, b: i32, c: i64) -> i64 {
    // SAFETY: c_mul_add computes with its arguments only.
    unsafe { c_mul_add(a, b, c) }
}

/// The sum of `values`, computed in C in 64 bits.
pub fn sum(values: &[i32]) -> i64 {
    // SAFETY: the pointer and length describe `values`, which lives through
    // the call; C only reads them.
    unsafe { c_sum(values.as_ptr(), values.len()) }
}

/// `stats` with `sample` added, computed in C; `stats` is left as it is.
pub fn stats_add(stats: &Stats, sample: i32) -> Stats {
    // SAFETY: `stats` points to a live `Stats` for the call; C reads it
    // through a `const` pointer and returns a new one.
    unsafe { c_stats_add(stats, sample) }
}

/// What C's `void *source` points to while [`stats_of`] runs: the samples
/// not yet handed to C.
struct Samples<'a> {
    remaining: slice::Iter<'a, i32>,
}

/// The statistics of `samples`, computed in C, which asks Rust for each
/// sample in turn ([`rust_c_interop_next_sample`]).
pub fn stats_of(samples: &[i32]) -> Stats {
    let mut source = Samples {
        remaining: samples.iter(),
    };
    // SAFETY: C passes `source` on, unchanged, to rust_c_interop_next_sample
    // only, and only during this call, while `source` lives.
    unsafe { c_stats_collect((&raw mut source).cast()) }
}

/// Called by C (`c_stats_collect`): writes the next sample of `source` to
/// `*sample` and returns true, or returns false when there are no more.
///
/// # Safety
///
/// `source` must be the pointer [`stats_of`] gave C, during that call, and
/// `sample` must point to an `int32_t` C may write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rust_c_interop_next_sample(source: *mut c_void, sample: *mut i32) -> bool {
    // SAFETY: by the contract above, `source` is the `Samples` of a running
    // `stats_of`, which nothing else uses while C runs.
    let source = unsafe { &mut *source.cast::<Samples<'_>>() };
    match source.remaining.next() {
        Some(&next) => {
            // SAFETY: `sample` is writable (the contract above).
            unsafe { sample.write(next) };
            true
        }
        None => false,
    }
}
