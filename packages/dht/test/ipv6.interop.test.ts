import { randomBytes } from 'node:crypto'
import { COMPONENTS, requireComponents, stopAll, waitFor } from '@p2p/test-utils'
import { afterAll, describe, expect, it } from 'vitest'
import { createDhtNode, type DhtNode, idHex } from '../src/index.js'
import { startLibtorrentDht } from './lt-driver.js'

// BEP 32 on ::1 only: our three nodes and two libtorrent sessions, each on its own UDP port.
let ours: DhtNode[] = []
let lt: Awaited<ReturnType<typeof startLibtorrentDht>> | undefined

afterAll(async () => {
  await Promise.all(ours.map((n) => n.close()))
  await lt?.stop()
  await stopAll()
})

describe('our DHT with python3-libtorrent on ::1 (BEP 32)', () => {
  it('libtorrent joins through our node over IPv6; get_peers finds announces both ways', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const boot = await createDhtNode({ host: '::1', port: 0 })
    ours = [boot]
    const bootAt = boot.addresses()[0]!
    lt = await startLibtorrentDht(['::1', '::1'], 0, `[::1]:${bootAt.port}`)
    for (let i = 0; i < 2; i++) ours.push(await createDhtNode({ host: '::1', port: 0, bootstrap: [bootAt] }))
    const inTable = () =>
      boot.core
        .table(6)!
        .nodes()
        .map((n) => n.address.port)
    // Both sessions have nodes, and both have queried our node (one of them may do so only after
    // it learnt its first node elsewhere, so the two conditions are awaited together).
    await waitFor(
      async () =>
        lt!.ports.every((port) => inTable().includes(port)) &&
        (await Promise.all([0, 1].map((i) => lt!.call(i, 'stats')))).every((c) => (c.nodes as number) >= 1),
      30_000,
      'libtorrent sessions to have IPv6 nodes and to be in our table',
      500,
    )
    await Promise.all(ours.slice(1).map((n) => n.start()))
    expect(boot.stats().nodes.v4).toBe(0)

    // libtorrent announces a torrent on its listen port; our node finds it over IPv6.
    const theirs = idHex(randomBytes(20))
    await lt.call(0, 'add_torrent', { infoHash: theirs })
    await waitFor(
      async () => {
        const { peers } = await ours[2]!.getPeers(Buffer.from(theirs, 'hex'))
        return peers.some((p) => p.host === '::1' && p.port === lt!.ports[0])
      },
      20_000,
      'our get_peers to return the libtorrent announce',
      500,
    )

    // We announce; libtorrent's lookup finds us.
    const mine = randomBytes(20)
    const { announced } = await ours[1]!.announce(mine, 42006)
    expect(announced).toBeGreaterThan(0)
    await waitFor(
      async () => {
        const { peers } = await lt!.call(1, 'get_peers', { infoHash: idHex(mine) })
        return (peers as string[]).includes('::1:42006')
      },
      20_000,
      'libtorrent get_peers to return our announce',
      500,
    )
  })
})
