import { hostRequirement, type HostRequirementKey } from './host-packages.js';
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
  /** Whether the machine started from BIOS or UEFI firmware. */
  readonly firmware: BootInfoSource;
}

/** QEMU's direct `-kernel` boot of an ELF through the PVH entry note, without a bootloader. */
export interface PvhEntry {
  /** ELF note type XEN_ELFNOTE_PHYS32_ENTRY (xen/include/public/elfnote.h). */
  readonly noteType: number;
  readonly noteName: string;
  /** `hvm_start_info.magic`, at the address in EBX (xen/include/public/arch-x86/hvm/start_info.h). */
  readonly startInfoMagic: number;
  readonly entryState: EntryState;
  /** `struct hvm_start_info`, the start info at EBX. */
  readonly startInfo: StructLayout;
  /** The first `hvm_start_info.version` with `memmap_paddr` and `memmap_entries` (start_info.h). */
  readonly memoryMapVersion: number;
  /** `struct hvm_modlist_entry`, one per module, in an array at `modlist_paddr`. */
  readonly moduleEntry: StructLayout;
  /** `struct hvm_memmap_table_entry`, in an array at `memmap_paddr`; `type` uses E820 numbering. */
  readonly memoryMapEntry: StructLayout;
}

/** A field of a structure a specification defines: its name there, its type and its byte offset. */
export interface StructField {
  readonly name: string;
  /** An unsigned little-endian integer of 32 or 64 bits. */
  readonly type: 'u32' | 'u64';
  readonly offset: number;
}

/** A structure as its specification lays it out: every field, in order, and the whole size. */
export interface StructLayout {
  readonly fields: readonly StructField[];
  readonly size: number;
}

export interface BootProtocol {
  readonly name: BootProtocolName;
  readonly summary: string;
  readonly loader: string;
  readonly firmware: readonly Firmware[];
  /** The first is the path `cargo run` boots by default. */
  readonly bootPaths: readonly BootPath[];
  /** The path the runner boots `cargo test`'s test kernels on unless told otherwise. */
  readonly testBootPath: BootPath;
  /** The least guest RAM each of `bootPaths` boots with; the runner refuses less before QEMU starts. */
  readonly minimumMemory: Readonly<Partial<Record<BootPath, MemoryMinimum>>>;
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
  /**
   * What the protocol's runner needs on the host, and for which of its boots. The Debian packages
   * of the generated README and CI, `doctor`'s checks and `create`'s "missing to boot it" derive
   * from this list and the tables of host-packages.ts.
   */
  readonly hostRequirements: readonly RunnerRequirement[];
  /**
   * Where the runner fetches the loader's release from the network, the environment variable that
   * names a copy of it instead: offline (CI here) its kernels boot only where the variable is set.
   * Undefined when the loader comes from the host's packages.
   */
  readonly loaderReleaseVariable: string | undefined;
  /** The next step that boots a new kernel, as `create` prints it: the command, then why. */
  readonly runStep: readonly [command: string, comment: string];
}

/**
 * Below this much RAM the firmware or the loader of a boot path stops without a word, and a run
 * would only time out.
 */
export interface MemoryMinimum {
  readonly mib: number;
  /** What needs it, as the runner's refusal names it. */
  readonly needs: string;
  /** How the number was found. */
  readonly measured: string;
}

/**
 * When a runner needs a host requirement: for every `cargo run` and `cargo test` (on its default
 * boot paths), only for `cargo run -- --uefi`, or only to debug (`cargo run -- --gdb`, kernel.gdb).
 */
export type RequirementUse = 'boot' | 'uefi' | 'debug';

export interface RunnerRequirement {
  readonly requirement: HostRequirementKey;
  readonly use: RequirementUse;
  /** What the runner does with it, completing "the runner ...". */
  readonly why: string;
}

/** A program the runner needs, by the names it may have on a machine. */
export interface HostTool {
  readonly name: string;
  readonly programs: readonly string[];
}

/** The programs a protocol's runner calls on every boot, each with the alternatives that will do. */
export function hostTools(protocol: BootProtocol): HostTool[] {
  return protocol.hostRequirements
    .filter((need) => need.use === 'boot')
    .map((need) => hostRequirement(need.requirement))
    .filter((requirement) => requirement.programs.length > 0)
    .map(({ name, programs }) => ({ name, programs }));
}

// What every runner needs: QEMU, GNU timeout around each boot, OVMF for UEFI, GDB to debug.
const QEMU_NEED: RunnerRequirement = { requirement: 'qemu', use: 'boot', why: 'boots the kernel' };
const TIMEOUT_NEED: RunnerRequirement = { requirement: 'timeout', use: 'boot', why: 'bounds each boot in time' };
const OVMF_NEED: RunnerRequirement = { requirement: 'ovmf', use: 'uefi', why: 'boots QEMU with UEFI firmware' };
const GDB_NEED: RunnerRequirement = { requirement: 'gdb', use: 'debug', why: "attaches to QEMU's GDB stub" };
/** The Limine runner fetches the pinned release, then builds its host tool (`limine bios-install`). */
const LIMINE_FETCH_AND_BUILD = 'fetches Limine and builds its host tool';

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
    /** EFI 32-bit system table pointer (§3.6.13): passed by a loader on IA-32 UEFI firmware. */
    efi32SystemTable: 11,
    /** EFI 64-bit system table pointer (§3.6.14): passed by a loader on x64 UEFI firmware. */
    efi64SystemTable: 12,
    acpiOldRsdp: 14,
    acpiNewRsdp: 15,
  },
  /** Memory map entry types (§3.6.8). */
  memoryTypes: { available: 1, acpiReclaimable: 3, preserveOnHibernation: 4, defective: 5 },
  /** Header tag types (§3.1.3-§3.1.13): not the boot information's numbering above. */
  headerTags: {
    0: 'end',
    1: 'information request',
    2: 'address',
    3: 'entry address',
    4: 'console flags',
    5: 'framebuffer',
    6: 'module alignment',
    7: 'EFI boot services',
    8: 'EFI i386 entry address',
    9: 'EFI amd64 entry address',
    10: 'relocatable header',
  } as Readonly<Record<number, string>>,
  /**
   * Everything loads below 4 GiB: header addresses are 32-bit (§3.1.5), the entry runs in 32-bit
   * protected mode (§3.3), and our 32-bit entry identity-maps only the first 4 GiB.
   */
  loadAddressLimit: 0x1_0000_0000,
} as const;

/** A Limine request ID: the common magic followed by the request's own two words. */
export type LimineRequestId = readonly [string, string, string, string];

const LIMINE_COMMON_MAGIC = ['0xc7b1dd30df4c8b88', '0x0a82e883a194f07b'] as const;
const limineRequest = (third: string, fourth: string): LimineRequestId => [...LIMINE_COMMON_MAGIC, third, fourth];

/**
 * The Limine boot protocol (PROTOCOL.md of the limine-protocol repository, base revisions 0-6).
 * 64-bit values are hex strings: they do not fit a JavaScript number.
 */
export const LIMINE = {
  /** The newest base revision the protocol defines; 0-5 are deprecated (§Base Revisions). */
  baseRevision: 6,
  /**
   * The first Limine release implementing each base revision, from Limine's ChangeLog ("Implement
   * base revision N"): 2 in 7.5.0, 3 in 8.3.0, 4 in 10.2.0, 5 in 10.8.0, 6 in 11.0.0. Revisions 0
   * and 1 predate the hand-written ChangeLog (5.20231124.0), so they have no entry.
   */
  baseRevisionReleases: { 2: '7.5.0', 3: '8.3.0', 4: '10.2.0', 5: '10.8.0', 6: '11.0.0' } as Readonly<Record<number, string>>,
  /** Tag: these two words, then the revision. The loader sets the third word to 0 when it supports it. */
  baseRevisionMagic: ['0xf9562b2d5c95a6c8', '0x6a7b384944536bdc'],
  /** Requests are honoured only between the last start marker and the first end marker (rev >= 2). */
  requestsStartMarker: ['0xf6b8f4b39de7d1ae', '0xfab91a6940fcb9cf', '0x785c6ed015d3e316', '0x181e920a7852b9d9'],
  requestsEndMarker: ['0xadc0e0531bb10d03', '0x9572709f31764c62'],
  commonMagic: LIMINE_COMMON_MAGIC,
  /** Request IDs (§Feature List). */
  requests: {
    bootloaderInfo: limineRequest('0xf55038d8e2a1202f', '0x279426fcf5f59740'),
    executableCommandLine: limineRequest('0x4b161536e598651e', '0xb390ad4a2f1f303a'),
    /** §Firmware Type Feature: LIMINE_FIRMWARE_TYPE_REQUEST_ID; the response's values are `firmwareTypes`. */
    firmwareType: limineRequest('0x8c2f75d90bef28a8', '0x7045a4688eac00c3'),
    stackSize: limineRequest('0x224ef0460a8e8926', '0xe1cb0fc25f46ea3d'),
    hhdm: limineRequest('0x48dcf1cb8ad2b852', '0x63984e959a98244b'),
    framebuffer: limineRequest('0x9d5827dcd881dd75', '0xa3148604f6fab11b'),
    memoryMap: limineRequest('0x67cf3d9d378a806f', '0xe304acdfc50c3c62'),
    executableAddress: limineRequest('0x71ba76863cc55f63', '0xb2644a48c516a487'),
    rsdp: limineRequest('0xc5e77b6b397e7b43', '0x27637845accdcf3c'),
    module: limineRequest('0x3e7e279702be32af', '0xca1c4f3bd1280cee'),
    pagingMode: limineRequest('0x95c1a0edab0944cb', '0xa4e5cb3842f7488a'),
    mp: limineRequest('0x95a67b819a1b857e', '0xa0b61b723b6a73e0'),
    entryPoint: limineRequest('0x13d86c035a1cd3e1', '0x2b0caa89d8f3026a'),
    executableFile: limineRequest('0xad97e90e83f1ed67', '0x31eb5d1c5ff23b69'),
    smbios: limineRequest('0x9e9046f11e095391', '0xaa4a520fefbde5ee'),
    efiSystemTable: limineRequest('0x5ceba5163eaaf6d6', '0x0a6981610cf65fcc'),
    efiMemoryMap: limineRequest('0x7df62a431d6872d5', '0xa4fcdfb3e57306c8'),
    dateAtBoot: limineRequest('0x502746e184c088aa', '0xfbc5ec83e6327893'),
    deviceTreeBlob: limineRequest('0xb40ddb48fb54bac7', '0x545081493f81ffb7'),
    bootloaderPerformance: limineRequest('0x6b50ad9bf36d13ad', '0xdc4c7e88fc759e17'),
    keepIommu: limineRequest('0x8ebaabe51f490179', '0x2aa86a59ffb4ab0f'),
    tscFrequency: limineRequest('0x10f2ee1d87d195e4', '0xf747a2b78f6ddb31'),
    tpmEventLog: limineRequest('0x98e094fc7e76e979', '0xee8d8775c54e1d1f'),
    flantermFbInitParams: limineRequest('0x3259399fe7c5f126', '0xe01c1c8c5db9d1a9'),
    entropy: limineRequest('0x65ea80255d5682c5', '0x9117240723f493eb'),
    riscvBspHartId: limineRequest('0x1369359f025525f9', '0x2ff2a56178391bb6'),
  },
  /** `firmware_type` of the firmware type response (§Firmware Type Feature: LIMINE_FIRMWARE_TYPE_*). */
  firmwareTypes: {
    x86Bios: 0,
    efi32: 1,
    efi64: 2,
    /** RISC-V's Supervisor Binary Interface: never on x86. */
    sbi: 3,
  },
  /** Memory map entry types (§Memory Map Feature). */
  memoryTypes: {
    usable: 0,
    reserved: 1,
    acpiReclaimable: 2,
    acpiNvs: 3,
    badMemory: 4,
    bootloaderReclaimable: 5,
    executableAndModules: 6,
    framebuffer: 7,
    reservedMapped: 8,
  },
  /** The loader gives at least this much stack (§Machine State at Entry). */
  minimumStackBytes: 65536,
  /** The most requests Limine takes between the markers (common/protos/limine.c: MAX_REQUESTS, "Maximum requests exceeded"). */
  maxRequests: 128,
  /** PT_LOAD segments sharing a page must have the same permissions (Limine common/lib/elf.c). */
  pageSize: 0x1000,
} as const;

/**
 * The Limine release generated kernels boot with. Since 12.0 Limine ships its binaries as the
 * `limine-binary.tar.gz` asset of each release (before, as `vN.x-binary` git branches). The
 * SHA-256 is the one other projects pinning 12.9.1 record: no network here to compute it, so the
 * runner lets LIMINE_SHA256 (or LIMINE_DIR, an existing copy) override it.
 */
export const LIMINE_RELEASE = {
  version: '12.9.1',
  url: 'https://github.com/Limine-Bootloader/Limine/releases/download/v12.9.1/limine-binary.tar.gz',
  sha256: '5cdebc518daa3af30b22c2322ba0dba2e0e2046fa8b087b9e13071b8dbcdcff4',
  /**
   * The oldest release that boots generated kernels: the first to implement their base revision.
   * A LIMINE_DIR holding this release or a later one is accepted (releases keep the older base
   * revisions: 11.0.0 dropped 0-3 on x86, 11.1.0 brought them back; revision 6 was never dropped).
   */
  minimumVersion: LIMINE.baseRevisionReleases[LIMINE.baseRevision]!,
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
  // start_info.h's layout tables (the header calls them canonical, its C structs a representation).
  startInfo: {
    fields: [
      { name: 'magic', type: 'u32', offset: 0 },
      { name: 'version', type: 'u32', offset: 4 },
      { name: 'flags', type: 'u32', offset: 8 },
      { name: 'nr_modules', type: 'u32', offset: 12 },
      { name: 'modlist_paddr', type: 'u64', offset: 16 },
      { name: 'cmdline_paddr', type: 'u64', offset: 24 },
      { name: 'rsdp_paddr', type: 'u64', offset: 32 },
      { name: 'memmap_paddr', type: 'u64', offset: 40 },
      { name: 'memmap_entries', type: 'u32', offset: 48 },
      { name: 'reserved', type: 'u32', offset: 52 },
    ],
    size: 56,
  },
  memoryMapVersion: 1,
  moduleEntry: {
    fields: [
      { name: 'paddr', type: 'u64', offset: 0 },
      { name: 'size', type: 'u64', offset: 8 },
      { name: 'cmdline_paddr', type: 'u64', offset: 16 },
      { name: 'reserved', type: 'u64', offset: 24 },
    ],
    size: 32,
  },
  memoryMapEntry: {
    fields: [
      { name: 'addr', type: 'u64', offset: 0 },
      { name: 'size', type: 'u64', offset: 8 },
      { name: 'type', type: 'u32', offset: 16 },
      { name: 'reserved', type: 'u32', offset: 20 },
    ],
    size: 24,
  },
};

export const BOOT_PROTOCOLS: readonly BootProtocol[] = [
  {
    name: 'multiboot2',
    summary: 'GRUB 2 on BIOS and UEFI; the kernel enters long mode itself; also boots directly in QEMU (PVH)',
    loader: 'GRUB 2',
    firmware: ['bios', 'uefi'],
    bootPaths: ['bios-iso', 'uefi-iso', 'direct'],
    // Tests boot straight from the ELF: no ISO to build, and no loader to wait for.
    testBootPath: 'direct',
    minimumMemory: {
      'bios-iso': { mib: 12, needs: 'GRUB on SeaBIOS', measured: "boots at 12M, not 11M (QEMU 7.2, Debian's SeaBIOS and GRUB 2.06)" },
      'uefi-iso': {
        mib: 64,
        needs: 'OVMF (UEFI) with GRUB',
        measured: 'boots at 64M, not 60M: "you need to load the kernel first" (QEMU 7.2, Debian\'s OVMF and GRUB 2.06)',
      },
      direct: { mib: 2, needs: 'PVH direct boot (the kernel loads at 1 MiB)', measured: 'boots at 2M, not 1M (QEMU 7.2)' },
    },
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
      commandLine: { provided: true, source: 'boot command line tag (type 1, §3.6.5)' },
      bootloaderName: { provided: true, source: 'boot loader name tag (type 2, §3.6.9)' },
      framebuffer: { provided: true, source: 'framebuffer info tag (type 8, §3.6.12), when the loader set a mode' },
      rsdp: { provided: true, source: 'ACPI old/new RSDP tags (types 14 and 15, §3.6.16-17)' },
      modules: { provided: true, source: 'module tags (type 3, §3.6.6)' },
      firmware: {
        provided: true,
        source:
          'EFI 32-bit or 64-bit system table pointer tag (types 11 and 12, §3.6.13-14) on UEFI, none on BIOS; ' +
          'PVH direct boot cannot tell (hvm_start_info has no such field)',
      },
    },
    pvh: PVH,
    hostRequirements: [
      QEMU_NEED,
      { requirement: 'grubBios', use: 'boot', why: 'puts GRUB for BIOS on the ISO' },
      { requirement: 'grubUefi', use: 'uefi', why: 'puts GRUB for UEFI on the ISO' },
      { requirement: 'grubMkrescue', use: 'boot', why: 'makes a GRUB ISO' },
      { requirement: 'xorriso', use: 'boot', why: 'writes the ISO (grub-mkrescue calls it)' },
      { requirement: 'mtools', use: 'boot', why: "makes the ISO's EFI boot image (grub-mkrescue calls mformat)" },
      TIMEOUT_NEED,
      OVMF_NEED,
      GDB_NEED,
    ],
    loaderReleaseVariable: undefined,
    runStep: ['cargo run', 'boot it in QEMU through GRUB (add -- --direct for the fast path)'],
  },
  {
    name: 'limine',
    summary: 'the Limine bootloader on BIOS and UEFI; 64-bit higher-half entry with requests and responses',
    loader: 'Limine',
    firmware: ['bios', 'uefi'],
    bootPaths: ['bios-iso', 'uefi-iso'],
    // QEMU cannot load a Limine kernel without Limine: tests boot the ISO too.
    testBootPath: 'bios-iso',
    minimumMemory: {
      'bios-iso': { mib: 2, needs: 'SeaBIOS', measured: 'SeaBIOS boots a loader at 2M (measured with PVH, QEMU 7.2)' },
      'uefi-iso': {
        mib: 128,
        needs: 'Limine on OVMF (UEFI)',
        measured: 'about 128M, measured in a review with a Limine 12 release (OVMF alone boots GRUB at 64M, not 60M; QEMU 7.2)',
      },
    },
    entryState: {
      cpuMode: 'long-64',
      paging: 'enabled: the kernel mapped per its PT_LOAD segments, plus the higher-half direct map (HHDM)',
      registers: {
        rsp: 'a stack of at least 64 KiB (or the stack size request), with a return address of 0 pushed',
        rflags: '0x2 (base revision >= 5): IF clear',
        cs: '0x28, 64-bit code; DS/ES/SS/FS/GS 0x30',
        gdtr: 'a GDT in bootloader-reclaimable memory',
        idtr: 'base 0, limit 0 (base revision >= 5): the kernel loads its own IDT',
        'cr0/cr4': 'only PE, ET, WP, PG and PAE (and LA57) set: SSE is off until the kernel enables it',
      },
      notes: [
        'Responses are written into the requests the kernel declares between the start and end markers.',
        'Requests and markers must be in file-backed data (not .bss); the loader scans the loaded image.',
        'The stack, GDT, page tables and responses are bootloader-reclaimable memory.',
      ],
    },
    linkAddress: '0xffffffff80000000',
    higherHalf: true,
    codeModels: ['kernel', 'large'],
    defaultCodeModel: 'kernel',
    relocationModels: ['static', 'pic'],
    defaultRelocationModel: 'static',
    modelConstraints:
      'a higher-half kernel lives in the top 2 GiB, which the small and medium code models cannot address; ' +
      'a position-dependent kernel below 0xffffffff80000000 is refused by the loader',
    bootInformation: {
      memoryMap: { provided: true, source: 'memory map request (§Memory Map Feature)' },
      commandLine: { provided: true, source: 'executable command line request (§Executable Command Line Feature)' },
      bootloaderName: { provided: true, source: 'bootloader info request (§Bootloader Info Feature)' },
      framebuffer: { provided: true, source: 'framebuffer request (§Framebuffer Feature)' },
      rsdp: { provided: true, source: 'RSDP request (§RSDP Feature)' },
      modules: { provided: true, source: 'module request (§Module Feature)' },
      firmware: { provided: true, source: 'firmware type request (§Firmware Type Feature)' },
    },
    pvh: undefined,
    hostRequirements: [
      QEMU_NEED,
      { requirement: 'xorriso', use: 'boot', why: 'writes the ISO' },
      TIMEOUT_NEED,
      OVMF_NEED,
      { requirement: 'curl', use: 'boot', why: LIMINE_FETCH_AND_BUILD },
      { requirement: 'make', use: 'boot', why: LIMINE_FETCH_AND_BUILD },
      { requirement: 'cCompiler', use: 'boot', why: LIMINE_FETCH_AND_BUILD },
      GDB_NEED,
    ],
    // The runner's LIMINE_DIR (templates/boot/limine/fragments/runner_image.hbs).
    loaderReleaseVariable: 'LIMINE_DIR',
    runStep: ['cargo run', 'boot it in QEMU through Limine (add -- --uefi for UEFI)'],
  },
];

export const DEFAULT_BOOT_PROTOCOL: BootProtocolName = 'multiboot2';

export function findBootProtocol(name: string): BootProtocol | undefined {
  return BOOT_PROTOCOLS.find((protocol) => protocol.name === name);
}
