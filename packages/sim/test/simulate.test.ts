import { simulate } from '@p2p/sim'
import { describe, expect, it } from 'vitest'

/** Seeds run in CI: a mixed fault profile on small torrents (the README shows a longer run). */
const CI_SEEDS = 500

describe('deterministic swarm simulation', () => {
  it(`keeps every invariant and finishes every leecher over ${CI_SEEDS} seeds of mixed faults`, async () => {
    const failed: string[] = []
    for (let seed = 1; seed <= CI_SEEDS; seed++) {
      const r = await simulate({ seed, leechers: 1 + (seed % 2) })
      if (!r.ok) failed.push(`seed ${seed}: ${r.failures.join('; ')} (${r.setup})`)
    }
    expect(failed).toEqual([])
  }, 300_000)

  it('gives the same run for the same seed', async () => {
    for (const seed of [7, 4242]) {
      const a = await simulate({ seed })
      const b = await simulate({ seed })
      expect(b).toEqual(a)
      expect(a.events).toBeGreaterThan(0)
    }
  })

  // The plaintext-over-MSE share is printed by `pnpm --filter @p2p/sim bench` (bench/connections.mjs).
  it('runs MSE on part of the clients: RC4 and plain connections both occur', async () => {
    const total = { rc4: 0, 'plaintext-mse': 0, plain: 0 }
    for (let seed = 1; seed <= 20; seed++) {
      const r = await simulate({ seed })
      expect(r.ok).toBe(true)
      for (const k of ['rc4', 'plaintext-mse', 'plain'] as const) total[k] += r.connections[k]
    }
    expect(total.rc4).toBeGreaterThan(0)
    expect(total.plain).toBeGreaterThan(0)
  })

  it('draws different runs from different seeds', async () => {
    const runs = await Promise.all([1, 2, 3].map((seed) => simulate({ seed })))
    expect(new Set(runs.map((r) => `${r.events}/${r.virtualMs}/${r.setup}`)).size).toBe(3)
  })

  it('fails a run in which a leecher cannot finish', async () => {
    // Only stallers and no time for the seed: nothing finishes within 1 virtual second.
    const r = await simulate({ seed: 3, faults: ['staller'], maxVirtualMs: 1 })
    expect(r.ok).toBe(false)
    expect(r.failures.join()).toMatch(/not done/)
  })
})
