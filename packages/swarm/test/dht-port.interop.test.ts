import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DhtNode } from '@p2p/dht'
import { useDht } from '@p2p/swarm'
import { COMPONENTS, freePort, requireComponents, waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, v1Torrent, writeContent } from './helpers.js'
import { startLibtorrent } from './interop-helpers.js'

const { dir, client, onCleanup } = useSession('swarm-dht-port-')

describe('BEP 5 port message with libtorrent', () => {
  it('our leecher learns the DHT node of a libtorrent seeder from its port message', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const src = await dir()
    const content = await writeContent(src, { 'one.bin': 500_000 })
    const torrent = await v1Torrent('one.bin', [{ path: [], bytes: content.get('one.bin')! }], 65536, true)
    const file = join(await dir(), 'one.torrent')
    await writeFile(file, torrent)
    const lt = await startLibtorrent({
      mode: 'seed',
      torrent: file,
      save_path: src,
      port: await freePort(),
      dht: true,
    })

    // Our DHT node shares our uTP socket and knows nobody: libtorrent's node can only come from
    // the port message.
    const c = client()
    await c.listen()
    const dht = new DhtNode({ transport: c.udp! })
    onCleanup(() => dht.close())
    c.dhtPort = dht.addresses()[0]!.port
    expect(c.dhtPort).toBe(c.port)
    const out = await dir()
    const t = await c.add(torrent, { path: out, peers: [{ host: '127.0.0.1', port: lt.port }] })
    const told: number[] = []
    t.on('dht-node', (a) => told.push(a.port))
    useDht(t, dht, { port: c.port })
    await doneWithin(t, 60_000)
    expect(await differing(out, content)).toEqual([])
    const node = await waitFor(
      () =>
        dht.core
          .table(4)!
          .nodes()
          .find((n) => n.address.port === lt.port),
      20_000,
      `libtorrent's DHT node (127.0.0.1:${lt.port}) in our routing table`,
    )
    expect(node.address.host).toBe('127.0.0.1')
    expect(told).toContain(lt.port)
  })
})
