/** Slack in seconds allowed between the gateway's and our clock (RFC 6887 8.5: 2 s). */
const SLACK_S = 2

/**
 * Detects a gateway that lost its mapping state, from the epoch field of NAT-PMP (RFC 6886 3.6) and
 * PCP (RFC 6887 8.5) replies: the gateway's epoch must advance like our own clock, within 1/16 plus
 * 2 seconds either way. A hostile or rebooted gateway only ever makes {@link observe} return true.
 */
export class EpochTracker {
  #last: { epoch: number; atMs: number } | undefined

  /**
   * Records `epoch` seen at `nowMs`; true when it is inconsistent with the previous one (the gateway
   * restarted or is lying, and every mapping must be made again).
   */
  observe(epoch: number, nowMs: number): boolean {
    const last = this.#last
    this.#last = { epoch, atMs: nowMs }
    if (!last) return false
    const clientDelta = Math.max(0, (nowMs - last.atMs) / 1000)
    const serverDelta = epoch - last.epoch
    if (serverDelta < 0) return true
    return (
      clientDelta + SLACK_S < serverDelta - serverDelta / 16 ||
      serverDelta + SLACK_S < clientDelta - clientDelta / 16
    )
  }
}
