/**
 * The kernel templates, compiled from the monorepo's templates/ folder. The published bundle
 * replaces this module with the same templates precompiled (scripts/build.mjs), so the CLI never
 * loads the Handlebars compiler.
 */
import { compileTemplates, loadTemplates, type CompiledTemplates } from '@baremetal-kernel/generators';

export function kernelTemplates(): CompiledTemplates {
  return compileTemplates(loadTemplates());
}
