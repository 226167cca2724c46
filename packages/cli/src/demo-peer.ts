import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { type ProgressSample, parseSampleJson } from './progress.js'

/** How a child peer process ended. */
export interface PeerExit {
  /** Exit code, or null when a signal ended it. */
  code: number | null
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null
}

/** Options of {@link DemoPeer}. */
export interface DemoPeerOptions {
  /** Working directory. */
  cwd?: string
  /** Called with every progress sample the child prints as a JSON line (labelled with the peer's label). */
  onSample?: (sample: ProgressSample) => void
  /** Called with every other stdout line and every stderr line. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void
}

/**
 * A child process that plays one peer of `p2p demo` (a `p2p seed` or `p2p download --json`), in its
 * own process group so that {@link DemoPeer.stop} ends it and anything it started.
 */
export class DemoPeer {
  /** The peer's label, e.g. `seeder` or `leecher-2`. */
  readonly label: string
  /** Resolves when the process has exited. */
  readonly exited: Promise<PeerExit>
  /** The latest progress sample the child printed. */
  lastSample: ProgressSample | undefined
  readonly #child: ChildProcess
  readonly #waiters = new Set<(line: string) => boolean>()
  #exit: PeerExit | undefined

  constructor(label: string, command: string, args: string[], options: DemoPeerOptions = {}) {
    this.label = label
    this.#child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    this.exited = new Promise((resolve) => {
      this.#child.once('error', (err) => {
        options.onLine?.(`${label}: ${err.message}`, 'stderr')
        this.#exit ??= { code: -1, signal: null }
        resolve(this.#exit)
      })
      this.#child.once('close', (code, signal) => {
        this.#exit ??= { code, signal }
        resolve(this.#exit)
      })
    })
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      for (const w of this.#waiters) if (w(line)) this.#waiters.delete(w)
      const sample = parseSampleJson(line, label)
      if (sample) {
        this.lastSample = sample
        options.onSample?.(sample)
      } else options.onLine?.(line, 'stdout')
    })
    createInterface({ input: this.#child.stderr! }).on('line', (line) => options.onLine?.(line, 'stderr'))
  }

  /** Whether the process has exited. */
  get running(): boolean {
    return this.#exit === undefined
  }

  /**
   * Resolves with the first stdout line (from now on) for which `pick` returns a value; rejects when
   * the process exits first or `timeoutMs` passes.
   */
  waitForLine<T>(pick: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`${this.label}: no expected output within ${timeoutMs} ms`)),
        timeoutMs,
      )
      const waiter = (line: string) => {
        const v = pick(line)
        if (v === undefined) return false
        finish(undefined, v)
        return true
      }
      const finish = (err?: Error, value?: T) => {
        clearTimeout(timer)
        this.#waiters.delete(waiter)
        if (err) reject(err)
        else resolve(value as T)
      }
      this.#waiters.add(waiter)
      void this.exited.then((e) =>
        finish(
          new Error(
            `${this.label} exited (code ${e.code}${e.signal ? `, ${e.signal}` : ''}) before the expected output`,
          ),
        ),
      )
    })
  }

  /**
   * Stops the process group: SIGINT (the CLI's clean stop, which writes resume data), then SIGKILL
   * after `graceMs`. Resolves once it has exited.
   */
  async stop(graceMs = 5000): Promise<PeerExit> {
    if (this.#exit) return this.#exit
    this.#signal('SIGINT')
    const timer = setTimeout(() => this.#signal('SIGKILL'), graceMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  #signal(sig: NodeJS.Signals): void {
    const pid = this.#child.pid
    if (pid === undefined || this.#exit) return
    try {
      process.kill(-pid, sig)
    } catch {
      // already gone
    }
  }
}

/** Stops every process concurrently, each bounded by `graceMs`. */
export async function stopPeers(peers: Iterable<DemoPeer>, graceMs = 5000): Promise<void> {
  await Promise.all([...peers].map((p) => p.stop(graceMs)))
}
