/**
 * Where the slow tests of every package keep their cargo target directories between runs, one per
 * configuration, so `core` is compiled once for each: $BAREMETAL_KERNEL_TEST_CACHE, or
 * $TMPDIR/baremetal-kernel-test-cache. Point the variable at an empty directory for a cold run
 * (CI does) without disturbing anyone else's cache.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_CACHE_ROOT = process.env.BAREMETAL_KERNEL_TEST_CACHE || join(tmpdir(), 'baremetal-kernel-test-cache');
