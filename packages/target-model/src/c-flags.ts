import type { FeaturePreset } from './presets.js';
import type { CodeModel, RelocationModel } from './target.js';

export type CCompiler = 'gcc' | 'clang';

export interface CFlagsRequest {
  readonly compiler: CCompiler;
  readonly preset: FeaturePreset;
  readonly codeModel: CodeModel;
  readonly relocationModel: RelocationModel;
}

/**
 * Flags that make a host GCC or Clang compile C that links into the kernel and calls into it:
 * the same instruction set, code model and relocation model as the Rust code, and nothing that
 * assumes a hosted environment. Link the objects into the Rust binary (for example as a static
 * library named in build.rs); rust-lld does the final link, not the C compiler driver.
 */
export function cFlags(request: CFlagsRequest): string[] {
  const { compiler, preset, codeModel, relocationModel } = request;
  const flags: string[] = [];
  // Clang is a cross compiler: name the target, or macOS hosts would emit Mach-O. GCC must be
  // an x86_64 ELF compiler already (the host gcc on x86_64 Linux, or x86_64-elf-gcc).
  if (compiler === 'clang') flags.push('--target=x86_64-unknown-none-elf');
  flags.push(
    // No hosted library: memcpy and friends come from compiler_builtins.
    '-ffreestanding',
    // The stack protector calls __stack_chk_fail and reads a canary through %fs, which a kernel lacks.
    '-fno-stack-protector',
    '-fno-stack-check',
    // The Rust code keeps frame pointers (force-frame-pointers, kernel-flags.ts) for the kernel's
    // backtraces: C frames must keep them too, or a backtrace through C stops short.
    '-fno-omit-frame-pointer',
    // Interrupts push onto the current stack: the 128 bytes below %rsp are not safe (target: disable-redzone).
    '-mno-red-zone',
    // LTO objects would need the C compiler's linker plugin; rust-lld links plain objects.
    '-fno-lto',
    `-march=${preset.cMarch}`,
  );
  // Like the Rust target: no x87, MMX or SSE code, so no such state to save on interrupts and no
  // floating-point ABI to disagree about (GCC then rejects float and double parameters outright).
  flags.push('-mno-80387', '-mno-mmx', '-mno-sse', '-mno-sse2');
  if (relocationModel === 'static') {
    // Distributions default to PIE; the kernel is linked at a fixed address.
    flags.push(`-mcmodel=${codeModel}`, '-fno-pic', '-fno-pie');
  } else {
    // GCC refuses the kernel code model with PIC ("code model kernel does not support PIC mode").
    // Position-independent code addresses everything RIP-relative, so the small model's 2 GiB
    // limit bounds the image's size, not where it is loaded.
    flags.push(`-mcmodel=${codeModel === 'large' ? 'large' : 'small'}`, '-fpie');
  }
  return flags;
}
