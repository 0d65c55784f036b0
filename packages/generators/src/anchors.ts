/**
 * The named places in a kernel's own files where `add` inserts a module's lines: a marker comment
 * in templates/kernel/, `// [baremetal-kernel anchor: NAME] ...` (`#` in TOML). A module's
 * `anchors/NAME.hbs` is inserted directly above the marker, each line indented like it; whatever a
 * user wrote around the marker stays where it is.
 */
import { GeneratorError } from './errors.js';

export interface Anchor {
  readonly file: string;
  /** How a comment starts in that file: the marker is one. */
  readonly comment: '//' | '#';
  /** Where the marker belongs, for the message that asks a user to put it back. */
  readonly where: string;
  /**
   * `sorted`: the lines directly above the marker are kept in alphabetical order (`mod` lines, in
   * rustfmt's order); `appended`: each insertion goes last, so that modules keep the order they
   * were added in (dependency order), as initialisation needs.
   */
  readonly order: 'sorted' | 'appended';
}

export const ANCHORS = {
  'lib-modules': { file: 'src/lib.rs', comment: '//', where: 'after the `pub mod` lines of src/lib.rs', order: 'sorted' },
  'memory-modules': { file: 'src/memory/mod.rs', comment: '//', where: 'after the `pub mod` lines of src/memory/mod.rs', order: 'sorted' },
  'main-init': { file: 'src/main.rs', comment: '//', where: 'in kernel_main, after the heap is set up', order: 'appended' },
  'idt-gates': { file: 'src/arch/x86_64/idt.rs', comment: '//', where: 'in idt::init, after the exception gates are set', order: 'appended' },
  'console-outputs': { file: 'src/console.rs', comment: '//', where: 'in console::_print, after the framebuffer is drawn', order: 'appended' },
  'build-modules': { file: 'build.rs', comment: '//', where: "after the `use` lines of build.rs", order: 'appended' },
  'build-steps': { file: 'build.rs', comment: '//', where: "at the end of build.rs's main()", order: 'appended' },
  'cargo-tests': { file: 'Cargo.toml', comment: '#', where: 'after the `[[test]]` tables of Cargo.toml', order: 'appended' },
  /** Multiboot2 kernels only: the runner's GRUB menu entry, where commands after `multiboot2` go. */
  'grub-menuentry': { file: 'runner', comment: '#', where: "in the runner's GRUB menuentry, between its multiboot2 and boot lines", order: 'appended' },
} as const satisfies Readonly<Record<string, Anchor>>;

export type AnchorName = keyof typeof ANCHORS;

export function isAnchorName(name: string): name is AnchorName {
  return Object.hasOwn(ANCHORS, name);
}

/** The tag that identifies an anchor's marker line, whatever the comment says after it. */
export function anchorTag(name: AnchorName): string {
  return `[baremetal-kernel anchor: ${name}]`;
}

function markerPrefix(name: AnchorName): string {
  return `${ANCHORS[name].comment} ${anchorTag(name)}`;
}

/** A line that is only a comment, or blank: the edge of a group of `mod` lines, for rustfmt too. */
function isGroupEdge(line: string): boolean {
  const trimmed = line.trim();
  return trimmed === '' || trimmed.startsWith('//') || trimmed.startsWith('#');
}

/**
 * `contents` with `text` inserted at the anchor `name` (see {@link Anchor.order}). Throws when the
 * marker is missing or there twice, saying what to do; the caller has written nothing yet.
 */
export function insertAtAnchor(contents: string, name: AnchorName, text: string): string {
  const anchor = ANCHORS[name];
  const lines = contents.split('\n');
  const prefix = markerPrefix(name);
  const markers = lines.flatMap((line, index) => (line.trimStart().startsWith(prefix) ? [index] : []));
  if (markers.length === 0) {
    throw new GeneratorError(
      'E_ANCHOR_MISSING',
      `${anchor.file}: the line \`${prefix} ...\` is missing (removed or changed); put it back ${anchor.where}, then run this again`,
    );
  }
  if (markers.length > 1) {
    throw new GeneratorError(
      'E_ANCHOR_MISSING',
      `${anchor.file}: the line \`${prefix} ...\` is there ${markers.length} times (lines ${markers.map((index) => index + 1).join(', ')}); keep only the one ${anchor.where}, then run this again`,
    );
  }
  const marker = markers[0]!;
  const indent = /^\s*/.exec(lines[marker]!)![0];
  const inserted = text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => (line === '' ? '' : `${indent}${line}`));
  let at = marker;
  if (anchor.order === 'sorted') {
    const key = inserted[0]!.trim();
    while (at > 0 && !isGroupEdge(lines[at - 1]!) && lines[at - 1]!.trim() > key) at--;
  }
  lines.splice(at, 0, ...inserted);
  return lines.join('\n');
}
