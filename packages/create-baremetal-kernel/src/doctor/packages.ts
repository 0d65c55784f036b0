import { HOST_PACKAGES, NO_PACKAGE, hostRequirement, installCommand, type HostRequirementKey, type PackageManager } from '@baremetal-kernel/target';

/** The command that installs `requirement`, or a sentence naming it when no package is known. */
export function installFix(manager: PackageManager | undefined, requirement: HostRequirementKey): string {
  if (manager === undefined) return unknownPackage(requirement);
  const noPackage = NO_PACKAGE[manager]?.[requirement];
  if (noPackage !== undefined) return noPackage;
  const packages = HOST_PACKAGES[manager][requirement];
  return packages === undefined ? unknownPackage(requirement) : installCommand(manager, packages);
}

function unknownPackage(requirement: HostRequirementKey): string {
  return `install ${hostRequirement(requirement).description} with the system's package manager`;
}
