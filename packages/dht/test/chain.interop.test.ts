import { randomBytes } from 'node:crypto'
import { COMPONENTS, freePort, requireComponents, stopAll, waitFor } from '@p2p/test-utils'
import { afterAll, describe, expect, it } from 'vitest'
import { createDhtNode, type DhtNode, idHex } from '../src/index.js'
import { startLibtorrentDht } from './lt-driver.js'

const ours: DhtNode[] = []
afterAll(async () => {
  await Promise.all(ours.map((n) => n.close()))
  await stopAll()
})

describe('a chain of 10 DHT nodes alternating ours and libtorrent', () => {
  it('each node joins only through the previous one; both ends find each other’s announces', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const port = await freePort('udp')
    // Node i is on 127.0.1.(i + 1): even i ours, odd i libtorrent; node i bootstraps from node i - 1.
    const ip = (i: number) => `127.0.1.${i + 1}`
    // Our sockets are bound first, so each libtorrent session finds its predecessor listening.
    for (const i of [0, 2, 4, 6, 8]) {
      const node = await createDhtNode({ host: ip(i), port, bootstrap: i ? [{ host: ip(i - 1), port }] : [] })
      ours.push(node)
    }
    const ltIndexes = [1, 3, 5, 7, 9]
    const lt = await startLibtorrentDht(
      ltIndexes.map(ip),
      port,
      ltIndexes.map((i) => `${ip(i - 1)}:${port}`),
    )
    // Join in chain order: an odd (libtorrent) node bootstraps on its own as its predecessor is up.
    for (const node of ours.slice(1)) {
      await waitFor(
        async () => {
          await node.start()
          return node.stats().nodes.v4 > 0
        },
        20_000,
        'our node to join through its libtorrent predecessor',
        500,
      )
    }
    // The first node (ours) announces; the last (libtorrent) finds it, and the reverse.
    const first = randomBytes(20)
    await waitFor(
      async () => (await ours[0]!.announce(first, 45000)).announced > 0,
      20_000,
      'first announce',
      500,
    )
    const seenByLast = await waitFor(
      async () => {
        const { peers } = await lt.call(4, 'get_peers', { infoHash: idHex(first) })
        return (peers as string[]).includes(`${ip(0)}:45000`) ? peers : undefined
      },
      30_000,
      'the last node (libtorrent) to find the first node’s announce',
      1000,
    )
    expect(seenByLast).toContain(`${ip(0)}:45000`)

    const last = idHex(randomBytes(20))
    await lt.call(4, 'add_torrent', { infoHash: last })
    const seenByFirst = await waitFor(
      async () => {
        const { peers } = await ours[0]!.getPeers(Buffer.from(last, 'hex'))
        return peers.some((p) => p.host === ip(9) && p.port === port) ? peers : undefined
      },
      30_000,
      'the first node (ours) to find the last node’s announce',
      1000,
    )
    expect(seenByFirst).toContainEqual({ host: ip(9), port })
    await lt.stop()
  })
})
