import { type ParseArgsConfig, parseArgs } from 'node:util'
import { CliError } from './errors.js'

/** Where a command writes and what stops it. */
export interface CommandIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  /** Aborted on SIGINT / SIGTERM: a long-running command stops cleanly when it fires. */
  signal: AbortSignal
}

/** One `p2p` subcommand. */
export interface Command {
  /** One line for `p2p --help`. */
  summary: string
  /** Full usage text for `p2p <command> --help`. */
  usage: string
  /** Runs the command; resolves with the process exit code. */
  run(argv: string[], io: CommandIo): Promise<number>
}

/**
 * `node:util` parseArgs with CLI errors: an unknown flag or a missing value becomes a `CLI_USAGE`
 * {@link CliError} instead of a stack trace.
 */
export function parseFlags(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  allowPositionals = true,
): ParsedFlags {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true })
  } catch (err) {
    throw new CliError('CLI_USAGE', (err as Error).message)
  }
}

/** Flag values by name, and the positional arguments. */
export interface ParsedFlags {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>
  positionals: string[]
}

/** Parses an integer flag within [min, max]. */
export function intFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback
  // decimal digits only: Number() would also take '1e3', '0x10', ' 8 ' or ''
  const n = /^-?\d{1,16}$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CliError(
      'CLI_USAGE',
      `--${name} expects an integer in ${min}..${max}, got ${JSON.stringify(value)}`,
    )
  }
  return n
}
