import type { CodeModel, RelocationModel } from './target.js';

export type BootProtocolName = 'multiboot2' | 'limine';
export type Firmware = 'bios' | 'uefi';
/** The ways the generated runner can boot a kernel in QEMU. */
export type BootPath = 'bios-iso' | 'uefi-iso' | 'direct';

/** What the CPU looks like when the loader jumps to the kernel. */
export interface EntryState {
  readonly cpuMode: 'protected-32' | 'long-64';
  readonly paging: string;
  readonly registers: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
}

/** One piece of boot information and where the loader hands it over. */
export interface BootInfoSource {
  readonly provided: boolean;
  readonly source: string;
}

export interface BootInformation {
  readonly memoryMap: BootInfoSource;
  readonly commandLine: BootInfoSource;
  readonly bootloaderName: BootInfoSource;
  readonly framebuffer: BootInfoSource;
  readonly rsdp: BootInfoSource;
  readonly modules: BootInfoSource;
}

/** QEMU's direct `-kernel` boot of an ELF through the PVH entry note, without a bootloader. */
export interface PvhEntry {
  /** ELF note type XEN_ELFNOTE_PHYS32_ENTRY (xen/include/public/elfnote.h). */
  readonly noteType: number;
  readonly noteName: string;
  /** `hvm_start_info.magic`, at the address in EBX (xen/include/public/arch-x86/hvm/start_info.h). */
  readonly startInfoMagic: number;
  readonly entryState: EntryState;
}

export interface BootProtocol {
  readonly name: BootProtocolName;
  readonly summary: string;
  readonly loader: string;
  readonly firmware: readonly Firmware[];
  readonly bootPaths: readonly BootPath[];
  readonly entryState: EntryState;
  /** The address the kernel is linked at, as a hex string (it may not fit a JS number). */
  readonly linkAddress: string;
  readonly higherHalf: boolean;
  readonly codeModels: readonly CodeModel[];
  readonly defaultCodeModel: CodeModel;
  readonly relocationModels: readonly RelocationModel[];
  readonly defaultRelocationModel: RelocationModel;
  /** Why other code or relocation models do not work, by model name. */
  readonly modelConstraints: string;
  readonly bootInformation: BootInformation;
  readonly pvh: PvhEntry | undefined;
}

/** Multiboot2 specification 2.0, §3.1 (header) and §3.3 (I386 machine state). */
export const MULTIBOOT2 = {
  headerMagic: 0xe85250d6,
  /** 0 = 32-bit (protected mode) i386 (§3.1.3). */
  architectureI386: 0,
  /** The header must lie completely within the first 32768 bytes of the image (§3.1.1). */
  headerSearchLimit: 32768,
  /** The header and every tag are 64-bit aligned (§3.1.1, §3.1.3). */
  headerAlignment: 8,
  /** Value in EAX when a multiboot2 loader jumps to the kernel (§3.2). */
  bootloaderMagic: 0x36d76289,
  /** Boot information tag types (§3.6). */
  tags: {
    end: 0,
    commandLine: 1,
    bootloaderName: 2,
    module: 3,
    basicMemoryInfo: 4,
    memoryMap: 6,
    framebuffer: 8,
    acpiOldRsdp: 14,
    acpiNewRsdp: 15,
  },
  /** Memory map entry types (§3.6.8). */
  memoryTypes: { available: 1, acpiReclaimable: 3, preserveOnHibernation: 4, defective: 5 },
} as const;

export const PVH: PvhEntry = {
  noteType: 18,
  noteName: 'Xen',
  startInfoMagic: 0x336ec578,
  entryState: {
    cpuMode: 'protected-32',
    paging: 'disabled',
    registers: {
      ebx: 'physical address of hvm_start_info',
      cs: 'flat 32-bit code segment',
      'ds/es/ss': 'flat 32-bit data segments',
      cr0: 'PE set, PG clear',
      cr4: 'zero',
    },
    notes: ['EAX is not defined by PVH: tell it from multiboot2 by the start-info magic at [EBX].'],
  },
};

export const BOOT_PROTOCOLS: readonly BootProtocol[] = [
  {
    name: 'multiboot2',
    summary: 'GRUB 2 on BIOS and UEFI; the kernel enters long mode itself; also boots directly in QEMU (PVH)',
    loader: 'GRUB 2',
    firmware: ['bios', 'uefi'],
    bootPaths: ['bios-iso', 'uefi-iso', 'direct'],
    entryState: {
      cpuMode: 'protected-32',
      paging: 'disabled',
      registers: {
        eax: 'the magic value 0x36d76289',
        ebx: 'physical address of the boot information',
        cs: 'flat 32-bit read/execute code segment',
        'ds/es/fs/gs/ss': 'flat 32-bit read/write data segments',
        eflags: 'IF and VM clear',
        esp: 'undefined: the kernel sets up its own stack',
        gdtr: 'may be invalid: the kernel loads its own GDT',
      },
      notes: ['A20 is enabled.', 'The kernel checks for long mode, builds page tables and enters 64-bit mode.'],
    },
    linkAddress: '0x100000',
    higherHalf: false,
    codeModels: ['kernel', 'small', 'medium', 'large'],
    defaultCodeModel: 'kernel',
    relocationModels: ['static'],
    defaultRelocationModel: 'static',
    modelConstraints:
      'the 32-bit entry code takes absolute addresses (R_X86_64_32), which a position-independent (static-pie) ' +
      'kernel cannot link, and GRUB loads the image at its linked address: use relocation-model=static',
    bootInformation: {
      memoryMap: { provided: true, source: 'memory map tag (type 6, spec §3.6.8)' },
      commandLine: { provided: true, source: 'boot command line tag (type 1, §3.6.3)' },
      bootloaderName: { provided: true, source: 'boot loader name tag (type 2, §3.6.4)' },
      framebuffer: { provided: true, source: 'framebuffer info tag (type 8, §3.6.12), when the loader set a mode' },
      rsdp: { provided: true, source: 'ACPI old/new RSDP tags (types 14 and 15, §3.6.16-17)' },
      modules: { provided: true, source: 'module tags (type 3, §3.6.6)' },
    },
    pvh: PVH,
  },
  {
    name: 'limine',
    summary: 'the Limine bootloader on BIOS and UEFI; 64-bit higher-half entry with requests and responses',
    loader: 'Limine',
    firmware: ['bios', 'uefi'],
    bootPaths: ['bios-iso', 'uefi-iso'],
    entryState: {
      cpuMode: 'long-64',
      paging: 'enabled: the kernel mapped per its PT_LOAD segments, plus the higher-half direct map (HHDM)',
      registers: {
        rsp: 'a stack of the requested size (default 64 KiB), 16-byte aligned',
        rflags: 'IF clear',
        gdtr: 'a GDT in bootloader-reclaimable memory, with 64-bit code and data segments',
        idtr: 'undefined',
      },
      notes: ['Responses are written into the requests the kernel declares between the start and end markers.'],
    },
    linkAddress: '0xffffffff80000000',
    higherHalf: true,
    codeModels: ['kernel', 'large'],
    defaultCodeModel: 'kernel',
    relocationModels: ['static', 'pic'],
    defaultRelocationModel: 'static',
    modelConstraints:
      'a higher-half kernel lives in the top 2 GiB, which the small and medium code models cannot address',
    bootInformation: {
      memoryMap: { provided: true, source: 'memory map request' },
      commandLine: { provided: true, source: 'executable command line request' },
      bootloaderName: { provided: true, source: 'bootloader info request' },
      framebuffer: { provided: true, source: 'framebuffer request' },
      rsdp: { provided: true, source: 'RSDP request' },
      modules: { provided: true, source: 'module request' },
    },
    pvh: undefined,
  },
];

export const DEFAULT_BOOT_PROTOCOL: BootProtocolName = 'multiboot2';

export function findBootProtocol(name: string): BootProtocol | undefined {
  return BOOT_PROTOCOLS.find((protocol) => protocol.name === name);
}
