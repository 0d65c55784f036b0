/**
 * The Limine request IDs the checker can name: the target model's `LIMINE.requests`, plus the
 * ones it does not define yet.
 */
import { LIMINE, type LimineRequestId } from '@baremetal-kernel/target';
import { words } from './bytes.js';

const request = (third: string, fourth: string): LimineRequestId => [...LIMINE.commonMagic, third, fourth];

/**
 * Request IDs missing from `LIMINE.requests` in @baremetal-kernel/target: PROTOCOL.md of the
 * limine-protocol repository, base revision 6, §Feature List (identical in limine.h, 2022-2026).
 * To be moved into the target model.
 */
export const LIMINE_MORE_REQUESTS = {
  pagingMode: request('0x95c1a0edab0944cb', '0xa4e5cb3842f7488a'),
  mp: request('0x95a67b819a1b857e', '0xa0b61b723b6a73e0'),
  entryPoint: request('0x13d86c035a1cd3e1', '0x2b0caa89d8f3026a'),
  executableFile: request('0xad97e90e83f1ed67', '0x31eb5d1c5ff23b69'),
  smbios: request('0x9e9046f11e095391', '0xaa4a520fefbde5ee'),
  efiSystemTable: request('0x5ceba5163eaaf6d6', '0x0a6981610cf65fcc'),
  efiMemoryMap: request('0x7df62a431d6872d5', '0xa4fcdfb3e57306c8'),
  dateAtBoot: request('0x502746e184c088aa', '0xfbc5ec83e6327893'),
  deviceTreeBlob: request('0xb40ddb48fb54bac7', '0x545081493f81ffb7'),
  bootloaderPerformance: request('0x6b50ad9bf36d13ad', '0xdc4c7e88fc759e17'),
  keepIommu: request('0x8ebaabe51f490179', '0x2aa86a59ffb4ab0f'),
  tscFrequency: request('0x10f2ee1d87d195e4', '0xf747a2b78f6ddb31'),
  tpmEventLog: request('0x98e094fc7e76e979', '0xee8d8775c54e1d1f'),
  flantermFbInitParams: request('0x3259399fe7c5f126', '0xe01c1c8c5db9d1a9'),
  entropy: request('0x65ea80255d5682c5', '0x9117240723f493eb'),
  riscvBspHartId: request('0x1369359f025525f9', '0x2ff2a56178391bb6'),
} as const satisfies Record<string, LimineRequestId>;

/** How findings name a request: the feature names of PROTOCOL.md. */
const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  bootloaderInfo: 'bootloader info',
  executableCommandLine: 'executable command line',
  firmwareType: 'firmware type',
  stackSize: 'stack size',
  hhdm: 'HHDM',
  framebuffer: 'framebuffer',
  memoryMap: 'memory map',
  executableAddress: 'executable address',
  rsdp: 'RSDP',
  module: 'module',
  pagingMode: 'paging mode',
  mp: 'MP',
  entryPoint: 'entry point',
  executableFile: 'executable file',
  smbios: 'SMBIOS',
  efiSystemTable: 'EFI system table',
  efiMemoryMap: 'EFI memory map',
  dateAtBoot: 'date at boot',
  deviceTreeBlob: 'device tree blob',
  bootloaderPerformance: 'bootloader performance',
  keepIommu: 'x86-64 keep IOMMU',
  tscFrequency: 'TSC frequency',
  tpmEventLog: 'TPM event log',
  flantermFbInitParams: 'Flanterm FB init params',
  entropy: 'entropy',
  riscvBspHartId: 'RISC-V BSP hart ID',
};

const KNOWN_REQUESTS: ReadonlyMap<string, string> = new Map(
  Object.entries({ ...LIMINE.requests, ...LIMINE_MORE_REQUESTS }).map(([key, id]) => [
    requestKey(words(id)),
    DISPLAY_NAMES[key] ?? key,
  ]),
);

/** The map key of a request ID: its last two words (the first two are the common magic). */
function requestKey(id: readonly bigint[]): string {
  return id.slice(2).map((word) => word.toString(16)).join(':');
}

/** The feature name of a request ID, or undefined when the protocol defines no such request. */
export function limineRequestName(id: readonly bigint[]): string | undefined {
  return KNOWN_REQUESTS.get(requestKey(id));
}
