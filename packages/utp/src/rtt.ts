/** The retransmission timeout before any RTT sample (BEP 29 "timeouts": 1000 ms). */
export const INITIAL_RTO_MS = 1000
/** The floor of the retransmission timeout (BEP 29: "the minimum timeout for a packet is 1/2 second"). */
export const MIN_RTO_MS = 500
/** The ceiling of a backed-off timeout. */
export const MAX_RTO_MS = 60_000

/** RTT and RTT variance of BEP 29, updated from packets acked after a single transmission. */
export class RttEstimator {
  #rtt = 0
  #rttVar = 0
  #sampled = false

  /** Smoothed round-trip time in ms (0 before the first sample). */
  get rtt(): number {
    return this.#rtt
  }

  /** `max(rtt + 4 * rtt_var, 500)`, or 1000 ms before the first sample. */
  get rto(): number {
    if (!this.#sampled) return INITIAL_RTO_MS
    return Math.max(this.#rtt + 4 * this.#rttVar, MIN_RTO_MS)
  }

  /** Feeds one sample (ms). */
  sample(packetRtt: number): void {
    if (!this.#sampled) {
      this.#sampled = true
      this.#rtt = packetRtt
      this.#rttVar = packetRtt / 2
      return
    }
    const delta = this.#rtt - packetRtt
    this.#rttVar += (Math.abs(delta) - this.#rttVar) / 4
    this.#rtt += (packetRtt - this.#rtt) / 8
  }
}
