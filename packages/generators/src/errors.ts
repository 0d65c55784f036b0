export type GeneratorErrorCode =
  | 'E_INVALID_CONFIG'
  | 'E_TEMPLATE'
  | 'E_NOT_A_DIRECTORY'
  | 'E_DIRECTORY_NOT_EMPTY'
  | 'E_WRITE_FAILED'
  | 'E_READ_FAILED'
  | 'E_UNSUPPORTED'
  | 'E_NOT_A_KERNEL'
  | 'E_NEWER_KERNEL'
  | 'E_UNKNOWN_MODULE'
  | 'E_MODULE_REFUSED'
  | 'E_ANCHOR_MISSING'
  | 'E_FILE_EXISTS'
  | 'E_KERNEL_CHANGED';

/** An error with a stable code, for the CLI to print as one line and tests to match. */
export class GeneratorError extends Error {
  constructor(
    readonly code: GeneratorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GeneratorError';
  }
}
