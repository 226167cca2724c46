/**
 * The runtime's invariant checks of one torrent (`SwarmRuntime.checks`, for simulators and tests):
 * whether they run, and the first inconsistency they found (see `Torrent.checkInvariants`).
 */
export class InvariantChecks {
  /** Whether the checks run (they cost time on hot paths). */
  readonly enabled: boolean
  #violation: string | undefined

  constructor(enabled: boolean) {
    this.enabled = enabled
  }

  /** The first inconsistency recorded, if any. */
  get violation(): string | undefined {
    return this.#violation
  }

  /** Records a broken invariant; the first one recorded is kept. */
  record(message: string): void {
    this.#violation ??= message
  }
}
