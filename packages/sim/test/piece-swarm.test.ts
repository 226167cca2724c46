import { type PieceHost, PieceSwarm, type PieceSwarmOptions, type PieceSwarmResult } from '@p2p/sim'
import { describe, expect, it } from 'vitest'

const KIB = 1024
/** Three access-link classes, drawn per leecher (bytes/s). */
const CLASSES: PieceHost[] = [
  { up: 16_000, down: 98_000, latencyMs: 40 },
  { up: 48_000, down: 187_500, latencyMs: 20 },
  { up: 125_000, down: 375_000, latencyMs: 10 },
]
const SEEDER: PieceHost = { up: 625_000, down: 1_250_000, latencyMs: 20 }

function options(over: Partial<PieceSwarmOptions> = {}): PieceSwarmOptions {
  return {
    seed: 5,
    size: 32 * 64 * KIB,
    pieces: 32,
    leechers: 50,
    seeders: [SEEDER],
    leecherLink: (_i, random) => ({ ...CLASSES[Math.floor(random() * CLASSES.length)]! }),
    arrivals: { kind: 'flash' },
    sampleMs: 5_000,
    ...over,
  }
}

/** Kumar and Ross's fluid bound (ms) on the time until every leecher has the file. */
function fluidBoundMs(r: PieceSwarmResult, size: number, seederUp: number): number {
  const n = r.up.length
  const upAll = seederUp + r.up.reduce((a, b) => a + b, 0)
  return 1000 * Math.max(size / seederUp, size / Math.min(...r.down), (n * size) / upAll)
}

const sum = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0)

describe('PieceSwarm', () => {
  it('runs a flash crowd to the end: every leecher has every piece, bytes sent = bytes received, never faster than the fluid bound', () => {
    const o = options()
    const r = new PieceSwarm(o).run()
    expect(r.stopped).toBeUndefined()
    expect([...r.doneAt].filter((t) => Number.isNaN(t))).toEqual([])
    expect(r.pieces).toBe(50 * 32)
    // Every byte one peer sent, another received; each leecher received at least the file.
    expect(sum(r.downloaded)).toBeCloseTo(sum(r.uploaded) + r.seederUploaded, -2)
    for (const d of r.downloaded) expect(d).toBeGreaterThanOrEqual(o.size)
    expect(sum(r.downloaded) - r.wasted).toBeCloseTo(50 * o.size, -2)
    // The seeder sent every piece at least once; leechers did most of the work.
    expect(r.seederUploaded).toBeGreaterThanOrEqual(o.size)
    expect(sum(r.uploaded)).toBeGreaterThan(r.seederUploaded)
    expect(r.completion).toBeGreaterThanOrEqual(fluidBoundMs(r, o.size, SEEDER.up))
    for (let i = 0; i < 50; i++) {
      expect(r.firstPieceAt[i]).toBeLessThanOrEqual(r.doneAt[i]!)
      expect(r.doneAt[i]! - r.arriveAt[i]!).toBeGreaterThanOrEqual((1000 * o.size) / r.down[i]!)
    }
    expect(r.availability.at(-1)?.min).toBe(1)
    expect(r.traces.length).toBe(20)
  })

  it('is deterministic: the same seed gives the same run, another seed another schedule', () => {
    const a = new PieceSwarm(options()).run()
    const b = new PieceSwarm(options()).run()
    expect([...b.doneAt]).toEqual([...a.doneAt])
    expect(b.events).toBe(a.events)
    expect([...b.uploaded]).toEqual([...a.uploaded])
    const c = new PieceSwarm(options({ seed: 6 })).run()
    expect([...c.doneAt]).not.toEqual([...a.doneAt])
  })

  it('with Poisson arrivals and churn, some leave unfinished and every one that stays finishes', () => {
    const r = new PieceSwarm(
      options({
        leechers: 40,
        arrivals: { kind: 'poisson', windowMs: 60_000 },
        churn: { leave: 0.4, leaveMeanMs: 10_000, seedMeanMs: 10_000 },
      }),
    ).run()
    expect(r.stopped).toBeUndefined()
    let unfinished = 0
    for (let i = 0; i < 40; i++) {
      if (Number.isNaN(r.doneAt[i]!)) {
        unfinished++
        expect(r.leftAt[i]).not.toBeNaN()
      }
    }
    expect(unfinished).toBeGreaterThan(0)
    expect(unfinished).toBeLessThan(40)
    expect(new Set(r.arriveAt).size).toBe(40)
    // Finished leechers seed for a while and leave too.
    expect([...r.leftAt.keys()].some((i) => !Number.isNaN(r.doneAt[i]!) && !Number.isNaN(r.leftAt[i]!))).toBe(
      true,
    )
  })

  it('downloads faster with more seeders', () => {
    const one = new PieceSwarm(options({ seed: 9 })).run()
    const four = new PieceSwarm(options({ seed: 9, seeders: [SEEDER, SEEDER, SEEDER, SEEDER] })).run()
    const mean = (r: PieceSwarmResult) => sum(r.doneAt) / r.doneAt.length
    expect(mean(four)).toBeLessThan(mean(one))
  })

  it('runs 1,000 leechers to the end', () => {
    const r = new PieceSwarm(
      options({ leechers: 1_000, size: 8 * 256 * KIB, pieces: 8, numwant: 30, maxConnections: 30 }),
    ).run()
    expect(r.stopped).toBeUndefined()
    expect(r.pieces).toBe(1_000 * 8)
    expect(r.completion).toBeGreaterThanOrEqual(fluidBoundMs(r, 8 * 256 * KIB, SEEDER.up))
  }, 60_000)

  it('rejects impossible files', () => {
    expect(() => new PieceSwarm(options({ pieces: 0 }))).toThrow(RangeError)
    expect(() => new PieceSwarm(options({ seeders: [] }))).toThrow(RangeError)
  })
})
