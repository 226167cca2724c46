const MB = 2 ** 20

/** What a simulation run reports about its own cost: events, virtual and wall time, memory. */
export interface RunCost {
  /** Clock events run. */
  events: number
  virtualMs: number
  wallMs: number
  /** Highest V8 heap in use seen while it ran, MB. */
  peakHeapMB: number
  /** Highest resident set size seen while it ran, MB. */
  peakRssMB: number
  /** Why it ended early, if it did. */
  stopped?: string
}

/** The process's heap and resident set size now, MB, and the wall time since the run started. */
export interface RunSample {
  wallMs: number
  heapMB: number
  rssMB: number
}

/**
 * Measures a simulation run as it goes: wall time since it was made, and the highest heap and RSS
 * of the samples taken (one per progress line; memory is read only when sampled).
 */
export class RunMeter {
  readonly #start = performance.now()
  #peakHeapMB = 0
  #peakRssMB = 0

  /** Reads the wall time and memory now, and keeps the peaks. */
  sample(): RunSample {
    const mem = process.memoryUsage()
    const heapMB = mem.heapUsed / MB
    const rssMB = mem.rss / MB
    this.#peakHeapMB = Math.max(this.#peakHeapMB, heapMB)
    this.#peakRssMB = Math.max(this.#peakRssMB, rssMB)
    return { wallMs: performance.now() - this.#start, heapMB, rssMB }
  }

  /** The run's cost, for its result (takes a last sample). */
  cost(events: number, virtualMs: number, stopped: string | undefined): RunCost {
    const { wallMs } = this.sample()
    return { events, virtualMs, wallMs, peakHeapMB: this.#peakHeapMB, peakRssMB: this.#peakRssMB, stopped }
  }
}
