/**
 * The stops of a torrent's timers (its periodic work, web seeds' retries), run once when it stops
 * (internal). A stop added after that runs at once, so a timer started late never outlives the torrent.
 */
export class TimerStops {
  #stops: (() => void)[] | undefined = []

  /** Runs `stop` when the torrent stops (at once if it already has). */
  add(stop: () => void): void {
    if (this.#stops) this.#stops.push(stop)
    else stop()
  }

  /** Runs every stop added, once. */
  runAll(): void {
    const stops = this.#stops ?? []
    this.#stops = undefined
    for (const stop of stops) stop()
  }
}
