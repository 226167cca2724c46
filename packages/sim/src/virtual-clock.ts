import type { WireClock } from '@p2p/peer-wire'

interface Timer {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/**
 * Virtual time: `now()` moves only when {@link VirtualClock.runNext} takes the earliest timer.
 * Timers due at the same time run in the order they were set, so a run depends only on its inputs.
 * Implements the `WireClock` the swarm and its wires take.
 */
export class VirtualClock implements WireClock {
  #now = 0
  #seq = 0
  /** Binary min-heap on (at, seq). */
  readonly #heap: Timer[] = []

  /** Virtual milliseconds since the start. */
  now(): number {
    return this.#now
  }

  /** Runs `fn` once, `ms` of virtual time from now. */
  setTimeout(fn: () => void, ms: number): unknown {
    const t: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false }
    this.#push(t)
    return t
  }

  /** Cancels a timer of {@link VirtualClock.setTimeout}. */
  clearTimeout(timer: unknown): void {
    if (timer && typeof timer === 'object' && 'cancelled' in timer) (timer as Timer).cancelled = true
  }

  /** Time of the earliest pending timer, or undefined when none is left. */
  nextAt(): number | undefined {
    this.#skipCancelled()
    return this.#heap[0]?.at
  }

  /** Moves time to the earliest pending timer and runs it; false when none is left. */
  runNext(): boolean {
    this.#skipCancelled()
    const t = this.#pop()
    if (!t) return false
    this.#now = t.at
    t.fn()
    return true
  }

  #skipCancelled(): void {
    while (this.#heap[0]?.cancelled) this.#pop()
  }

  #push(t: Timer): void {
    const h = this.#heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(h[i]!, h[parent]!)) break
      ;[h[i], h[parent]] = [h[parent]!, h[i]!]
      i = parent
    }
  }

  #pop(): Timer | undefined {
    const h = this.#heap
    const top = h[0]
    const last = h.pop()
    if (!top || !last || h.length === 0) return top
    h[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && before(h[l]!, h[m]!)) m = l
      if (r < h.length && before(h[r]!, h[m]!)) m = r
      if (m === i) break
      ;[h[i], h[m]] = [h[m]!, h[i]!]
      i = m
    }
    return top
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}
