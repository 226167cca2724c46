import { SEND_BUFFER_BYTES, SimNetwork, VirtualClock } from '@p2p/sim'
import type { TransportStream } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'

const BLOCK = 16_384

/** Runs the clock to the end, letting the streams' callbacks run between events. */
async function run(clock: VirtualClock): Promise<void> {
  while (clock.runNext()) await new Promise((r) => setImmediate(r))
}

/**
 * A connection from A (16 384 B/s up: a block takes 1 s) to B, both 5 ms from the network: what B
 * reads, with the virtual time it read it.
 */
async function connected(): Promise<{
  clock: VirtualClock
  a: TransportStream
  reads: { at: number; bytes: Buffer }[]
  ended: () => number | undefined
}> {
  const clock = new VirtualClock()
  const net = new SimNetwork(clock)
  net.setLink('A', { latencyMs: 5, bytesPerSecond: BLOCK })
  net.setLink('B', { latencyMs: 5, bytesPerSecond: 10_000_000 })
  const reads: { at: number; bytes: Buffer }[] = []
  let endedAt: number | undefined
  net.listen('B', 1, (b) => {
    b.on('data', (bytes: Buffer) => reads.push({ at: clock.now(), bytes }))
    b.on('end', () => {
      endedAt = clock.now()
    })
  })
  const a = net.connect('A', { host: 'B', port: 1 })
  await new Promise<void>((resolve) => {
    a.once('connect', () => resolve())
    void run(clock)
  })
  return { clock, a, reads, ended: () => endedAt }
}

/** A buffer of `length` bytes all `value`. */
const filled = (length: number, value: number) => Buffer.alloc(length, value)

describe('SimNetwork delivery', () => {
  it('makes each block of a corked burst readable when its own last byte has crossed the link', async () => {
    const { clock, a, reads } = await connected()
    const t0 = clock.now()
    a.cork()
    for (let k = 1; k <= 4; k++) a.write(filled(BLOCK, k))
    a.uncork()
    await run(clock)
    // Block k has crossed after k seconds of the link, plus 10 ms of latency (not all at 4 s).
    expect(reads.map((r) => r.bytes.length)).toEqual([BLOCK, BLOCK, BLOCK, BLOCK])
    for (const [k, r] of reads.entries()) {
      expect(r.bytes.every((x) => x === k + 1)).toBe(true)
      expect(r.at - t0).toBeCloseTo((k + 1) * 1000 + 10, 6)
    }
  })

  it('reads a run of small messages sharing a TCP segment at once, and one before a block first', async () => {
    const { clock, a, reads } = await connected()
    const t0 = clock.now()
    a.cork()
    for (let k = 0; k < 20; k++) a.write(filled(9, 1)) // 20 HAVEs: 180 bytes, one segment
    a.write(filled(BLOCK, 2))
    a.uncork()
    await run(clock)
    expect(reads.map((r) => r.bytes.length)).toEqual([180, BLOCK])
    expect(reads[0]!.at - t0).toBeCloseTo((180 / BLOCK) * 1000 + 10, 6)
    expect(reads[1]!.at - t0).toBeCloseTo(((180 + BLOCK) / BLOCK) * 1000 + 10, 6)
  })

  it('keeps the order of bursts and ends the stream after the data sent before it', async () => {
    const { clock, a, reads, ended } = await connected()
    a.write(filled(BLOCK, 1))
    a.cork()
    a.write(filled(5, 2))
    a.write(filled(BLOCK, 3))
    a.uncork()
    a.write(filled(3, 4))
    a.end()
    await run(clock)
    const all = Buffer.concat(reads.map((r) => r.bytes))
    expect(all).toEqual(Buffer.concat([filled(BLOCK, 1), filled(5, 2), filled(BLOCK, 3), filled(3, 4)]))
    for (let k = 1; k < reads.length; k++) expect(reads[k]!.at).toBeGreaterThanOrEqual(reads[k - 1]!.at)
    expect(ended()).toBeGreaterThanOrEqual(reads.at(-1)!.at)
  })

  it('holds writes beyond the send buffer: write returns false and drain comes when the link took them', async () => {
    const { clock, a, reads } = await connected()
    const t0 = clock.now()
    const total = SEND_BUFFER_BYTES + 4 * BLOCK
    let drainedAt: number | undefined
    a.on('drain', () => {
      drainedAt = clock.now()
    })
    const accepted: boolean[] = []
    for (let k = 0; k < total / BLOCK; k++) accepted.push(a.write(filled(BLOCK, k & 255)))
    // The first write went to the link; the rest wait in the stream until the send buffer has room.
    expect(accepted.at(-1)).toBe(false)
    expect(a.writableLength).toBeGreaterThan(0)
    await run(clock)
    expect(Buffer.concat(reads.map((r) => r.bytes)).length).toBe(total)
    // Drained once at most a send buffer was left queued on the link: not before 4 blocks had left.
    expect(drainedAt).toBeDefined()
    expect(drainedAt! - t0).toBeGreaterThanOrEqual(4 * 1000 - 1e-6)
    expect(a.writableLength).toBe(0)
  })

  it('delivers what a link finishes together in one event: a HAVE to each of five connections', async () => {
    const clock = new VirtualClock()
    const net = new SimNetwork(clock)
    net.setLink('A', { latencyMs: 5, bytesPerSecond: BLOCK })
    const reads: number[] = []
    const streams: TransportStream[] = []
    for (let k = 0; k < 5; k++) {
      net.listen(`B${k}`, 1, (b) => b.on('data', () => reads.push(clock.now())))
      streams.push(net.connect('A', { host: `B${k}`, port: 1 }))
    }
    await run(clock)
    const t0 = clock.now()
    for (const a of streams) a.write(filled(9, 1))
    let events = 0
    while (clock.runNext()) {
      events++
      await new Promise((r) => setImmediate(r))
    }
    // The uplink shares its rate: all five leave at 5 x 9 bytes' time; one event for the link, one to deliver.
    expect(reads).toHaveLength(5)
    for (const at of reads) expect(at - t0).toBeCloseTo(((5 * 9) / BLOCK) * 1000 + 10, 6)
    expect(events).toBe(2)
  })
})
