import type { VirtualClock } from './virtual-clock.js'

interface Chunk {
  /** Bytes still to send. */
  left: number
  /** Called with the virtual time the chunk's last byte left. */
  sent: (at: number) => void
}

/** Bytes below which a chunk counts as sent (float rounding of the shares). */
const EPSILON = 1e-6

/**
 * A host's upload link shared fairly by its connections (processor sharing, what a TCP uplink with
 * per-flow queueing gives): each connection with data queued gets an equal share of the rate and
 * sends its own chunks in order, so a connection's control message does not wait behind another
 * connection's blocks. One scheduled event per transmission: the earliest chunk to finish.
 */
export class FairUplink {
  readonly #clock: VirtualClock
  readonly #bytesPerMs: number
  /** Queued chunks per connection, in the order the connections became busy. */
  readonly #flows = new Map<object, Chunk[]>()
  #updatedAt = 0
  #timer: unknown

  constructor(clock: VirtualClock, bytesPerSecond: number) {
    this.#clock = clock
    this.#bytesPerMs = bytesPerSecond / 1000
  }

  /** Queues `bytes` of connection `flow`; `sent` gets the time its last byte leaves the link. */
  send(flow: object, bytes: number, sent: (at: number) => void): void {
    this.#advance()
    const queue = this.#flows.get(flow)
    if (queue) queue.push({ left: bytes, sent })
    else if (bytes <= EPSILON) {
      sent(this.#clock.now())
      return
    } else this.#flows.set(flow, [{ left: bytes, sent }])
    this.#schedule()
  }

  /** Takes the bytes each busy connection sent since the last update off its first chunk. */
  #advance(): void {
    const now = this.#clock.now()
    const busy = this.#flows.size
    if (busy > 0) {
      const share = ((now - this.#updatedAt) * this.#bytesPerMs) / busy
      for (const queue of this.#flows.values()) queue[0]!.left -= share
    }
    this.#updatedAt = now
  }

  #schedule(): void {
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#flows.size === 0) return
    let least = Number.POSITIVE_INFINITY
    for (const queue of this.#flows.values()) least = Math.min(least, queue[0]!.left)
    const ms = (Math.max(0, least) * this.#flows.size) / this.#bytesPerMs
    this.#timer = this.#clock.setTimeout(() => this.#finish(), ms)
  }

  /**
   * Completes every chunk whose last byte has left (and empty chunks queued right behind one). The
   * callbacks run once the queues are settled: they may send again.
   */
  #finish(): void {
    this.#timer = undefined
    this.#advance()
    const now = this.#clock.now()
    const done: ((at: number) => void)[] = []
    for (const [flow, queue] of this.#flows) {
      while (queue.length > 0 && queue[0]!.left <= EPSILON) done.push(queue.shift()!.sent)
      if (queue.length === 0) this.#flows.delete(flow)
    }
    this.#schedule()
    for (const sent of done) sent(now)
  }
}
