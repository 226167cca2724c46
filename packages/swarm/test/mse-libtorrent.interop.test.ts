import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ConnectionEncryption, EncryptionLevel, Torrent } from '@p2p/swarm'
import { COMPONENTS, freePort, requireComponents } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, v1Torrent, writeContent } from './helpers.js'
import { startLibtorrent } from './interop-helpers.js'

const { dir, client } = useSession('swarm-mse-lt-')

const FILES = { 'enc/a.bin': 2_000_000, 'enc/b.txt': 4321 }

async function content() {
  const src = await dir()
  const files = await writeContent(src, FILES)
  const torrent = await v1Torrent(
    'enc',
    Object.keys(FILES).map((k) => ({ path: k.split('/').slice(1), bytes: files.get(k)! })),
    65536,
  )
  const file = join(await dir(), 'enc.torrent')
  await writeFile(file, torrent)
  return { src, files, torrent, file }
}

/** Our side's connection kinds, recorded as wires come up (they close once both are seeds). */
function record(t: Torrent): ConnectionEncryption[] {
  const seen: ConnectionEncryption[] = []
  t.on('wire', () => seen.push(...t.connections().map((c) => c.encryption)))
  return seen
}

const KIND = { rc4: 'rc4', plaintext: 'plaintext-mse' } as const

describe('MSE interop with libtorrent (both forced)', () => {
  for (const level of ['rc4', 'plaintext'] as const satisfies readonly EncryptionLevel[]) {
    const ours = KIND[level]
    it(`libtorrent (forced ${level}) seeds to our forced leecher, which dials it`, async (ctx) => {
      requireComponents(ctx, COMPONENTS.libtorrent)
      const { src, files, torrent, file } = await content()
      const lt = await startLibtorrent({
        mode: 'seed',
        torrent: file,
        save_path: src,
        port: await freePort(),
        enc: 'forced',
        enc_level: level,
      })
      const c = client({ encryption: 'forced', encryptionLevel: level })
      const d = await dir()
      const t = await c.add(torrent, { path: d, peers: [{ host: '127.0.0.1', port: lt.port }] })
      const seen = record(t)
      await doneWithin(t, 45_000)
      expect(await differing(d, files)).toEqual([])
      expect(seen).toContain(ours)
      expect(seen.every((k) => k === ours)).toBe(true)
    })

    it(`our forced seeder serves a libtorrent leecher (forced ${level}) that dials it`, async (ctx) => {
      requireComponents(ctx, COMPONENTS.libtorrent)
      const { src, files, torrent, file } = await content()
      const seeder = client({ encryption: 'forced', encryptionLevel: level })
      const st = await seeder.seed(join(src, 'enc'), { torrent })
      const seen = record(st)
      const d = await dir()
      const lt = await startLibtorrent({
        mode: 'leech',
        torrent: file,
        save_path: d,
        port: await freePort(),
        peers: [`127.0.0.1:${seeder.port}`],
        enc: 'forced',
        enc_level: level,
      })
      await lt.done()
      expect(await differing(d, files)).toEqual([])
      expect(seen).toContain(ours)
      expect(seen.every((k) => k === ours)).toBe(true)
    })
  }
})

describe('MSE with libtorrent: a forced side and a disabled side never exchange data', () => {
  it('our forced leecher and a libtorrent seeder with encryption disabled', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const { src, torrent, file } = await content()
    const lt = await startLibtorrent({
      mode: 'seed',
      torrent: file,
      save_path: src,
      port: await freePort(),
      enc: 'disabled',
    })
    const c = client({ encryption: 'forced' })
    const t = await c.add(torrent, { path: await dir(), peers: [{ host: '127.0.0.1', port: lt.port }] })
    const seen = record(t)
    await new Promise((r) => setTimeout(r, 4000))
    expect(seen).toEqual([])
    expect(t.stats().downloaded).toBe(0)
  })

  it('our seeder with encryption disabled and a forced libtorrent leecher', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const { src, torrent, file } = await content()
    const seeder = client({ encryption: 'disabled' })
    const st = await seeder.seed(join(src, 'enc'), { torrent })
    const seen = record(st)
    await startLibtorrent({
      mode: 'leech',
      torrent: file,
      save_path: await dir(),
      port: await freePort(),
      peers: [`127.0.0.1:${seeder.port}`],
      enc: 'forced',
    })
    await new Promise((r) => setTimeout(r, 4000))
    expect(seen).toEqual([])
    expect(st.stats().uploaded).toBe(0)
  })
})
