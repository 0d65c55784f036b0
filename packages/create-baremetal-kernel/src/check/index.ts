export { checkKernelImage, detectBootProtocol, MULTIBOOT2_ADDRESS_LIMIT, type DetectedProtocol } from './kernel-image.js';
export { formatFinding, hasErrors, type Finding, type FindingLevel } from './findings.js';
export { parseKernelManifest, kernelElfPath, type KernelManifest } from './project.js';
