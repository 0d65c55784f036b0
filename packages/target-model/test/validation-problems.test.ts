/**
 * validateKernelRequest's problems as tools read them: each names the request field to fix, and
 * one wrong choice yields one problem (no follow-on complaints about what depends on it).
 */
import { describe, expect, it } from 'vitest';
import { validateKernelRequest, type KernelRequest, type ToolchainReport } from '../src/index.js';

function problemsOf(request: KernelRequest, detected?: ToolchainReport) {
  const result = validateKernelRequest(request, { detected });
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('validation problems', () => {
  it('names the field each problem is about', () => {
    const problems = problemsOf({ name: '1os', boot: 'grub', preset: 'v9', toolchain: 'stable', codeModel: 'tiny', relocationModel: 'dynamic' });
    expect(problems.map(({ code, field }) => [code, field])).toEqual([
      ['E_INVALID_NAME', 'name'],
      ['E_UNKNOWN_BOOT', 'boot'],
      ['E_UNKNOWN_PRESET', 'preset'],
      ['E_UNKNOWN_TOOLCHAIN', 'toolchain'],
      ['E_UNKNOWN_CODE_MODEL', 'codeModel'],
      ['E_UNKNOWN_RELOCATION_MODEL', 'relocationModel'],
    ]);
    expect(problems[4]!.message).toBe("unknown code model 'tiny' (known: kernel, small, medium, large)");
    expect(problems[5]!.message).toBe("unknown relocation model 'dynamic' (known: static, pic)");
  });

  it('names the field of an incompatible code or relocation model', () => {
    expect(problemsOf({ name: 'os', toolchain: 'system', boot: 'limine', codeModel: 'medium' }).map((problem) => problem.field)).toEqual(['codeModel']);
    expect(problemsOf({ name: 'os', toolchain: 'system', relocationModel: 'pic' }).map((problem) => problem.field)).toEqual(['relocationModel']);
  });

  it('treats a missing name as an empty one', () => {
    expect(problemsOf({ toolchain: 'system' })).toEqual([
      { code: 'E_INVALID_NAME', field: 'name', message: 'invalid project name: the project name is empty' },
    ]);
  });

  it('reports an unknown boot protocol once, not the code and relocation models it would have allowed', () => {
    expect(problemsOf({ name: 'os', toolchain: 'system', boot: 'grub' }).map((problem) => problem.code)).toEqual(['E_UNKNOWN_BOOT']);
    // Models that exist are not judged against a protocol that does not.
    expect(
      problemsOf({ name: 'os', toolchain: 'system', boot: 'grub', codeModel: 'small', relocationModel: 'pic' }).map((problem) => problem.code),
    ).toEqual(['E_UNKNOWN_BOOT']);
  });

  it("explains 'auto' without detection; with nothing usable, 'auto' is not a problem (it means rustup-stable)", () => {
    expect(problemsOf({ name: 'os' })).toEqual([
      { code: 'E_NO_TOOLCHAIN', field: 'toolchain', message: "toolchain 'auto' needs the machine's toolchains to be detected first" },
    ]);
    const nothing: ToolchainReport = {
      rustc: undefined,
      statuses: [
        { name: 'rustup-stable', usable: false, detail: 'rustup is not installed', fix: ['install rustup', 'rustup target add x'] },
        { name: 'rustup-nightly', usable: false, detail: 'rustup is not installed', fix: ['install nightly'] },
        { name: 'system', usable: false, detail: 'no system rustc found', fix: ['apt-get install rustc'] },
      ],
      recommended: undefined,
      systemVendorDirectory: undefined,
    };
    const result = validateKernelRequest({ name: 'os', toolchain: 'auto' }, { detected: nothing });
    expect(result.ok && result.config.toolchain.name).toBe('rustup-stable');
  });
});
