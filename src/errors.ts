/** Exit codes of contract section 5. */
export const ExitCode = { ok: 0, failure: 1, usage: 2, corrupt: 3 } as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error the user can act on: its message names what was wrong, its exit code follows the contract.
 * Core code throws these; only the CLI turns them into exit codes.
 */
export class OtError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.failure,
    readonly code: string = 'failure',
  ) {
    super(message);
    this.name = 'OtError';
  }
}

export const usageError = (message: string, code = 'usage') => new OtError(message, ExitCode.usage, code);
export const corruptError = (message: string) => new OtError(message, ExitCode.corrupt, 'corrupt');
