import { createRequire } from 'node:module'
import type * as CliProgress from 'cli-progress'
import { formatEta, formatPercent, formatSpeed } from './format.js'

/**
 * One progress sample of a torrent (or of a demo peer), the shape of `Torrent.stats()` of
 * @p2p/swarm plus a label.
 */
export interface ProgressSample {
  /** What the line is about: a torrent name or a demo peer's label. */
  label: string
  /** Fraction complete, 0..1. */
  progress: number
  /** Download rate, bytes per second. */
  downloadSpeed: number
  /** Upload rate, bytes per second. */
  uploadSpeed: number
  /** Connected peers. */
  peers: number
  /** Seconds to completion, when known. */
  eta?: number
}

/** How progress is shown: bars in a terminal, plain lines in logs, JSON lines for machines. */
export type ProgressMode = 'tty' | 'lines' | 'json'

/** How much a logged message matters; JSON lines carry it as `level`. */
export type LogLevel = 'info' | 'warning' | 'error' | 'debug'

/** Shows progress samples; `stop()` leaves the terminal clean. */
export interface ProgressView {
  /** Records a new sample for `sample.label` (bars redraw; lines/json print at most once a `interval`). */
  update(sample: ProgressSample): void
  /** Prints a message above the bars (or as its own line; `{"type":"log","level",...}` in JSON mode). */
  log(message: string, level?: LogLevel): void
  /** Stops redrawing; call once. */
  stop(): void
}

/** Options of {@link createProgressView}. */
export interface ProgressViewOptions {
  /** Where to write. */
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  /** Mode; default `tty` when the stream is a TTY, else `lines`. */
  mode?: ProgressMode
  /** Minimum milliseconds between two plain/JSON lines for one label (default 1000; 0 prints every sample). */
  interval?: number
  /** Clock, for tests. */
  now?: () => number
}

/** Formats a sample as one plain log line. */
export function formatSampleLine(s: ProgressSample): string {
  return `${s.label}: ${formatPercent(s.progress)} down ${formatSpeed(s.downloadSpeed)} up ${formatSpeed(
    s.uploadSpeed,
  )} peers ${s.peers} eta ${formatEta(s.eta)}`
}

/** Formats a sample as one JSON line (`type: "progress"`), numbers rounded. */
export function formatSampleJson(s: ProgressSample): string {
  return JSON.stringify({
    type: 'progress',
    label: s.label,
    progress: Math.round(s.progress * 10000) / 10000,
    downloadSpeed: Math.round(s.downloadSpeed),
    uploadSpeed: Math.round(s.uploadSpeed),
    peers: s.peers,
    eta: s.eta !== undefined && Number.isFinite(s.eta) ? Math.round(s.eta) : null,
  })
}

/**
 * Creates a progress view: one cli-progress bar per label in a TTY, else throttled plain or JSON
 * lines. A sample that completes (progress 1) is always printed.
 *
 * @example
 * const view = createProgressView({ stream: process.stderr })
 * view.update({ label: 'ubuntu.iso', progress: 0.5, downloadSpeed: 1e6, uploadSpeed: 0, peers: 3, eta: 60 })
 * view.stop()
 */
export function createProgressView(options: ProgressViewOptions): ProgressView {
  const mode = options.mode ?? (options.stream.isTTY ? 'tty' : 'lines')
  return mode === 'tty' ? barView(options.stream) : lineView(options, mode)
}

function lineView(options: ProgressViewOptions, mode: 'lines' | 'json'): ProgressView {
  const interval = options.interval ?? 1000
  const now = options.now ?? Date.now
  const last = new Map<string, { at: number; done: boolean }>()
  const write = (line: string) => options.stream.write(`${line}\n`)
  return {
    update(sample) {
      const prev = last.get(sample.label)
      const done = sample.progress >= 1
      const t = now()
      if (prev && (prev.done || (!done && t - prev.at < interval))) return
      last.set(sample.label, { at: t, done })
      write(mode === 'json' ? formatSampleJson(sample) : formatSampleLine(sample))
    },
    log(message, level = 'info') {
      write(mode === 'json' ? JSON.stringify({ type: 'log', level, message }) : message)
    },
    stop() {},
  }
}

/** Loads cli-progress for terminal bars only (its import costs ~40 ms CPU that piped runs skip). */
const load = createRequire(import.meta.url)

function barView(stream: NodeJS.WritableStream): ProgressView {
  const { MultiBar, Presets } = load('cli-progress') as typeof CliProgress
  const multi = new MultiBar(
    {
      stream: stream as NodeJS.WritableStream & NodeJS.WriteStream,
      format: '{label} [{bar}] {pct} down {down} up {up} peers {peers} eta {etaText}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      forceRedraw: true,
    },
    Presets.shades_classic,
  )
  const bars = new Map<string, CliProgress.SingleBar>()
  let width = 0
  return {
    update(s) {
      width = Math.max(width, s.label.length)
      const payload = {
        label: s.label.padEnd(width),
        pct: formatPercent(s.progress).padStart(6),
        down: formatSpeed(s.downloadSpeed).padStart(11),
        up: formatSpeed(s.uploadSpeed).padStart(11),
        peers: s.peers,
        etaText: formatEta(s.eta),
      }
      const value = Math.round(Math.min(1, Math.max(0, s.progress)) * 1000)
      const bar = bars.get(s.label)
      if (bar) bar.update(value, payload)
      else bars.set(s.label, multi.create(1000, value, payload))
    },
    log(message) {
      multi.log(`${message}\n`)
    },
    stop() {
      multi.stop()
    },
  }
}

/**
 * Reads one line written by {@link formatSampleJson} (as `p2p download --json` children print) back
 * into a sample; `undefined` for any other line. The label is replaced by `label` when given.
 */
export function parseSampleJson(line: string, label?: string): ProgressSample | undefined {
  let v: unknown
  try {
    v = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof v !== 'object' || v === null) return undefined
  const o = v as Record<string, unknown>
  const num = (k: string) =>
    typeof o[k] === 'number' && Number.isFinite(o[k]) ? (o[k] as number) : undefined
  const progress = num('progress')
  if (o.type !== 'progress' || progress === undefined) return undefined
  return {
    label: label ?? (typeof o.label === 'string' ? o.label : '?'),
    progress,
    downloadSpeed: num('downloadSpeed') ?? 0,
    uploadSpeed: num('uploadSpeed') ?? 0,
    peers: num('peers') ?? 0,
    eta: num('eta'),
  }
}
