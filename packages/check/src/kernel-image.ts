/**
 * Checking a built kernel against its boot protocol as the target model defines it: the ELF, where
 * its segments lie and where it is entered, and the protocol's own structures.
 */
import { MULTIBOOT2, findBootProtocol, type BootProtocol, type BootProtocolName } from '@baremetal-kernel/target';
import { hex, type Bytes } from './bytes.js';
import { elfTypeName, ET_DYN, ET_EXEC, readElf, type ElfImage } from './elf.js';
import { error, warning, type Finding } from './findings.js';
import { checkLimineRequests, checkLimineSegments, hasLimineMarkers } from './limine.js';
import { checkAddressLoad, findAddressLoad, type AddressLoad } from './address-tag.js';
import {
  checkMultiboot2ElfType,
  checkMultiboot2Header,
  checkMultiboot2Relocations,
  findGrubMultiboot2Header,
  findMultiboot2Header,
} from './multiboot2.js';
import { checkPvhNote } from './pvh.js';
import { sectionTableProblem } from './sections.js';
import { checkEntryPoint, checkMultiboot2Entry, checkMultiboot2Segments } from './segments.js';

/** The end of what a multiboot2 kernel may occupy (the target model says why). */
export const MULTIBOOT2_ADDRESS_LIMIT = BigInt(MULTIBOOT2.loadAddressLimit);

export interface DetectedProtocol {
  readonly name: BootProtocolName;
  /** What in the image gave it away. */
  readonly evidence: string;
}

/**
 * The protocol an image was built for: a multiboot2 header first, else Limine's tag or markers.
 * In an ELF whose program headers can be read, Limine's are looked for where Limine looks: in the
 * file-backed data of the PT_LOAD segments, not in the rest of a file that may be gigabytes.
 */
export function detectBootProtocol(bytes: Bytes): DetectedProtocol | undefined {
  return detect(bytes, readElf(bytes).elf);
}

function detect(bytes: Bytes, elf: ElfImage | undefined): DetectedProtocol | undefined {
  if (findMultiboot2Header(bytes) !== undefined) return { name: 'multiboot2', evidence: 'a multiboot2 header in the first 32 KiB' };
  if (hasLimineMarkers(bytes, elf)) return { name: 'limine', evidence: 'a Limine base revision tag or requests marker' };
  return undefined;
}

/** The ELF types a protocol loads: ET_DYN only where the target model allows position-independent code. */
function checkElfType(elf: ElfImage, protocol: BootProtocol): Finding[] {
  if (protocol.name === 'multiboot2') return checkMultiboot2ElfType(elf);
  const allowsPic = protocol.relocationModels.includes('pic');
  if (elf.type === ET_EXEC || (elf.type === ET_DYN && allowsPic)) return [];
  const expected = allowsPic ? 'ET_EXEC, or ET_DYN for a position-independent kernel' : 'ET_EXEC (relocation-model=static)';
  return [error(`ELF type is ${elfTypeName(elf.type)}, a ${protocol.name} kernel must be ${expected}`)];
}

/**
 * GRUB 2.06 reads a multiboot2 kernel's first MULTIBOOT_SEARCH (32 KiB) bytes into one buffer and
 * takes the program headers from it, refusing a table that ends past it; then, for a file with
 * sections, it reads the whole section header table (grub-core/loader/multiboot_elfxx.c).
 */
function checkGrubElfTables(bytes: Bytes, elf: ElfImage): Finding[] {
  const findings: Finding[] = [];
  const tableEnd = elf.programHeaderOffset + BigInt(elf.programHeaders.length * elf.programHeaderEntrySize);
  const limit = BigInt(MULTIBOOT2.headerSearchLimit);
  if (tableEnd > limit) {
    findings.push(
      error(
        `the program header table ends at file offset ${hex(tableEnd)}, past the first ${limit} bytes GRUB reads them from: ` +
          'GRUB refuses the kernel ("program header at a too high offset")',
      ),
    );
  }
  const sections = sectionTableProblem(bytes, elf.layout);
  if (sections?.reason === 'past-end') {
    findings.push(error(`${sections.finding.message}: GRUB refuses the kernel ("premature end of file")`));
  } else if (sections !== undefined) {
    findings.push(warning(`${sections.finding.message} (gABI §4); GRUB's multiboot2 loader reads the table all the same`));
  }
  return findings;
}

function checkMultiboot2Image(bytes: Bytes, elf: ElfImage | undefined, protocol: BootProtocol): Finding[] {
  const findings: Finding[] = [];
  if (elf !== undefined) {
    // GRUB's verdicts (multiboot_elfxx.c): loaded by p_paddr, entered at a physical address.
    findings.push(
      ...checkGrubElfTables(bytes, elf),
      ...checkMultiboot2Segments(elf, BigInt(protocol.linkAddress)),
      checkMultiboot2Entry(elf),
    );
  }
  findings.push(...checkMultiboot2Header(bytes));
  if (elf !== undefined) findings.push(...checkMultiboot2Relocations(bytes));
  if (elf !== undefined && protocol.pvh !== undefined) findings.push(...checkPvhNote(bytes, elf));
  return findings;
}

function checkLimineImage(bytes: Bytes, elf: ElfImage | undefined): Finding[] {
  if (elf === undefined) return [];
  return [...checkLimineSegments(elf), checkEntryPoint(elf), ...checkLimineRequests(bytes, elf)];
}

/**
 * The address tag GRUB would load a multiboot2 kernel by (then it reads no ELF at all, and the
 * file need not be one): only for multiboot2, given or found.
 */
function addressLoadOf(bytes: Bytes, protocolName: BootProtocolName | undefined): AddressLoad | undefined {
  if (protocolName !== undefined && protocolName !== 'multiboot2') return undefined;
  const header = findGrubMultiboot2Header(bytes);
  return header === undefined ? undefined : findAddressLoad(bytes, header);
}

/**
 * Every finding about a kernel image for a boot protocol; without one, the protocol is detected
 * from the image. Never throws: a malformed image gives error findings.
 */
export function checkKernelImage(bytes: Bytes, protocolName?: BootProtocolName): Finding[] {
  const addressLoad = addressLoadOf(bytes, protocolName);
  if (addressLoad !== undefined) {
    const linkAddress = Number(findBootProtocol('multiboot2')!.linkAddress);
    return [...checkMultiboot2Header(bytes), ...checkAddressLoad(bytes, addressLoad, linkAddress)];
  }
  const reading = readElf(bytes);
  if (!reading.isElf) return [...reading.findings];
  const name = protocolName ?? detect(bytes, reading.elf)?.name;
  if (name === undefined) {
    const where = reading.elf === undefined ? '' : ' in the file-backed data of the PT_LOAD segments';
    return [
      ...reading.findings,
      error(`cannot tell the boot protocol: no multiboot2 header in the first 32 KiB and no Limine base revision tag or requests marker${where}; pass --boot`),
    ];
  }
  const protocol = findBootProtocol(name)!;
  const { elf } = reading;
  const findings: Finding[] = [...reading.findings, ...(elf === undefined ? [] : checkElfType(elf, protocol))];
  findings.push(...(name === 'multiboot2' ? checkMultiboot2Image(bytes, elf, protocol) : checkLimineImage(bytes, elf)));
  return findings;
}
