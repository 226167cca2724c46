/** Stable error codes of the `p2p` command. */
export type CliErrorCode =
  /** Unknown command, unknown flag, missing or malformed argument. */
  | 'CLI_USAGE'
  /** An input file or torrent that cannot be read or parsed. */
  | 'CLI_BAD_INPUT'
  /** A network peer or tracker could not be reached. */
  | 'CLI_UNREACHABLE'
  /** The command failed while running. */
  | 'CLI_FAILED'
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM before it finished; running it again continues. */
  | 'CLI_INTERRUPTED'

/**
 * Process exit code for each error code: 2 usage, 3 bad input, 4 unreachable, 130 interrupted (as a
 * shell reports SIGINT), 1 other failures.
 */
export const EXIT_CODES: Record<CliErrorCode, number> = {
  CLI_USAGE: 2,
  CLI_BAD_INPUT: 3,
  CLI_UNREACHABLE: 4,
  CLI_FAILED: 1,
  CLI_INTERRUPTED: 130,
}

/** An error the CLI reports as one line and a matching exit code. */
export class CliError extends Error {
  /** Stable machine-readable error code. */
  readonly code: CliErrorCode

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CliError'
    this.code = code
  }
}

/**
 * The `CLI_INTERRUPTED` error (exit 130) of a command stopped by Ctrl-C or SIGTERM, saying what stopped
 * and how to continue, e.g. `interrupted: seeding stopped; run the same command again to continue`.
 */
export function interrupted(how: string): CliError {
  return new CliError('CLI_INTERRUPTED', `interrupted: ${how}`)
}
