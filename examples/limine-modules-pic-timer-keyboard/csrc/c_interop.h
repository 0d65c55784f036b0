/*
 * csrc/c_interop.h: the C functions the kernel calls, and the Rust function
 * they call back. src/c_interop.rs declares the same, on the Rust side.
 *
 * Freestanding C: only the headers every C compiler brings (<stdbool.h>,
 * <stddef.h>, <stdint.h>); no libc, no floating point (build.rs compiles this
 * with SSE and the x87 off, as the Rust code is). Fixed-width types on both
 * sides: `int32_t` is Rust's `i32`, `int64_t` is `i64`, `size_t` is `usize`,
 * `bool` is `bool`, `void *` is `*mut c_void`.
 */
#ifndef C_INTEROP_H
#define C_INTEROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 1. Integers: a * b + c, in 64 bits (the product of two int32_t may not fit
 * in 32). */
int64_t c_mul_add(int32_t a, int32_t b, int64_t c);

/* 2. A pointer and a length: the sum of `count` values, in 64 bits. */
int64_t c_sum(const int32_t *values, size_t count);

/* Running statistics of samples. Rust's `Stats` (#[repr(C)]) has the same
 * fields in the same order, so both agree on its layout (System V x86-64 ABI
 * §3.1.2: each field at the next multiple of its size; 4 bytes of padding
 * after `count`, 24 bytes in all). */
struct c_stats {
    uint32_t count;
    int64_t sum;
    int32_t min; /* INT32_MAX while count is 0 */
    int32_t max; /* INT32_MIN while count is 0 */
};

/* 3. A struct by pointer, and a struct returned: `*stats` with `sample`
 * added (`*stats` itself is left as it is). */
struct c_stats c_stats_add(const struct c_stats *stats, int32_t sample);

/* 4. Calling back into Rust: the statistics of every sample that
 * rust_c_interop_next_sample gives for `source`, which C passes on without
 * looking inside. */
struct c_stats c_stats_collect(void *source);

/* Defined in Rust (src/c_interop.rs): writes the next sample of `source` to
 * `*sample` and returns true, or returns false when there are no more. */
bool rust_c_interop_next_sample(void *source, int32_t *sample);

#endif
