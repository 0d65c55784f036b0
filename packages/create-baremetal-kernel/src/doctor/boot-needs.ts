import {
  BOOT_PROTOCOLS,
  DEFAULT_BOOT_PROTOCOL,
  HOST_REQUIREMENTS,
  type BootProtocol,
  type BootProtocolName,
  type HostRequirement,
  type RunnerRequirement,
} from '@baremetal-kernel/target';
import { ONLY_FOR_DEBUGGING, ONLY_FOR_UEFI } from './check.js';

/** A host requirement some protocol's runner names, and how much `doctor` needs it. */
export interface BootNeed {
  readonly requirement: HostRequirement;
  /** The default protocol's `cargo run` and `cargo test` need it: when absent, the machine is not ready. */
  readonly needed: boolean;
  /** Why an absent optional requirement is only a warning; undefined when needed. */
  readonly optional: string | undefined;
}

/**
 * What `doctor` checks for booting, derived from the protocols' rows: every requirement some
 * runner names, in the order of {@link HOST_REQUIREMENTS}. A requirement is needed when the
 * default protocol's runner needs it on every boot; otherwise the warning says which option or
 * which protocol's kernels need it.
 */
export function bootNeeds(
  protocols: readonly BootProtocol[] = BOOT_PROTOCOLS,
  defaultProtocol: BootProtocolName = DEFAULT_BOOT_PROTOCOL,
): BootNeed[] {
  return HOST_REQUIREMENTS.flatMap((requirement): BootNeed[] => {
    const uses = protocols.flatMap((protocol) =>
      protocol.hostRequirements.filter((need) => need.requirement === requirement.key).map((need) => ({ protocol, need })),
    );
    if (uses.length === 0) return [];
    const byDefault = uses.find(({ protocol }) => protocol.name === defaultProtocol)?.need;
    if (byDefault?.use === 'boot') return [{ requirement, needed: true, optional: undefined }];
    return [{ requirement, needed: false, optional: whyOptional(byDefault, uses) }];
  });
}

function whyOptional(byDefault: RunnerRequirement | undefined, uses: readonly { protocol: BootProtocol; need: RunnerRequirement }[]): string {
  const booting = uses.filter(({ need }) => need.use === 'boot');
  const use = byDefault?.use ?? (booting.length > 0 ? 'boot' : uses[0]!.need.use);
  if (use === 'uefi') return ONLY_FOR_UEFI;
  if (use === 'debug') return ONLY_FOR_DEBUGGING;
  // Only other protocols' runners need it to boot.
  const loaders = booting.map(({ protocol }) => protocol.loader).join(' and ');
  return `only needed for ${loaders} kernels, whose runner ${booting[0]!.need.why}`;
}
