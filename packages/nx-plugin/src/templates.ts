import { compileTemplates, loadTemplates, type CompiledTemplates } from '@baremetal-kernel/generators';

/**
 * The kernel and module templates, compiled from the copy `@baremetal-kernel/generators` ships (or
 * the monorepo's templates/ in a checkout): the same the plop generator renders.
 */
export function shippedTemplates(): CompiledTemplates {
  return compileTemplates(loadTemplates());
}
