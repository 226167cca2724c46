import { simulate, WEB_SEED_KINDS } from '@p2p/sim'
import { describe, expect, it } from 'vitest'

/** Seeds of the mixed profile run with web seeds as well (the peers' faults drawn as in the others). */
const WEB_SEEDS = 60

describe('simulated web seeds (BEP 19) in the swarm', () => {
  it(`keeps every invariant over ${WEB_SEEDS} seeds of mixed peer faults with 1-2 web seeds of every kind`, async () => {
    const failed: string[] = []
    const kinds = new Set<string>()
    for (let seed = 1; seed <= WEB_SEEDS; seed++) {
      const r = await simulate({ seed, leechers: 1 + (seed % 2), webSeeds: 1 + (seed % 2) })
      if (!r.ok) failed.push(`seed ${seed}: ${r.failures.join('; ')} (${r.setup})`)
      for (const k of /web seeds: ([^,]*)/.exec(r.setup)?.[1]?.split(' ') ?? []) kinds.add(k)
    }
    expect(failed).toEqual([])
    expect([...kinds].sort()).toEqual([...WEB_SEED_KINDS].sort())
  }, 300_000)

  it('bans a web seed that sends wrong bytes, and the leechers still finish with the right ones', async () => {
    let bans = 0
    for (let seed = 1; seed <= 20; seed++) {
      const r = await simulate({ seed, faultPeers: 0, webSeeds: 1, webSeedKinds: ['corrupt'] })
      expect(r.ok, r.failures.join('; ')).toBe(true)
      bans += r.webSeedBans
    }
    expect(bans).toBeGreaterThan(0)
  })

  it('takes data from good web seeds; 404, busy and slow ones cost nothing but time', async () => {
    let good = 0
    for (let seed = 1; seed <= 10; seed++) {
      const r = await simulate({ seed, faultPeers: 0, webSeeds: 2, webSeedKinds: ['good'] })
      expect(r.ok, r.failures.join('; ')).toBe(true)
      good += r.webSeedBytes
      const bad = await simulate({ seed, faultPeers: 0, webSeeds: 2, webSeedKinds: ['404', '503', 'slow'] })
      expect(bad.ok, bad.failures.join('; ')).toBe(true)
      expect(bad.webSeedBans).toBe(0)
    }
    expect(good).toBeGreaterThan(0)
  })

  it('gives the same run for the same seed with web seeds', async () => {
    const a = await simulate({ seed: 11, webSeeds: 2 })
    expect(await simulate({ seed: 11, webSeeds: 2 })).toEqual(a)
  })
})
