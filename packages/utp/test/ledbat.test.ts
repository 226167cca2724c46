import {
  DelayHistory,
  Ledbat,
  MAX_CWND_INCREASE_BYTES_PER_RTT,
  pumpSimLink,
  RttEstimator,
  SimLink,
  seqLess,
} from '@p2p/utp'
import { describe, expect, it } from 'vitest'

const MSS = 1380

describe('LEDBAT window control', () => {
  it('slow start adds the acked bytes (doubling per RTT, never faster) while the delay is below target', () => {
    const cc = new Ledbat(MSS)
    cc.cwnd = 100_000
    cc.onAck(100_000, 100_000, 0, true)
    expect(cc.cwnd).toBe(200_000)
    expect(cc.slowStart).toBe(true)
    // A small window grows by the linear gain when that is larger (libtorrent's max of the two).
    const small = new Ledbat(MSS)
    const start = small.cwnd
    small.onAck(start, start, 0, true)
    expect(small.cwnd).toBe(start + Math.max(start, MAX_CWND_INCREASE_BYTES_PER_RTT))
  })

  it('leaves slow start when the delay reaches the target, then shrinks in proportion to it', () => {
    const cc = new Ledbat(MSS)
    cc.cwnd = 100_000
    cc.onAck(10_000, 100_000, 100_000, true)
    expect(cc.slowStart).toBe(false)
    // Back to the half that produced the sample (slow start doubled it since), not kept at 100_000.
    expect(cc.cwnd).toBe(50_000)
    expect(cc.ssthresh).toBe(50_000)
    const before = cc.cwnd
    // Twice the target: off_target = -100 ms, gain = -1 * (acked / inFlight) * 3000.
    cc.onAck(50_000, 100_000, 200_000, true)
    expect(cc.cwnd).toBeCloseTo(before - 0.5 * MAX_CWND_INCREASE_BYTES_PER_RTT)
  })

  it('grows linearly below target after slow start, not at all when the window is not full', () => {
    const cc = new Ledbat(MSS)
    cc.slowStart = false
    cc.cwnd = 50_000
    cc.onAck(50_000, 50_000, 0, true)
    expect(cc.cwnd).toBe(50_000 + MAX_CWND_INCREASE_BYTES_PER_RTT)
    cc.onAck(50_000, 50_000, 0, false)
    expect(cc.cwnd).toBe(50_000 + MAX_CWND_INCREASE_BYTES_PER_RTT)
    // Above target it shrinks even so: a flow held back by the receive window must still yield.
    cc.onAck(50_000, 50_000, 200_000, false)
    expect(cc.cwnd).toBe(50_000)
  })

  it('halves on loss at most once per interval, and drops to one packet on a timeout', () => {
    const cc = new Ledbat(MSS)
    cc.cwnd = 80_000
    cc.onLoss(1000)
    expect(cc.cwnd).toBe(40_000)
    cc.onLoss(1050)
    expect(cc.cwnd).toBe(40_000)
    cc.onLoss(1200)
    expect(cc.cwnd).toBe(20_000)
    cc.onTimeout(false)
    expect(cc.cwnd).toBe(MSS)
    expect(cc.slowStart).toBe(true)
  })
})

describe('base delay and RTT', () => {
  it('keeps the minimum over the last two minutes, across 32-bit wrap-around', () => {
    const h = new DelayHistory()
    expect(h.add(0xffffff00, 0)).toBe(0)
    expect(h.add(0x00000100, 10)).toBe(0x200) // wrapped: 0x200 above the base
    expect(h.add(0xfffffe00, 20)).toBe(0) // a new minimum
    expect(h.base).toBe(0xfffffe00)
    h.add(0x1000, 60_000) // next minute
    h.add(0x1000, 120_000) // the minute with the old minimum leaves the window
    expect(h.base).toBe(0x1000)
  })

  it('computes the BEP 29 timeout: max(rtt + 4 rtt_var, 500 ms), 1000 ms before a sample', () => {
    const rtt = new RttEstimator()
    expect(rtt.rto).toBe(1000)
    for (let i = 0; i < 50; i++) rtt.sample(200)
    expect(rtt.rtt).toBeCloseTo(200)
    expect(rtt.rto).toBeGreaterThanOrEqual(500)
    for (let i = 0; i < 50; i++) rtt.sample(2000)
    expect(rtt.rto).toBeGreaterThan(2000)
  })

  it('orders sequence numbers across the 16-bit wrap', () => {
    expect(seqLess(0xfffe, 1)).toBe(true)
    expect(seqLess(1, 0xfffe)).toBe(false)
    expect(seqLess(5, 5)).toBe(false)
  })
})

describe('queueing delay on a capped link', () => {
  function run(targetDelayUs: number) {
    // 1000 bytes/ms (about 1 MB/s) behind a 20 ms path: a full 1 MiB window would queue for a second.
    const link = new SimLink(3, { delayMs: 20, rate: 1000 }, { targetDelayUs })
    const data = new Uint8Array(3_000_000)
    pumpSimLink(link, 0, data)
    let maxQueueMs = 0
    link.run(() => {
      if (link.now > 2000) maxQueueMs = Math.max(maxQueueMs, link.busyUntil[1]! - link.now)
      return link.ends[0].closed && link.ends[1].closed
    })
    expect(Buffer.concat(link.ends[1].received).length).toBe(data.length)
    return { maxQueueMs, linkTimeS: link.now / 1000 }
  }

  it('keeps the queueing delay near the 100 ms target while still filling the link', () => {
    const { maxQueueMs, linkTimeS } = run(100_000)
    expect(maxQueueMs).toBeLessThan(250)
    // 3 MB at 1 MB/s on the simulated link's virtual clock: close to the link rate despite the small queue.
    expect(linkTimeS).toBeLessThan(4.5)
  })

  it('settles at the target after slow start instead of keeping its overshoot queued', () => {
    // 2000 bytes/ms behind a 1 ms path, as the namespace lab. Slow start doubles the window per RTT and
    // sees the delay one RTT late: it overshoots to twice the window that queues 100 ms. Left there, the
    // linear decrease (3000 bytes per RTT) still queued 170 ms after 5 s and 125 ms after 15 s.
    const link = new SimLink(7, { delayMs: 1, rate: 2000 })
    pumpSimLink(link, 0, new Uint8Array(12_000_000))
    let maxQueueMs = 0
    link.run(() => {
      if (link.now > 2000) maxQueueMs = Math.max(maxQueueMs, link.busyUntil[1]! - link.now)
      return link.now > 5000
    })
    expect(maxQueueMs).toBeLessThan(120)
    // And the link stays full: 5 s at 2000 bytes/ms on the virtual clock, less slow start.
    expect(link.ends[1].conn!.stats.bytesReceived).toBeGreaterThan(0.9 * 2000 * 5000)
  })

  it('queues in proportion to the target (a 400 ms target lets the queue grow past 250 ms)', () => {
    expect(run(400_000).maxQueueMs).toBeGreaterThan(250)
  })
})
