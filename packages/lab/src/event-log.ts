import { createWriteStream, type WriteStream } from 'node:fs'

/**
 * One line of `events.jsonl`. `t` is milliseconds since the lab started; `run` names one swarm run
 * inside a scenario (e.g. `scaling/libtorrent/N=5`, or `scaling/libtorrent/N=5 #2` when repeated); `repeat`
 * is the run's repeat index (1-based); `peer` is the peer's lab name (`S0`, `L3`, `X0`).
 * Types: `run-start`, `run-end`, `peer-start`, `peer-exit`, `piece` ({index, ok, algorithm: 'sha1' |
 * 'sha256', peers}), `progress` ({progress, downloaded, uploaded, downloadSpeed, uploadSpeed, peers}),
 * `done`, `ban` ({peer banned, by}), `seeder-leave`, `error`, `warning`.
 */
export interface LabEvent {
  t: number
  scenario: string
  run: string
  /** Repeat index of the run (1-based). */
  repeat?: number
  type: string
  peer?: string
  [key: string]: unknown
}

/** In-memory list of the lab's events, mirrored line by line to a JSON-lines file when given one. */
export class EventLog {
  readonly events: LabEvent[] = []
  readonly #start = performance.now()
  readonly #out: WriteStream | undefined

  /** @param file path of `events.jsonl`, or undefined to keep events in memory only */
  constructor(file?: string) {
    this.#out = file ? createWriteStream(file) : undefined
  }

  /** Milliseconds since the log was created. */
  now(): number {
    return Math.round((performance.now() - this.#start) * 10) / 10
  }

  /** Records an event stamped with {@link now}. */
  add(event: Omit<LabEvent, 't'>): LabEvent {
    const e = { t: this.now(), ...event } as LabEvent
    this.events.push(e)
    this.#out?.write(`${JSON.stringify(e)}\n`)
    return e
  }

  /** Events of one run, optionally of one type. */
  of(run: string, type?: string): LabEvent[] {
    return this.events.filter((e) => e.run === run && (type === undefined || e.type === type))
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    const out = this.#out
    if (!out) return
    await new Promise<void>((resolve) => out.end(resolve))
  }
}
