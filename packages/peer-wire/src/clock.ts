/**
 * The time source and timers of a wire and its extensions. The default is the system's; a simulator
 * passes a virtual one so that a run depends on nothing but its inputs.
 */
export interface WireClock {
  /** Milliseconds on a monotonic-enough scale (only differences are used). */
  now(): number
  /** Calls `fn` once after `ms`; the timer must not keep the process alive. */
  setTimeout(fn: () => void, ms: number): unknown
  /** Cancels a timer of {@link WireClock.setTimeout} (undefined is ignored). */
  clearTimeout(timer: unknown): void
}

/** The system clock: `Date.now` and unref'd Node timers. */
export const systemClock: WireClock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return t
  },
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout> | undefined),
}
