import { readFile } from 'node:fs/promises'
import {
  DEFAULT_LINK_MODEL,
  downloadTimes,
  drawLink,
  fluidBound,
  MEASURED_CAPACITIES,
  mathisRate,
  PIECE_MODEL_ABOVE,
  runSimulation,
  type SimSwarmSpec,
  simBound,
  simulateSwarm,
} from '@p2p/lab'
import { tempDir } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../src/random.js'

const KIB = 1024
/** 8 leechers of a 512 KiB file in 16 pieces, 1 MB/s up and 2 MB/s down each, 5 ms to the network. */
const small: SimSwarmSpec = {
  run: 'test/flash',
  seed: 7,
  leechers: 8,
  seeders: 1,
  size: 512 * KIB,
  pieces: 16,
  arrivals: 'flash',
  links: { caps: { up: 1_000_000, down: 2_000_000 }, latencyMs: 5 },
  seederLink: { latencyMs: 5, loss: 0, bytesPerSecond: 1_000_000, downBytesPerSecond: 2_000_000 },
  sampleMs: 100,
}

describe('drawLink', () => {
  it('draws the measured classes in their shares, with loss lowering the upload', () => {
    const random = seededRandom(3)
    const counts = new Map<number, number>()
    for (let i = 0; i < 20_000; i++) {
      const l = drawLink({ ...DEFAULT_LINK_MODEL, loss: [0, 0] }, random)
      counts.set(l.downBytesPerSecond, (counts.get(l.downBytesPerSecond) ?? 0) + 1)
      expect(l.latencyMs).toBeGreaterThanOrEqual(10)
      expect(l.latencyMs).toBeLessThanOrEqual(100)
    }
    for (const c of MEASURED_CAPACITIES)
      expect((counts.get((c.downKbps * 1000) / 8) ?? 0) / 20_000).toBeCloseTo(c.share, 1)
    const lossy = drawLink(
      { ...DEFAULT_LINK_MODEL, classes: [MEASURED_CAPACITIES[3]!], loss: [0.05, 0.05] },
      random,
    )
    expect(lossy.bytesPerSecond).toBeLessThan((5_000 * 1000) / 8)
  })
  it('follows the Mathis formula', () => {
    expect(mathisRate(100, 0.01)).toBeCloseTo((1460 / 0.1) * (Math.sqrt(1.5) / 0.1))
    expect(mathisRate(100, 0)).toBe(Number.POSITIVE_INFINITY)
  })
})

describe('simulateSwarm', () => {
  it('runs a flash crowd of real clients to the end, never faster than the fluid bound, the same way twice', async () => {
    const a = await simulateSwarm(small)
    expect(a.stopped).toBeUndefined()
    expect(downloadTimes(a)).toHaveLength(8)
    const bound =
      fluidBound({
        size: small.size,
        seederUp: [1e6],
        leecherDown: new Array(8).fill(2e6),
        leecherUp: new Array(8).fill(1e6),
      }) * 1000
    expect(a.completion).toBeGreaterThanOrEqual(bound)
    // Every piece left the seeder at least once; every leecher got its first piece before it finished.
    expect(a.seederUploaded).toBeGreaterThanOrEqual(small.size)
    for (let i = 0; i < 8; i++) expect(a.firstPieceAt[i]).toBeLessThanOrEqual(a.doneAt[i]!)
    expect(a.availability.at(-1)?.min).toBe(1)
    const b = await simulateSwarm(small)
    expect([...b.doneAt]).toEqual([...a.doneAt])
    expect(b.events).toBe(a.events)
  })

  it('with Poisson arrivals and churn, some leave unfinished and every one that stays finishes', async () => {
    const r = await simulateSwarm({
      ...small,
      run: 'test/poisson',
      leechers: 12,
      arrivals: 'poisson',
      arrivalWindowMs: 2_000,
      churn: { leave: 0.5, leaveMeanMs: 300, seedMeanMs: 500 },
    })
    expect(r.stopped).toBeUndefined()
    const left = [...r.leftAt.keys()].filter((i) => !Number.isNaN(r.leftAt[i]!) && Number.isNaN(r.doneAt[i]!))
    expect(left.length).toBeGreaterThan(0)
    for (let i = 0; i < 12; i++) if (!left.includes(i)) expect(r.doneAt[i]).not.toBeNaN()
    expect(new Set(r.arriveAt).size).toBeGreaterThan(1)
  })
})

describe('runSimulation', () => {
  it('writes the report with every simulation chart and sampled events', async () => {
    const dir = await tempDir('p2p-lab-sim-')
    try {
      const notes: string[] = []
      const lines: string[] = []
      const r = await runSimulation({
        peers: [4, 6],
        size: 256 * KIB,
        pieces: 8,
        seeders: [1, 2],
        out: dir.path,
        pdf: false,
        command: 'test',
        onNote: (l) => notes.push(l),
        onLine: (l) => lines.push(l),
      })
      // The speed-against-seeders runs are made for every N.
      expect(r.runs.map((x) => x.run)).toEqual([
        'sim/flash/N=4',
        'sim/poisson/N=4',
        'sim/flash/N=6',
        'sim/poisson/N=6',
        'sim/flash/N=4/S=2',
        'sim/flash/N=6/S=2',
      ])
      for (const n of [4, 6])
        expect(lines).toContainEqual(
          expect.stringMatching(new RegExp(`^speed against seeders, N = ${n}: 2 seeders \\d+\\.\\d\\dx`)),
        )
      expect(notes.some((l) => l.includes('events/s'))).toBe(true)
      const html = await readFile(r.reportPath, 'utf8')
      for (const id of [
        'sim-completion',
        'sim-cdf',
        'sim-seeders-speed',
        'sim-upload-share',
        'sim-availability-0',
      ])
        expect(html).toMatch(new RegExp(`data-chart="${id}" data-points="[1-9]`))
      expect(html).toContain('Saroiu')
      const events = (await readFile(r.eventsPath, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(events.filter((e) => e.type === 'run-start')).toHaveLength(6)
      expect(events.some((e) => e.type === 'availability')).toBe(true)
    } finally {
      await dir.remove()
    }
  })
  it(`runs N above ${PIECE_MODEL_ABOVE} on the piece-level model and says so in the report`, async () => {
    const dir = await tempDir('p2p-lab-sim-piece-')
    try {
      const n = PIECE_MODEL_ABOVE + 50
      const r = await runSimulation({
        peers: [6, n],
        size: 1024 * KIB,
        pieces: 16,
        arrivals: ['flash'],
        seeders: [1],
        out: dir.path,
        pdf: false,
        command: 'test',
      })
      expect(r.runs.map((x) => [x.run, x.model])).toEqual([
        ['sim/flash/N=6', 'wire'],
        [`sim/flash/N=${n}`, 'piece'],
      ])
      const big = r.runs[1]!
      expect(big.stopped).toBeUndefined()
      expect(downloadTimes(big)).toHaveLength(n)
      expect(big.verifiedPieces).toBe(n * 16)
      expect(big.completion).toBeGreaterThanOrEqual(simBound(big, 1024 * KIB))
      expect(r.lines[1]).toContain(`sim/flash/N=${n} (piece model)`)
      const html = await readFile(r.reportPath, 'utf8')
      expect(html).toContain(`Piece-level model (N = ${n}, every N above ${PIECE_MODEL_ABOVE})`)
      expect(html).toContain('Full clients (N = 6)')
    } finally {
      await dir.remove()
    }
  })
  it('rejects bad sizes', async () => {
    await expect(runSimulation({ peers: [0] })).rejects.toMatchObject({ code: 'LAB_BAD_OPTION' })
    await expect(runSimulation({ pieces: 1 })).rejects.toMatchObject({ code: 'LAB_BAD_OPTION' })
  })
})
