/** Severity of a log entry. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** One structured log entry: a level, a short message and fields. */
export interface LogEntry {
  level: LogLevel
  msg: string
  [field: string]: unknown
}

/** Receives the server's structured log entries. */
export type Logger = (entry: LogEntry) => void

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/**
 * A {@link Logger} writing one JSON object per line (`{"time":...,"level":"info","msg":...}`) to a
 * stream, dropping entries below `level` (default `info`).
 *
 * @example
 * ```ts
 * createTrackerServer({ logger: jsonLogger({ stream: process.stderr, level: 'debug' }) })
 * ```
 */
export function jsonLogger(options: { stream?: NodeJS.WritableStream; level?: LogLevel } = {}): Logger {
  const stream = options.stream ?? process.stderr
  const min = ORDER[options.level ?? 'info']
  return (entry) => {
    if (ORDER[entry.level] < min) return
    stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry }, jsonSafe)}\n`)
  }
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Error)
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code }
  return value
}

/** A logger that drops everything (the default). */
export const silentLogger: Logger = () => {}
