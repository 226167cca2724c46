import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { DemoPeer, stopPeers } from './demo-peer.js'
import { compareTrees, hashTree, type IntegrityResult } from './integrity.js'
import type { ProgressView } from './progress.js'

/** A program and its arguments. */
export interface Invocation {
  /** Executable. */
  command: string
  /** Arguments. */
  args: string[]
}

/** How the demo starts each role; `p2p demo` points these at its own `p2p tracker|seed|download`. */
export interface DemoCommands {
  /** A tracker that prints its announce URL as a line starting with `http://` or `udp://`. */
  tracker(): Invocation
  /** A seeder of `file` announcing to `announce`, printing its magnet link as a line starting with `magnet:`. */
  seed(file: string, announce: string): Invocation
  /** A leecher of `magnet` into `outDir` that prints JSON progress lines and exits 0 when complete. */
  download(magnet: string, outDir: string, announce: string): Invocation
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Leechers (default 3). */
  peers?: number
  /** Size of the random file in bytes (default 32 MiB). */
  size?: number
  /** Empty directory the demo works in. */
  dir: string
  /** Where progress and messages go. */
  view: ProgressView
  /** How each role starts. */
  commands: DemoCommands
  /** Stops the demo (everything started is stopped). */
  signal?: AbortSignal
  /** Milliseconds to wait for the tracker's URL and the seeder's magnet link (default 30000). */
  startTimeoutMs?: number
}

/** What {@link runDemo} found. */
export interface DemoResult {
  /** True when every leecher exited 0 and holds a byte-identical copy. */
  ok: boolean
  /** Per-leecher integrity verdicts. */
  integrity: IntegrityResult[]
  /** The seeder's magnet link. */
  magnet: string
}

const urlLine = (l: string) => (/^(https?|udp):\/\/\S+$/.test(l.trim()) ? l.trim() : undefined)
const magnetLine = (l: string) => (l.trim().startsWith('magnet:') ? l.trim() : undefined)

/** Writes `size` random bytes to `path` in 1 MiB chunks. */
export async function writeRandomFile(path: string, size: number): Promise<void> {
  const out = createWriteStream(path)
  for (let left = size; left > 0; ) {
    const n = Math.min(left, 2 ** 20)
    if (!out.write(randomBytes(n))) await new Promise<void>((r) => out.once('drain', () => r()))
    left -= n
  }
  out.end()
  await finished(out)
}

/**
 * Runs the demo swarm: a random file, a tracker, one seeder and `peers` leechers, each a separate
 * process; shows their progress and ends with a SHA-256 integrity check of every leecher's copy.
 * Every process is stopped before it resolves, also on abort or failure.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { view, commands, dir } = options
  const peers = options.peers ?? 3
  const timeout = options.startTimeoutMs ?? 30_000
  const started: DemoPeer[] = []
  const start = (label: string, inv: Invocation) => {
    options.signal?.throwIfAborted()
    const p = new DemoPeer(label, inv.command, inv.args, {
      onSample: (s) => view.update(s),
      onLine: (line, stream) => {
        if (stream === 'stderr') view.log(`${label}: ${line}`)
      },
    })
    started.push(p)
    return p
  }
  const onAbort = () => void stopPeers(started)
  options.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const source = join(dir, 'seeder')
    await mkdir(source, { recursive: true })
    const file = join(source, 'demo.bin')
    await writeRandomFile(file, options.size ?? 32 * 2 ** 20)
    const tracker = start('tracker', commands.tracker())
    const announce = await tracker.waitForLine(urlLine, timeout)
    view.log(`tracker: ${announce}`)
    const seeder = start('seeder', commands.seed(file, announce))
    const magnet = await seeder.waitForLine(magnetLine, timeout)
    view.log(`seeder: ${magnet}`)
    const leechers = Array.from({ length: peers }, (_, i) => {
      const out = join(dir, `leecher-${i + 1}`)
      return { out, p: start(`leecher-${i + 1}`, commands.download(magnet, out, announce)) }
    })
    const exits = await Promise.all(leechers.map((l) => l.p.exited))
    options.signal?.throwIfAborted()
    const original = await hashTree(source)
    const integrity: IntegrityResult[] = []
    for (const [i, l] of leechers.entries()) {
      const exit = exits[i]!
      const copy = await hashTree(l.out).catch(() => new Map<string, string>())
      const r = compareTrees(l.p.label, original, copy)
      if (exit.code !== 0) r.ok = false
      integrity.push(r)
    }
    return { ok: integrity.every((r) => r.ok), integrity, magnet }
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    // Peers first, so their final `stopped` announces still reach the tracker.
    await stopPeers(started.filter((p) => p.label !== 'tracker'))
    await stopPeers(started)
    view.stop()
  }
}
