/**
 * The kernel templates, compiled from the monorepo's templates/ folder. The published bundle
 * replaces this module with the same templates precompiled (scripts/build.mjs), so the CLI never
 * loads the Handlebars compiler.
 */
import { compileTemplates, loadTemplates, type CompiledTemplates } from '@baremetal-kernel/generators';

/** What a command will render: the kernel's templates always, the modules' when it may add one. */
export interface TemplateNeeds {
  readonly modules: boolean;
}

export function kernelTemplates(needs: TemplateNeeds): CompiledTemplates {
  const templates = [...loadTemplates()];
  return compileTemplates(new Map(needs.modules ? templates : templates.filter(([path]) => !path.startsWith('modules/'))));
}
