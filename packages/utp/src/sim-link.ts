import { mulberry32 } from '@p2p/deterministic'
import { UtpConnection, type UtpConnectionHandlers, type UtpConnectionOptions } from './connection.js'
import { decodePacket, PacketType } from './packet.js'

/** Faults of the simulated link. */
export interface SimLinkFaults {
  loss?: number
  duplicate?: number
  /** Probability that a packet is held back by up to `jitterMs` extra. */
  reorder?: number
  delayMs?: number
  jitterMs?: number
  /** Bottleneck rate in bytes per ms: packets queue behind it (the queue LEDBAT watches). */
  rate?: number
  /** Largest datagram the link carries: larger ones are dropped (and kept in `SimLink.oversized`). */
  mtu?: number
}

/** One simulated endpoint: the connection and what it received. */
export interface SimEnd {
  conn?: UtpConnection
  received: Uint8Array[]
  ended: boolean
  closed: boolean
  error?: Error
  drained: number
}

interface InFlight {
  at: number
  to: 0 | 1
  bytes: Buffer
}

/**
 * Two {@link UtpConnection}s on a simulated link with a virtual clock: end 0 connects, end 1 accepts the
 * SYN. `run` advances time event by event until `done` or a step bound.
 */
export class SimLink {
  now = 0
  readonly ends: [SimEnd, SimEnd] = [
    { received: [], ended: false, closed: false, drained: 0 },
    { received: [], ended: false, closed: false, drained: 0 },
  ]
  readonly #queue: InFlight[] = []
  readonly #rand: () => number
  readonly #faults: SimLinkFaults
  readonly #options: Omit<UtpConnectionOptions, 'now'>
  /** When each direction's bottleneck queue drains (towards end 0, towards end 1). */
  readonly busyUntil = [0, 0]
  onDrain: [(() => void) | undefined, (() => void) | undefined] = [undefined, undefined]
  onConnect: (() => void) | undefined
  delivered = 0
  /** Datagrams dropped for exceeding the link's MTU. */
  readonly oversized: Buffer[] = []
  /** Size of every datagram sent, in order. */
  readonly sizes: number[] = []
  /** Drops the datagrams towards end `to` it returns true for (a receiver's own drops). */
  drop: ((to: 0 | 1, bytes: Buffer) => boolean) | undefined
  /** Rewrites each datagram towards end `to` before the faults (e.g. into another client's encoding). */
  rewrite: ((to: 0 | 1, bytes: Buffer) => Buffer) | undefined
  /** Datagrams delivered that did not decode. */
  undecodable = 0

  constructor(seed: number, faults: SimLinkFaults, options: Omit<UtpConnectionOptions, 'now'> = {}) {
    this.#rand = mulberry32(seed)
    this.#faults = faults
    this.#options = { random: this.#rand, ...options }
    this.ends[0].conn = UtpConnection.connect(
      Math.floor(this.#rand() * 0xffff),
      this.#handlers(0),
      this.#connOptions(),
    )
  }

  #connOptions(): UtpConnectionOptions {
    return { ...this.#options, now: () => this.now }
  }

  #handlers(i: 0 | 1): UtpConnectionHandlers {
    const end = this.ends[i]
    return {
      send: (parts) => this.#transmit((1 - i) as 0 | 1, Buffer.concat(parts)),
      data: (payload) => end.received.push(Uint8Array.from(payload)),
      connect: () => this.onConnect?.(),
      drain: () => {
        end.drained++
        this.onDrain[i]?.()
      },
      end: () => {
        // Like a Duplex without allowHalfOpen: the peer's FIN ends our side too.
        end.ended = true
        end.conn?.end()
      },
      close: (error) => {
        end.closed = true
        if (error) end.error = error
      },
    }
  }

  #transmit(to: 0 | 1, sent: Buffer): void {
    const f = this.#faults
    const bytes = this.rewrite?.(to, sent) ?? sent
    this.sizes.push(bytes.length)
    if (f.mtu !== undefined && bytes.length > f.mtu) {
      this.oversized.push(bytes)
      return
    }
    if (this.drop?.(to, bytes)) return
    if (this.#rand() < (f.loss ?? 0)) return
    const copies = this.#rand() < (f.duplicate ?? 0) ? 2 : 1
    let start = this.now
    if (f.rate) {
      start = Math.max(this.now, this.busyUntil[to]!) + bytes.length / f.rate
      this.busyUntil[to] = start
    }
    for (let c = 0; c < copies; c++) {
      let delay = start - this.now + (f.delayMs ?? 1)
      if (this.#rand() < (f.reorder ?? 0)) delay += this.#rand() * (f.jitterMs ?? 5)
      this.#queue.push({ at: this.now + delay, to, bytes })
    }
  }

  /** Delivers a datagram straight to end `to` (for hostile input). */
  inject(to: 0 | 1, bytes: Uint8Array): void {
    this.#queue.push({ at: this.now, to, bytes: Buffer.from(bytes) })
  }

  /** Runs every event due up to virtual time `time` (or `maxSteps`), then sets the clock to `time`. */
  runUntil(time: number, maxSteps?: number): void {
    this.run(() => this.#nextAt() > time, maxSteps)
    this.now = Math.max(this.now, time)
  }

  /** When the next datagram arrives or a connection's timer is due. */
  #nextAt(): number {
    let at = Infinity
    for (const d of this.#queue) at = Math.min(at, d.at)
    for (const e of this.ends) if (e.conn && e.conn.state !== 'closed') at = Math.min(at, e.conn.deadline)
    return at
  }

  /** Runs until `done()` or `maxSteps`; returns the number of steps taken. */
  run(done: () => boolean, maxSteps = 2_000_000): number {
    let steps = 0
    while (!done() && steps < maxSteps) {
      steps++
      this.#queue.sort((a, b) => a.at - b.at)
      const when = this.#nextAt()
      if (when === Infinity) break
      this.now = Math.max(this.now, when)
      const due: InFlight[] = []
      while (this.#queue.length > 0 && this.#queue[0]!.at <= this.now) due.push(this.#queue.shift()!)
      for (const d of due) this.#deliver(d)
      for (const e of this.ends) {
        e.conn?.tick()
        e.conn?.flush()
      }
    }
    return steps
  }

  #deliver(d: InFlight): void {
    this.delivered++
    let p: ReturnType<typeof decodePacket>
    try {
      p = decodePacket(d.bytes)
    } catch {
      this.undecodable++
      return
    }
    const end = this.ends[d.to]
    if (!end.conn && d.to === 1 && p.type === PacketType.SYN) {
      end.conn = UtpConnection.accept(p, this.#handlers(1), this.#connOptions())
      return
    }
    if (!end.conn) return
    if (p.connectionId !== end.conn.recvId && p.type !== PacketType.SYN) return
    end.conn.receive(p)
  }
}

/** Writes `data` into end `i` with backpressure, then ends it. */
export function pumpSimLink(link: SimLink, i: 0 | 1, data: Uint8Array, chunk = 16_384): void {
  let offset = 0
  const more = () => {
    const conn = link.ends[i].conn!
    while (offset < data.length) {
      const ok = conn.write(data.subarray(offset, offset + chunk))
      offset += chunk
      if (!ok) return
    }
    conn.end()
  }
  link.onDrain[i] = more
  if (i === 0) link.onConnect = more
  else more()
}
