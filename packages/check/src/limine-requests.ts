/** The Limine request IDs the checker can name: the target model's `LIMINE.requests`. */
import { LIMINE } from '@baremetal-kernel/target';
import { words } from './bytes.js';


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
  Object.entries(LIMINE.requests).map(([key, id]) => [
    requestKey(words(id)),
    DISPLAY_NAMES[key] ?? key,
  ]),
);

/** The map key of a request ID: its last two words (the first two are the common magic). */
function requestKey(id: readonly bigint[]): string {
  // Stryker disable next-line MethodExpression,StringLiteral: keeping the magic words, or another separator, still tells the model's IDs apart
  return id.slice(2).map((word) => word.toString(16)).join(':');
}

/** The feature name of a request ID, or undefined when the protocol defines no such request. */
export function limineRequestName(id: readonly bigint[]): string | undefined {
  return KNOWN_REQUESTS.get(requestKey(id));
}
