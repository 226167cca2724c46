import { connect } from 'node:net'
import { join } from 'node:path'
import { createDhtNode, DhtNode, idHex, isSecureNodeId, MemoryNetwork, systemClock } from '@p2p/dht'
import { type MappingClient, PortMapper } from '@p2p/nat'
import { generatePeerId } from '@p2p/peer-address'
import { Wire } from '@p2p/peer-wire'
import { type Client, type Torrent, useDht, useMappedAddress } from '@p2p/swarm'
import { waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, writeContent } from './helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-dht-', { hashThreads: 1 })

async function dhtNode(bootstrap?: DhtNode): Promise<DhtNode> {
  const node = await createDhtNode({
    host: '127.0.0.1',
    port: 0,
    bootstrap: bootstrap ? bootstrap.addresses() : [],
  })
  onCleanup(() => node.close())
  if (bootstrap) await node.start()
  return node
}

/** Counts announce calls on a real node. */
function countAnnounces(node: DhtNode): { calls: number } {
  const counter = { calls: 0 }
  const announce = node.announce.bind(node)
  node.announce = (...args) => {
    counter.calls++
    return announce(...args)
  }
  return counter
}

describe('the DHT as a peer source', () => {
  it('a magnet with no tracker downloads from a seeder found through the DHT', async () => {
    const boot = await dhtNode()
    const src = await dir()
    const files = await writeContent(src, { 'a.bin': 300_000 })
    const seeder = client()
    const st = await seeder.seed(join(src, 'a.bin'))
    const seedDht = await dhtNode(boot)
    useDht(st, seedDht, { port: seeder.port })

    const leecher = client()
    const out = await dir()
    const magnet = `magnet:?xt=urn:btih:${st.infoHash}`
    const lt = await leecher.add(magnet, { path: out })
    const leechDht = await dhtNode(boot)
    useDht(lt, leechDht, { port: leecher.port })
    await doneWithin(lt, 30_000)
    expect(await differing(out, files)).toEqual([])
    expect(boot.stats().infoHashes).toBe(1)
  })

  it('shares the uTP socket: one UDP port per client carries both a uTP connection and the DHT', async () => {
    const boot = await dhtNode()
    const src = await dir()
    const files = await writeContent(src, { 'u.bin': 200_000 })
    const onUdp = async (c: Client) => {
      await c.listen()
      const node = new DhtNode({ transport: c.udp!, bootstrap: boot.addresses() })
      onCleanup(() => node.close())
      await node.start()
      c.dhtPort = node.addresses()[0]!.port
      return node
    }
    // uTP only: neither client listens on TCP, so the download itself proves the uTP connection.
    const seeder = client({ transports: ['utp'] })
    const seedDht = await onUdp(seeder)
    const st = await seeder.seed(join(src, 'u.bin'))
    useDht(st, seedDht, { port: seeder.port })
    const leecher = client({ transports: ['utp'] })
    const leechDht = await onUdp(leecher)
    const out = await dir()
    const lt = await leecher.add(`magnet:?xt=urn:btih:${st.infoHash}`, { path: out })
    useDht(lt, leechDht, { port: leecher.port })
    await doneWithin(lt, 30_000)
    expect(await differing(out, files)).toEqual([])
    // The DHT nodes answer on the clients' own UDP ports, where uTP listens too.
    for (const [c, node] of [
      [seeder, seedDht],
      [leecher, leechDht],
    ] as const) {
      expect(node.addresses()[0]!.port).toBe(c.port)
      expect(await node.core.ping(boot.addresses()[0]!)).toEqual(boot.core.id)
      expect(await boot.core.ping({ host: '127.0.0.1', port: c.port })).toEqual(node.core.id)
    }
    const peers = await boot.getPeers(st.infoHashBytes)
    expect(peers.peers).toContainEqual({ host: '127.0.0.1', port: seeder.port })
  })

  it('private torrents (BEP 27) never use the DHT', async () => {
    const boot = await dhtNode()
    const src = await dir()
    await writeContent(src, { 'p.bin': 40_000 })
    const seeder = client()
    const priv = await seeder.seed(src, { private: true })
    const node = await dhtNode(boot)
    const counter = countAnnounces(node)
    useDht(priv, node, { port: seeder.port })
    expect(counter.calls).toBe(0)

    const pubSrc = await dir()
    await writeContent(pubSrc, { 'q.bin': 40_000 })
    const pub = await seeder.seed(pubSrc)
    useDht(pub, node, { port: seeder.port })
    expect(counter.calls).toBe(1)
  })
})

describe('the external address from port mapping (BEP 42)', () => {
  it('useMappedAddress gives the DHT the gateway address and mapped UDP port; its id follows', async () => {
    const gateway = (address: string): MappingClient => ({
      method: 'natpmp',
      externalAddress: async () => address,
      map: async (_t, internalPort) => ({
        externalPort: internalPort + 1000,
        lifetime: 7200,
        gatewayRestarted: false,
      }),
      unmap: async () => {},
    })
    const node = await dhtNode()
    const mapper = new PortMapper({ internalPort: 6881, clients: [gateway('198.51.100.44')] })
    onCleanup(() => mapper.close())
    const stop = useMappedAddress(mapper, node)
    await mapper.start()
    expect(node.stats().externalAddress).toEqual({ host: '198.51.100.44', port: 7881 })
    expect(isSecureNodeId(node.core.id, '198.51.100.44')).toBe(true)
    stop()

    // A gateway whose external address is private (another NAT beyond) says nothing about ours.
    const inner = await dhtNode()
    const before = idHex(inner.core.id)
    const cgn = new PortMapper({ internalPort: 6882, clients: [gateway('100.64.0.9')] })
    onCleanup(() => cgn.close())
    useMappedAddress(cgn, inner)
    await cgn.start()
    expect(cgn.externalAddress).toMatchObject({ private: true })
    expect(inner.stats().externalAddress).toBeUndefined()
    expect(idHex(inner.core.id)).toBe(before)
  })
})

describe('BEP 5 on the wire', () => {
  /** The DHT port a raw peer (which sets the DHT bit itself) hears from the client, or 'none'. */
  async function portHeard(seeding: Torrent, port: number): Promise<number | 'none'> {
    const wire = new Wire(connect(port, '127.0.0.1'), {
      infoHash: seeding.infoHashBytes,
      peerId: generatePeerId('-DH0001-'),
      dhtPort: 7,
    })
    onCleanup(async () => wire.destroy())
    const heard = new Promise<number | 'none'>((resolve) => {
      wire.on('port', (p) => resolve(p))
      // The client sends its port message right after its extended handshake. A metadata request
      // made once that arrived is answered only after it, in TCP order.
      wire.on('extended-handshake', () =>
        wire.fetchMetadata().then(
          () => resolve('none'),
          () => resolve('none'),
        ),
      )
    })
    wire.on('handshake', () => wire.haveNone())
    wire.handshake()
    return heard
  }

  it('sets the handshake bit and sends the port message, except on private torrents', async () => {
    const src = await dir()
    await writeContent(src, { 'pub.bin': 20_000, 'priv.bin': 20_000 })
    const seeder = client()
    seeder.dhtPort = 4321
    const pub = await seeder.seed(join(src, 'pub.bin'))
    const priv = await seeder.seed(join(src, 'priv.bin'), { private: true })
    expect(await portHeard(pub, local(seeder).port)).toBe(4321)
    expect(await portHeard(priv, local(seeder).port)).toBe('none')
  })

  it('pings the DHT node a peer tells in its port message and adds it if it answers (DHT bit set, public torrent)', async () => {
    // Both DHT nodes on the in-memory network at the peer's connection address (127.0.0.1).
    const net = new MemoryNetwork(systemClock, { latencyMs: 1 })
    const dhtAt = (port: number) => {
      const node = new DhtNode({ transport: net.transport({ host: '127.0.0.1', port }) })
      onCleanup(() => node.close())
      return node
    }
    const ours = dhtAt(6000)
    const theirs = [dhtAt(6001), dhtAt(6002), dhtAt(6003)]
    const src = await dir()
    await writeContent(src, { 'pub.bin': 20_000, 'priv.bin': 20_000 })
    const seeder = client()
    seeder.dhtPort = 6000
    const pub = await seeder.seed(join(src, 'pub.bin'))
    const priv = await seeder.seed(join(src, 'priv.bin'), { private: true })
    useDht(pub, ours, { port: seeder.port })
    useDht(priv, ours, { port: seeder.port })
    const told: string[] = []
    pub.on('dht-node', (a) => told.push(`pub ${a.port}`))
    priv.on('dht-node', (a) => told.push(`priv ${a.port}`))
    const tell = async (t: Torrent, port: number, dhtBit: boolean) => {
      const wire = new Wire(connect(local(seeder).port, '127.0.0.1'), {
        infoHash: t.infoHashBytes,
        peerId: generatePeerId('-DH0001-'),
        dhtPort: dhtBit ? port : undefined,
      })
      onCleanup(async () => wire.destroy())
      const handshaken = new Promise((resolve) => wire.on('handshake', resolve))
      const extended = new Promise((resolve) => wire.on('extended-handshake', resolve))
      wire.handshake()
      await handshaken
      wire.haveNone()
      await extended
      // With the bit set, the wire has sent its port message itself by now; without it, send one anyway.
      await new Promise((resolve) => setImmediate(resolve))
      if (!dhtBit) wire.port(port)
      // Answered after the port message (TCP order): the client has acted on it when this settles.
      await wire.fetchMetadata().catch(() => {})
    }
    await tell(priv, 6001, true)
    await tell(pub, 6002, false)
    await tell(pub, 6003, true)
    await waitFor(() => ours.core.table(4)!.get(theirs[2]!.core.id), 10_000, 'the ping of 127.0.0.1:6003')
    expect(told).toEqual(['pub 6003'])
    expect(ours.core.table(4)!.get(theirs[2]!.core.id)?.address).toEqual({ host: '127.0.0.1', port: 6003 })
    expect(ours.core.table(4)!.get(theirs[0]!.core.id)).toBeUndefined()
    expect(ours.core.table(4)!.get(theirs[1]!.core.id)).toBeUndefined()
  })
})
