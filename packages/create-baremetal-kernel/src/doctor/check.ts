/**
 * One line of the report. `missing`: something needed to build and boot kernels is absent (exit
 * status 1); `warning`: something optional is absent, or there is advice; `ok`: present.
 */
export type CheckStatus = 'ok' | 'missing' | 'warning';

export interface Check {
  /** What was checked, e.g. `rustc`, `xorriso`, `system profile`. */
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found (version, path) or what is wrong; reads after the name. */
  readonly detail: string;
  /** Commands (or, where no package is known, one sentence) that fix it; empty when nothing to do. */
  readonly fix: readonly string[];
  /** Whether `cargo run` and `cargo test` (BIOS and direct boot) need it. */
  readonly needed: boolean;
}

export function ok(name: string, detail: string, needed = true): Check {
  return { name, status: 'ok', detail, fix: [], needed };
}

/** Absent and needed, or absent and optional (a warning), as `needed` says. */
export function absent(name: string, detail: string, fix: readonly string[], needed: boolean): Check {
  return { name, status: needed ? 'missing' : 'warning', detail, fix, needed };
}

/** Why OVMF and GRUB's UEFI platform are optional. */
export const ONLY_FOR_UEFI = 'only needed for `cargo run -- --uefi`';

/** Why GDB is optional. */
export const ONLY_FOR_DEBUGGING = 'only needed to debug kernels: `cargo run -- --gdb` prints the GDB command to attach';

/** Why curl, make and a C compiler are optional: the Limine runner fetches and builds Limine. */
export const ONLY_FOR_LIMINE = 'only needed for Limine kernels, whose runner fetches Limine and builds its host tool';
