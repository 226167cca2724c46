import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createTorrent } from '@p2p/metainfo'
import { CRYPTO_RC4, mseHandshake, req2Hash } from '@p2p/mse'
import { COMPONENTS, freePort, requireComponents } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { differing, useSession, writeContent } from './helpers.js'
import { startLibtorrent } from './interop-helpers.js'

const { dir, client } = useSession('swarm-mse-hybrid-lt-')

async function hybrid() {
  const src = await dir()
  const files = await writeContent(src, { 'hy/a.bin': 1_500_000, 'hy/b.txt': 777 })
  const { torrent, metainfo } = await createTorrent(join(src, 'hy'), {
    version: 'hybrid',
    pieceLength: 65536,
  })
  const file = join(await dir(), 'hy.torrent')
  await writeFile(file, torrent)
  const v1 = Buffer.from(metainfo.infoHash!, 'hex')
  const v2 = Buffer.from(metainfo.infoHashV2!, 'hex').subarray(0, 20)
  return { src, files, torrent, file, v1, v2 }
}

describe('MSE with libtorrent for a hybrid (v1 + v2) torrent', () => {
  it('libtorrent (forced RC4) dials with an SKEY of the torrent and downloads from our forced seeder', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const { src, files, torrent, file, v1, v2 } = await hybrid()
    // Which SKEY libtorrent uses for a hybrid torrent: a bare responder records it (libtorrent 2.0.8:
    // the v1 hash; the truncated v2 hash is covered by encryption-hybrid.test.ts).
    const skeys: string[] = []
    const probe = createServer((s) => {
      mseHandshake(s, {
        role: 'responder',
        findSkey: (req2) => {
          const hit = [v1, v2].find((k) => req2Hash(k).equals(req2))
          skeys.push(hit === v1 ? 'v1' : hit === v2 ? 'v2' : 'unknown')
          return undefined
        },
        allowed: CRYPTO_RC4,
      }).catch(() => {})
    })
    probe.listen(0, '127.0.0.1')
    await once(probe, 'listening')
    const probeLt = await startLibtorrent({
      mode: 'leech',
      torrent: file,
      save_path: await dir(),
      port: await freePort(),
      peers: [`127.0.0.1:${(probe.address() as { port: number }).port}`],
      enc: 'forced',
      enc_level: 'rc4',
    })
    const t0 = Date.now()
    while (skeys.length === 0 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 100))
    await probeLt.child.stop()
    probe.close()
    expect(skeys.length).toBeGreaterThan(0)
    expect(skeys.every((k) => k === 'v1' || k === 'v2')).toBe(true)

    const seeder = client({ encryption: 'forced', encryptionLevel: 'rc4' })
    const st = await seeder.seed(join(src, 'hy'), { torrent })
    const seen: string[] = []
    st.on('wire', () => seen.push(...st.connections().map((c) => c.encryption)))
    const d = await dir()
    const lt = await startLibtorrent({
      mode: 'leech',
      torrent: file,
      save_path: d,
      port: await freePort(),
      peers: [`127.0.0.1:${seeder.port}`],
      enc: 'forced',
      enc_level: 'rc4',
    })
    await lt.done()
    expect(await differing(d, files)).toEqual([])
    expect(seen).toContain('rc4')
  })
})
