/**
 * A multiboot2 kernel loaded by its address tag (§3.1.5, the "a.out kludge"): GRUB 2.06 then never
 * reads the file as an ELF. It copies a range of the file to `load_addr`, zeroes up to
 * `bss_end_addr` and jumps to the entry address tag's `entry_addr` (grub_multiboot2_load in
 * grub-core/loader/multiboot_mbi2.c). The arithmetic below is GRUB's, 32-bit fields included.
 */
import { MULTIBOOT2 } from '@baremetal-kernel/target';
import { alignUp, hex, hex32, readU16, readU32, sizeOf, type Bytes } from './bytes.js';
import { error, ok, warning, type Finding } from './findings.js';
import { FIXED_FIELDS_SIZE, HEADER_TAG, TAG_HEADER_SIZE } from './multiboot2.js';
/** §3.1.5: a load_addr of all ones means "from the start of the file". */
const LOAD_FROM_FILE_START = 0xffff_ffff;
const FOUR_GIB = 0x1_0000_0000;

/** The fields of an address tag (§3.1.5), where GRUB found it, and the entry address tag's entry. */
export interface AddressLoad {
  /** File offset of the multiboot2 header GRUB took. */
  readonly headerOffset: number;
  /** File offset of the address tag. */
  readonly position: number;
  readonly headerAddr: number;
  readonly loadAddr: number;
  readonly loadEndAddr: number;
  readonly bssEndAddr: number;
  /** The entry address tag's entry_addr (§3.1.6), when there is one. */
  readonly entryAddr: number | undefined;
}

/**
 * The address tag of the header at `headerOffset`, walking the tags as GRUB does (each one's size
 * rounded up to 8, up to the end tag, within the first 32 KiB); undefined without one.
 */
export function findAddressLoad(bytes: Bytes, headerOffset: number): AddressLoad | undefined {
  const limit = Math.min(sizeOf(bytes), MULTIBOOT2.headerSearchLimit);
  let address: Omit<AddressLoad, 'entryAddr' | 'headerOffset'> | undefined;
  let entryAddr: number | undefined;
  for (let position = headerOffset + FIXED_FIELDS_SIZE; position + TAG_HEADER_SIZE <= limit; ) {
    const type = readU16(bytes, position)!;
    const size = readU32(bytes, position + 4)!;
    if (type === MULTIBOOT2.tags.end || size === 0) break;
    const field = (index: number) => (position + TAG_HEADER_SIZE + 4 * (index + 1) <= limit ? readU32(bytes, position + TAG_HEADER_SIZE + 4 * index)! : 0);
    if (type === HEADER_TAG.address) {
      address = { position, headerAddr: field(0), loadAddr: field(1), loadEndAddr: field(2), bssEndAddr: field(3) };
    } else if (type === HEADER_TAG.entryAddress) {
      entryAddr = field(0);
    }
    position += alignUp(size, MULTIBOOT2.headerAlignment);
  }
  return address === undefined ? undefined : { headerOffset, ...address, entryAddr };
}

/** GRUB's refusal when its relocator cannot reserve [load_addr, load_addr + code_size) (checked with GRUB 2.06). */
const OUT_OF_RANGE = 'GRUB refuses the kernel ("address is out of range")';

/** What GRUB does with an address tag, and what it cannot do; `linkAddress` is the protocol's. */
export function checkAddressLoad(bytes: Bytes, load: AddressLoad, linkAddress: number): Finding[] {
  const size = sizeOf(bytes);
  const where = `multiboot2 address tag at file offset ${hex(load.position)}`;
  const findings: Finding[] = [ok(`${where}: GRUB loads the kernel by it (§3.1.5) and does not read the file as an ELF`)];
  // multiboot_mbi2.c: load_addr, offset and load_size exactly as GRUB computes them (int and u32).
  const loadAddr = load.loadAddr === LOAD_FROM_FILE_START ? (load.headerAddr - load.headerOffset) >>> 0 : load.loadAddr;
  const offset = (load.headerOffset - (load.headerAddr - loadAddr)) | 0;
  if (load.headerAddr < loadAddr) {
    findings.push(warning(`${where}: header_addr ${hex32(load.headerAddr)} is below load_addr ${hex32(loadAddr)}; §3.1.5 asks load_addr <= header_addr`));
  }
  if (offset < 0 || offset > size) {
    findings.push(
      error(
        `${where}: the load starts at file offset ${offset} (header at ${hex(load.headerOffset)} minus header_addr - load_addr), ` +
          `outside the file's ${size} bytes: GRUB refuses the kernel ("attempt to seek outside of the file")`,
      ),
    );
    return findings;
  }
  const loadSize = load.loadEndAddr === 0 ? size - offset : (load.loadEndAddr - load.loadAddr) | 0;
  if (loadSize < 0) {
    findings.push(error(`${where}: load_end_addr ${hex32(load.loadEndAddr)} is below load_addr ${hex32(load.loadAddr)}, a negative length: ${OUT_OF_RANGE}`));
    return findings;
  }
  if (offset + loadSize > size) {
    findings.push(
      warning(`${where}: load_end_addr reaches ${offset + loadSize - size} bytes past the end of the file; GRUB loads what there is and leaves the rest as it was`),
    );
  }
  const end = load.bssEndAddr === 0 ? loadAddr + loadSize : load.bssEndAddr;
  if (load.bssEndAddr !== 0 && load.bssEndAddr < loadAddr + loadSize) {
    findings.push(
      error(
        `${where}: bss_end_addr ${hex32(load.bssEndAddr)} is below the end of the loaded data (${hex(loadAddr + loadSize)}): ` +
          'GRUB reserves memory up to bss_end_addr, copies the data past it and then zeroes a negative length',
      ),
    );
    return findings;
  }
  if (end > FOUR_GIB) {
    findings.push(error(`${where}: the kernel spans [${hex(loadAddr)}, ${hex(end)}), past 4 GiB: ${OUT_OF_RANGE}`));
  } else if (loadAddr < linkAddress) {
    findings.push(
      warning(
        `${where}: the kernel is loaded at ${hex(loadAddr)}, below ${hex(linkAddress)}: GRUB 2.06 loads it there, but below 1 MiB lie ` +
          "the firmware's data, the video memory and ROMs (0xa0000-0xfffff)",
      ),
    );
  } else {
    findings.push(ok(`${where}: file offsets [${hex(offset)}, ${hex(offset + loadSize)}) load at [${hex(loadAddr)}, ${hex(end)})`));
  }
  if (load.entryAddr !== undefined && (load.entryAddr < loadAddr || load.entryAddr >= end)) {
    findings.push(
      warning(`entry address ${hex32(load.entryAddr)} lies outside the loaded kernel [${hex(loadAddr)}, ${hex(end)}): GRUB jumps there all the same`),
    );
  }
  return findings;
}
