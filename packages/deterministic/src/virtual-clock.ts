interface Timer {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/**
 * Virtual time for simulations: `now()` moves only when the clock is driven, either one timer at a
 * time ({@link VirtualClock.runNext}, for a loop that owns the schedule) or by a span of time with
 * promise callbacks flushed after each instant ({@link VirtualClock.advance}, for async code).
 * Timers due at the same time run in the order they were set, so a run depends only on its inputs.
 *
 * It offers both timer styles the toolkit's cores take: `setTimeout`/`clearTimeout` (peer-wire's
 * `WireClock`) and `setTimer` returning a cancel function (the DHT's `DhtClock`).
 *
 * @example
 * ```ts
 * const clock = new VirtualClock()
 * clock.setTimeout(() => console.log(clock.now()), 50) // prints 50
 * while (clock.runNext()) {}
 * ```
 */
export class VirtualClock {
  #now: number
  #seq = 0
  /** Binary min-heap on (at, seq). */
  readonly #heap: Timer[] = []

  /** A clock at `start` ms (default 0). */
  constructor(start = 0) {
    this.#now = start
  }

  /** Current virtual time (ms). */
  now(): number {
    return this.#now
  }

  /** Timers in the queue (cancelled ones included until the clock reaches them). */
  get pending(): number {
    return this.#heap.length
  }

  /** Runs `fn` once, `ms` of virtual time from now; the handle is for {@link VirtualClock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown {
    const t: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false }
    this.#push(t)
    return t
  }

  /** Cancels a timer of {@link VirtualClock.setTimeout} (anything else is ignored). */
  clearTimeout(timer: unknown): void {
    if (timer && typeof timer === 'object' && 'cancelled' in timer) (timer as Timer).cancelled = true
  }

  /** Schedules `fn` at `now + ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void {
    const timer = this.setTimeout(fn, ms) as Timer
    return () => {
      timer.cancelled = true
    }
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

  /** Runs every timer due within the next `ms`, in order, letting promise callbacks run after each instant. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms
    await flush()
    while (this.#heap.length > 0 && this.#heap[0]!.at <= end) {
      const at = this.#heap[0]!.at
      this.#now = at
      while (this.#heap.length > 0 && this.#heap[0]!.at === at) {
        const t = this.#pop()!
        if (!t.cancelled) t.fn()
      }
      await flush()
    }
    this.#now = end
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

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
