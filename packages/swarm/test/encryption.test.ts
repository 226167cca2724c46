import { join } from 'node:path'
import type { ConnectionEncryption, EncryptionOptions, Torrent } from '@p2p/swarm'
import { Client } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, writeContent } from './helpers.js'

const { dir, client, local } = useSession('swarm-mse-')

const FILES = { 'content/a.bin': 600_000, 'content/b.bin': 70_000 }

/** A seeder and a leecher with these encryption options (client-level for the seeder, per torrent for the leecher). */
async function pair(seed: EncryptionOptions, leech: EncryptionOptions) {
  const src = await dir()
  const content = await writeContent(src, FILES)
  const seeder = client(seed)
  const st = await seeder.seed(join(src, 'content'), { version: 1, pieceLength: 32768 })
  const c = client()
  const d = await dir()
  const t = await c.add(st.metainfo!, { path: d, peers: [local(seeder)], ...leech })
  // What each side's connections were when their wires came up (both close once both are seeds).
  const seen = { seed: [] as ConnectionEncryption[], leech: [] as ConnectionEncryption[] }
  st.on('wire', () => seen.seed.push(...kinds(st)))
  t.on('wire', () => seen.leech.push(...kinds(t)))
  return { st, t, d, content, seen }
}

const kinds = (t: Torrent): ConnectionEncryption[] => t.connections().map((c) => c.encryption)

describe('swarm encryption (MSE) between our clients', () => {
  const cases: [string, EncryptionOptions, EncryptionOptions, ConnectionEncryption][] = [
    ['forced RC4 seeder, default leecher', { encryption: 'forced', encryptionLevel: 'rc4' }, {}, 'rc4'],
    ['default seeder, forced RC4 leecher', {}, { encryption: 'forced', encryptionLevel: 'rc4' }, 'rc4'],
    [
      'forced plaintext-over-MSE on both',
      { encryption: 'forced', encryptionLevel: 'plaintext' },
      { encryption: 'forced', encryptionLevel: 'plaintext' },
      'plaintext-mse',
    ],
    ['enabled leecher falls back to plain with a disabled seeder', { encryption: 'disabled' }, {}, 'plain'],
    ['both disabled', { encryption: 'disabled' }, { encryption: 'disabled' }, 'plain'],
  ]
  for (const [name, seed, leech, want] of cases) {
    it(`${name}: ${want}, byte-identical copy`, async () => {
      const { t, d, content, seen } = await pair(seed, leech)
      await doneWithin(t, 30_000)
      expect(await differing(d, content)).toEqual([])
      expect(seen.leech).toContain(want)
      expect(seen.leech.every((k) => k === want)).toBe(true)
      expect(seen.seed).toContain(want)
    })
  }

  for (const [name, seed, leech] of [
    ['forced leecher, disabled seeder', { encryption: 'disabled' }, { encryption: 'forced' }],
    ['disabled leecher, forced seeder', { encryption: 'forced' }, { encryption: 'disabled' }],
    [
      'RC4-only leecher, plaintext-only seeder',
      { encryption: 'forced', encryptionLevel: 'plaintext' },
      { encryption: 'forced', encryptionLevel: 'rc4' },
    ],
  ] as [string, EncryptionOptions, EncryptionOptions][]) {
    it(`${name}: never exchange data`, async () => {
      const { st, t, seen } = await pair(seed, leech)
      await new Promise((r) => setTimeout(r, 3000))
      expect(seen).toEqual({ seed: [], leech: [] })
      expect(t.stats().peers + st.stats().peers).toBe(0)
      expect(t.stats().downloaded).toBe(0)
      expect(st.stats().uploaded).toBe(0)
    })
  }

  it('rejects unknown policies and levels with SWARM_INVALID_ARGUMENT', async () => {
    expect(() => new Client({ encryption: 'maybe' as 'forced' })).toThrow(
      expect.objectContaining({ code: 'SWARM_INVALID_ARGUMENT' }),
    )
    const c = client()
    await expect(
      c.add(Buffer.from('x'), { path: await dir(), encryptionLevel: 'aes' as 'rc4' }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/SWARM_/) })
  })
})
