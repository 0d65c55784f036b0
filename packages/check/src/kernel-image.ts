/**
 * Checking a built kernel against its boot protocol as the target model defines it: the ELF, where
 * its segments lie and where it is entered, and the protocol's own structures.
 */
import { MULTIBOOT2, findBootProtocol, type BootProtocol, type BootProtocolName } from '@baremetal-kernel/target';
import { elfTypeName, ET_DYN, ET_EXEC, readElf, type ElfImage } from './elf.js';
import { error, type Finding } from './findings.js';
import { checkLimineRequests, checkLimineSegments, hasLimineMarkers } from './limine.js';
import { checkMultiboot2Header, findMultiboot2Header } from './multiboot2.js';
import { checkPvhNote } from './pvh.js';
import { checkEntryPoint, checkSegmentsInRange } from './segments.js';

/** The end of what a multiboot2 kernel may occupy (the target model says why). */
export const MULTIBOOT2_ADDRESS_LIMIT = BigInt(MULTIBOOT2.loadAddressLimit);

export interface DetectedProtocol {
  readonly name: BootProtocolName;
  /** What in the image gave it away. */
  readonly evidence: string;
}

/** The protocol an image was built for: a multiboot2 header first, else Limine's tag or markers. */
export function detectBootProtocol(bytes: Uint8Array): DetectedProtocol | undefined {
  if (findMultiboot2Header(bytes) !== undefined) return { name: 'multiboot2', evidence: 'a multiboot2 header in the first 32 KiB' };
  if (hasLimineMarkers(bytes)) return { name: 'limine', evidence: 'a Limine base revision tag or requests marker' };
  return undefined;
}

/** The ELF types a protocol loads: ET_DYN only where the target model allows position-independent code. */
function checkElfType(elf: ElfImage, protocol: BootProtocol): Finding[] {
  const allowsPic = protocol.relocationModels.includes('pic');
  if (elf.type === ET_EXEC || (elf.type === ET_DYN && allowsPic)) return [];
  const expected = allowsPic ? 'ET_EXEC, or ET_DYN for a position-independent kernel' : 'ET_EXEC (relocation-model=static)';
  return [error(`ELF type is ${elfTypeName(elf.type)}, a ${protocol.name} kernel must be ${expected}`)];
}

function checkMultiboot2Image(bytes: Uint8Array, elf: ElfImage | undefined, protocol: BootProtocol): Finding[] {
  const findings: Finding[] = [];
  if (elf !== undefined) {
    const linkAddress = BigInt(protocol.linkAddress);
    findings.push(
      ...checkSegmentsInRange(elf, {
        start: linkAddress,
        end: MULTIBOOT2_ADDRESS_LIMIT,
        description: `at or above the link address ${protocol.linkAddress} and below 4 GiB`,
        belowStart: 'the link address; memory below it belongs to the firmware',
        pastEnd: 'past 4 GiB, beyond the 32-bit entry and its identity map',
      }),
      checkEntryPoint(elf),
    );
  }
  findings.push(...checkMultiboot2Header(bytes));
  if (elf !== undefined && protocol.pvh !== undefined) findings.push(...checkPvhNote(bytes, elf));
  return findings;
}

function checkLimineImage(bytes: Uint8Array, elf: ElfImage | undefined): Finding[] {
  if (elf === undefined) return [];
  return [...checkLimineSegments(elf), checkEntryPoint(elf), ...checkLimineRequests(bytes, elf)];
}

/**
 * Every finding about a kernel image for a boot protocol; without one, the protocol is detected
 * from the image. Never throws: a malformed image gives error findings.
 */
export function checkKernelImage(bytes: Uint8Array, protocolName?: BootProtocolName): Finding[] {
  const reading = readElf(bytes);
  if (!reading.isElf) return [...reading.findings];
  const name = protocolName ?? detectBootProtocol(bytes)?.name;
  if (name === undefined) {
    return [
      ...reading.findings,
      error('cannot tell the boot protocol: no multiboot2 header in the first 32 KiB and no Limine base revision tag or requests marker; pass --boot'),
    ];
  }
  const protocol = findBootProtocol(name)!;
  const { elf } = reading;
  const findings: Finding[] = [...reading.findings, ...(elf === undefined ? [] : checkElfType(elf, protocol))];
  findings.push(...(name === 'multiboot2' ? checkMultiboot2Image(bytes, elf, protocol) : checkLimineImage(bytes, elf)));
  return findings;
}
