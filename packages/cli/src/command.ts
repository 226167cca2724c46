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

/** Checks a flag whose value must be one of `allowed`; `undefined` when the flag is absent. */
export function choiceFlag<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined
  if (!allowed.includes(value as T)) {
    throw new CliError('CLI_USAGE', `--${name} expects ${allowed.join('|')}, got ${JSON.stringify(value)}`)
  }
  return value as T
}

/** Byte multipliers of size units (binary, as `256k` piece lengths; `kb`/`mb`/`gb` decimal). */
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 2 ** 20,
  mib: 2 ** 20,
  mb: 1e6,
  g: 2 ** 30,
  gib: 2 ** 30,
  gb: 1e9,
}

/** Parses a size with an optional unit (`262144`, `256k`, `1MiB`, `10MB`) into bytes; NaN when malformed. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined
  return m && unit !== undefined ? Math.round(Number(m[1]) * unit) : Number.NaN
}

/** Parses a size flag (units allowed, see {@link parseSize}) within [min, max] bytes. */
export function sizeFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback
  const n = parseSize(value)
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(
      'CLI_USAGE',
      `--${name} expects a size in bytes such as 500k or 2M, got ${JSON.stringify(value)}`,
    )
  }
  return n
}
