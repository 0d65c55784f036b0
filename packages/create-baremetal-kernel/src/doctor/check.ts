import type { BootNeed } from './boot-needs.js';

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

/** Absent boot requirement: missing when needed, otherwise a warning that says why it is optional. */
export function absentFor(name: string, detail: string, fix: readonly string[], need: BootNeed): Check {
  return absent(name, need.optional === undefined ? detail : `${detail}; ${need.optional}`, fix, need.needed);
}

/** Why what a runner uses only for UEFI is optional (OVMF, GRUB's UEFI platform). */
export const ONLY_FOR_UEFI = 'only needed for `cargo run -- --uefi`';

/** Why what a runner uses only to debug is optional (GDB). */
export const ONLY_FOR_DEBUGGING = 'only needed to debug kernels: `cargo run -- --gdb` prints the GDB command to attach';
