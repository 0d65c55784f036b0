/*
 * csrc/c_interop.c: C code linked into the kernel. build.rs compiles every
 * .c file in csrc/ with the host C compiler (CC, else cc) into a static
 * library that the kernel links; add your own files beside this one.
 */
#include "c_interop.h"

/* The header's layout, checked by the compiler (Rust checks its side). */
_Static_assert(sizeof(struct c_stats) == 24, "struct c_stats is 24 bytes");
_Static_assert(offsetof(struct c_stats, sum) == 8, "sum follows 4 bytes of padding");
_Static_assert(offsetof(struct c_stats, max) == 20, "max is the last field");

int64_t c_mul_add(int32_t a, int32_t b, int64_t c) {
    return (int64_t)a * (int64_t)b + c;
}

int64_t c_sum(const int32_t *values, size_t count) {
    int64_t sum = 0;
    for (size_t i = 0; i < count; i++) {
        sum += values[i];
    }
    return sum;
}

struct c_stats c_stats_add(const struct c_stats *stats, int32_t sample) {
    struct c_stats result = *stats;
    result.count += 1;
    result.sum += sample;
    if (sample < result.min) {
        result.min = sample;
    }
    if (sample > result.max) {
        result.max = sample;
    }
    return result;
}

struct c_stats c_stats_collect(void *source) {
    struct c_stats stats = {.count = 0, .sum = 0, .min = INT32_MAX, .max = INT32_MIN};
    int32_t sample;
    while (rust_c_interop_next_sample(source, &sample)) {
        stats = c_stats_add(&stats, sample);
    }
    return stats;
}
