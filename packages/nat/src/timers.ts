/** The clock and timers a long-running object runs on (inject a fake one in tests). */
export interface Timers {
  /** Now, in ms. */
  now(): number
  /** Calls `fn` after `ms`. */
  setTimeout(fn: () => void, ms: number): unknown
  /** Cancels a timer. */
  clearTimeout(handle: unknown): void
}

/** The real clock, with unref'd timers so they never keep the process alive. */
export const REAL_TIMERS: Timers = {
  now: Date.now,
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}
