import type { DhtClock } from './transport.js'

interface Timer {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/**
 * A virtual clock for simulations: timers run in time order when {@link VirtualClock.advance}
 * moves time forward, with pending promise callbacks flushed between instants.
 */
export class VirtualClock implements DhtClock {
  #now: number
  #seq = 0
  readonly #heap: Timer[] = []

  constructor(start = 0) {
    this.#now = start
  }

  /** Current virtual time (ms). */
  now(): number {
    return this.#now
  }

  /** Timers waiting. */
  get pending(): number {
    return this.#heap.length
  }

  /** Schedules `fn` at `now + ms`. */
  setTimer(fn: () => void, ms: number): () => void {
    const timer: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false }
    this.#push(timer)
    return () => {
      timer.cancelled = true
    }
  }

  /** Runs every timer due within the next `ms`, in order, letting promise callbacks run after each instant. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms
    await flush()
    while (this.#heap.length > 0 && this.#heap[0]!.at <= end) {
      const at = this.#heap[0]!.at
      this.#now = at
      while (this.#heap.length > 0 && this.#heap[0]!.at === at) {
        const t = this.#pop()
        if (!t.cancelled) t.fn()
      }
      await flush()
    }
    this.#now = end
  }

  #push(t: Timer): void {
    const h = this.#heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(h[i]!, h[p]!)) break
      ;[h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
  }

  #pop(): Timer {
    const h = this.#heap
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
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
    }
    return top
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
