/** Target queueing delay in microseconds (BEP 29 "CCONTROL_TARGET", libtorrent's utp_target_delay). */
export const TARGET_DELAY_US = 100_000
/** Most the window grows per RTT at zero queueing delay, in bytes (libtorrent's utp_gain_factor). */
export const MAX_CWND_INCREASE_BYTES_PER_RTT = 3000
/** Window cut on loss (BEP 29: "max_window is multiplied by 0.5"). */
export const LOSS_MULTIPLIER = 0.5
/** Cuts on loss are at most this often (libtorrent's utp_cwnd_reduce_timer). */
export const CWND_REDUCE_INTERVAL_MS = 100

/**
 * LEDBAT (RFC 6817) window control as libtorrent applies it: the window grows in proportion to how far
 * the measured queueing delay is below the target and shrinks when above it; slow start doubles it per
 * RTT (never faster) until the window passes the threshold, or the delay reaches the target (then it
 * halves, unlike libtorrent, to drop the overshoot); loss halves it, a timeout drops it to one packet.
 * The window only grows while the sender actually fills it.
 */
export class Ledbat {
  /** Congestion window in bytes. */
  cwnd: number
  /** Slow-start threshold in bytes (0: none yet). */
  ssthresh = 0
  /** Whether slow start is on. */
  slowStart = true
  /** Payload bytes of a full packet: the least window; it grows when MTU probing finds larger packets. */
  mss: number
  readonly #target: number
  #nextCut = -Infinity

  constructor(mss: number, targetDelayUs = TARGET_DELAY_US) {
    this.mss = mss
    this.#target = Math.max(1, targetDelayUs)
    this.cwnd = 2 * mss
  }

  /**
   * Updates the window for `acked` bytes acked out of `inFlight` bytes that were in flight, with the
   * current queueing delay `delayUs`; `saturated` says the sender was limited by the window.
   */
  onAck(acked: number, inFlight: number, delayUs: number, saturated: boolean): void {
    if (inFlight <= 0 || acked <= 0) return
    if (delayUs >= this.#target && this.slowStart) {
      // The sample that reached the target left while the window was at most half of what slow start
      // has grown it to since (it adds the acked bytes, doubling per RTT): go back to that half, or the
      // overshoot queues twice the target and the linear decrease (one gain per RTT) takes tens of seconds.
      this.cwnd = Math.max(this.cwnd / 2, this.mss)
      this.ssthresh = this.cwnd
      this.slowStart = false
    }
    const windowFactor = acked / inFlight
    const delayFactor = (this.#target - delayUs) / this.#target
    const linear = windowFactor * delayFactor * MAX_CWND_INCREASE_BYTES_PER_RTT
    let gain = linear
    if (this.slowStart && saturated) {
      if (this.ssthresh !== 0 && this.cwnd + acked > this.ssthresh) this.slowStart = false
      else gain = Math.max(acked, linear)
    }
    // As libtorrent: the window grows only while it is in use, but shrinks whenever the delay is
    // above target (a flow held back by the receive window or the application must still yield).
    if (gain > 0 && !saturated) return
    this.cwnd = Math.max(0, this.cwnd + gain)
  }

  /** A packet was lost (duplicate or selective acks): halve the window, at most once per interval. */
  onLoss(now: number): void {
    if (now < this.#nextCut) return
    this.#nextCut = now + CWND_REDUCE_INTERVAL_MS
    this.cwnd = Math.max(this.cwnd * LOSS_MULTIPLIER, this.mss)
    this.ssthresh = this.cwnd
    this.slowStart = false
  }

  /** A retransmission timeout: one packet, then slow start again up to the threshold. */
  onTimeout(idle: boolean): void {
    this.cwnd = idle ? Math.max((this.cwnd * 2) / 3, this.mss) : this.mss
    this.slowStart = true
  }
}
