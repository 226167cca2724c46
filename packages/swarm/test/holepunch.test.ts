import { once } from 'node:events'
import { type AddressInfo, connect, createServer } from 'node:net'
import { join } from 'node:path'
import { parseTorrent } from '@p2p/metainfo'
import { generatePeerId, type PeerAddress } from '@p2p/peer-address'
import { HolepunchError, UtHolepunch, Wire } from '@p2p/peer-wire'
import { type Client, internetTransport, type SwarmTransport } from '@p2p/swarm'
import { UtpSocket } from '@p2p/utp'
import { describe, expect, it } from 'vitest'
import { MAX_PUNCH_RETRIES, PUNCH_RETRY_MS } from '../src/holepunch.js'
import { useSession, v1Torrent, writeContent } from './helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-holepunch-', { hashThreads: 1 })

async function seeding(opts: Parameters<typeof client>[0] = {}, pex?: boolean) {
  const src = await dir()
  const content = await writeContent(src, { 'h.bin': 100_000 })
  const torrent = await v1Torrent('h.bin', [{ path: ['h.bin'], bytes: content.get('h.bin')! }], 16384, true)
  const c = client(opts)
  const t = await c.seed(join(src, 'h.bin'), { torrent, pex })
  return { c, t, infoHash: parseTorrent(torrent).infoHashBytes }
}

/** A test peer on a TCP connection to `c` that says it listens on `listenPort`, with or without ut_holepunch. */
async function peerOf(c: Client, infoHash: Uint8Array, listenPort: number, holepunch = true) {
  const wire = new Wire(connect(local(c)), { infoHash, peerId: generatePeerId('-HP0001-'), listenPort })
  onCleanup(async () => wire.destroy())
  const hp = holepunch ? wire.use(new UtHolepunch(wire)) : undefined
  const ready = new Promise((r) => wire.once('extended-handshake', r))
  wire.handshake()
  await ready
  return { wire, hp, addr: { host: '127.0.0.1', port: listenPort } }
}

/** A port with nothing on it, UDP or TCP: both dials fail. */
async function deadAddress(): Promise<PeerAddress> {
  const probe = new UtpSocket()
  await probe.listen(0, '127.0.0.1')
  const dead = { host: '127.0.0.1', port: probe.address().port }
  await probe.close()
  return dead
}

const next = <T extends unknown[]>(hp: UtHolepunch, event: 'connect' | 'error' | 'rendezvous') =>
  once(hp, event) as Promise<T>

describe('BEP 55 holepunch in the swarm', () => {
  it('relays a rendezvous as connect to both peers, with each one told the other address', async () => {
    const { c, infoHash } = await seeding()
    const a = await peerOf(c, infoHash, 40001)
    const b = await peerOf(c, infoHash, 40002)
    expect(a.wire.peerSupports('ut_holepunch')).toBe(true)
    const toB = next<[PeerAddress]>(b.hp!, 'connect')
    // The relay knows b once b's extended handshake (its listen port) is in: until then it answers
    // NotConnected, so ask again.
    let toA: PeerAddress | undefined
    while (!toA) {
      const answer = new Promise<PeerAddress | undefined>((resolve) => {
        const onConnect = (addr: PeerAddress) => settle(addr)
        const onError = (_: PeerAddress, code: number) => {
          expect(code).toBe(HolepunchError.notConnected)
          settle(undefined)
        }
        const settle = (addr: PeerAddress | undefined) => {
          a.hp!.off('connect', onConnect).off('error', onError)
          resolve(addr)
        }
        a.hp!.on('connect', onConnect).on('error', onError)
      })
      a.hp!.rendezvous(b.addr)
      toA = await answer
    }
    expect(toA).toEqual(b.addr)
    expect((await toB)[0]).toEqual(a.addr)
    expect(c.torrents[0]!.holepunches.relayed).toBe(1)
  })

  it('answers NoSuchPeer, NoSelf, NotConnected and NoSupport', async () => {
    const { c, infoHash } = await seeding()
    const a = await peerOf(c, infoHash, 40011)
    const plain = await peerOf(c, infoHash, 40012, false)
    const ask = async (target: PeerAddress) => {
      const answer = next<[PeerAddress, number]>(a.hp!, 'error')
      a.hp!.rendezvous(target)
      const [addr, code] = await answer
      expect(addr).toEqual(target)
      return code
    }
    expect(await ask({ host: '127.0.0.1', port: 0 })).toBe(HolepunchError.noSuchPeer)
    expect(await ask(local(c))).toBe(HolepunchError.noSelf)
    expect(await ask({ host: '127.0.0.1', port: 40099 })).toBe(HolepunchError.notConnected)
    // NotConnected until the relay has the plain peer's extended handshake (its listen port).
    let code = await ask(plain.addr)
    while (code === HolepunchError.notConnected) code = await ask(plain.addr)
    expect(code).toBe(HolepunchError.noSupport)
    expect(c.torrents[0]!.holepunches.relayed).toBe(0)
  })

  it('on a relay connect, dials the given address over uTP', async () => {
    const { c, t, infoHash } = await seeding({ transports: ['tcp', 'utp'] })
    const target = new UtpSocket()
    onCleanup(() => target.close())
    await target.listen(0, '127.0.0.1')
    const relay = await peerOf(c, infoHash, 40021)
    const incoming = once(target, 'connection')
    relay.hp!.connect({ host: '127.0.0.1', port: target.address().port })
    const [stream] = (await incoming) as [{ destroy(): void }]
    stream.destroy()
    expect(t.holepunches.started).toBe(1)
  })

  it('asks the peer that told of an address by PEX for a rendezvous when dialing it fails', async () => {
    const { c, infoHash } = await seeding({ transports: ['utp', 'tcp'] })
    const relay = await peerOf(c, infoHash, 40031)
    const dead = await deadAddress()
    const asked = next<[PeerAddress]>(relay.hp!, 'rendezvous')
    relay.wire.sendPex({ added: [dead] })
    expect((await asked)[0]).toEqual(dead)
  })

  it('asks the next relay that told of the address when one answers an error', async () => {
    const { c, infoHash } = await seeding({ transports: ['utp', 'tcp'] })
    const first = await peerOf(c, infoHash, 40061)
    const second = await peerOf(c, infoHash, 40062)
    const dead = await deadAddress()
    const askedFirst = next<[PeerAddress]>(first.hp!, 'rendezvous')
    first.wire.sendPex({ added: [dead] })
    expect((await askedFirst)[0]).toEqual(dead)
    // The second relay tells of it while the first one's answer is due: nobody else is asked yet.
    const askedSecond = next<[PeerAddress]>(second.hp!, 'rendezvous')
    second.wire.sendPex({ added: [dead] })
    first.hp!.error(dead, HolepunchError.notConnected)
    expect((await askedSecond)[0]).toEqual(dead)
    expect(c.torrents[0]!.holepunches.asked).toBe(2)
  })

  it('asks a peer it dialed, while a dial that hangs goes on, when no peer told of the address', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'r.bin': 50_000 })
    const bytes = content.get('r.bin')!
    const torrent = await v1Torrent('r.bin', [{ path: ['r.bin'], bytes }], 16384, true)
    const infoHash = parseTorrent(torrent).infoHashBytes
    // A reachable peer (it accepts our dial) that speaks ut_holepunch but has no pieces.
    const server = createServer((socket) => {
      const wire = new Wire(socket, { infoHash, peerId: generatePeerId('-HP0002-') })
      onCleanup(async () => wire.destroy())
      const hp = wire.use(new UtHolepunch(wire))
      hp.on('rendezvous', (addr) => asked(addr))
      wire.once('extended-handshake', () => ready())
      wire.handshake()
    })
    let asked: (addr: PeerAddress) => void = () => {}
    const rendezvous = new Promise<PeerAddress>((resolve) => {
      asked = resolve
    })
    let ready: () => void = () => {}
    const handshaken = new Promise<void>((resolve) => {
      ready = resolve
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    onCleanup(() => new Promise<void>((r) => server.close(() => r())))
    // The dial to `dead` hangs, as one to a NATed peer does (its router drops the SYNs).
    const dead = await deadAddress()
    const real = internetTransport(['utp', 'tcp'])
    const dials = { hanging: 0, abandoned: 0 }
    const transport: SwarmTransport = {
      listen: (...args) => real.listen(...args),
      dial: (addr, receive, done) => {
        if (addr.port !== dead.port) return real.dial(addr, receive, done)
        dials.hanging++
        return () => dials.abandoned++
      },
      punch: (addr, done) => real.punch!(addr, done),
    }
    const c = client({ runtime: { transport } })
    const t = await c.add(torrent, {
      path: await dir(),
      peers: [{ host: '127.0.0.1', port: (server.address() as AddressInfo).port }],
    })
    await handshaken
    t.addPeer(dead)
    expect(await rendezvous).toEqual({ host: dead.host, port: dead.port })
    expect(dials).toEqual({ hanging: 1, abandoned: 0 })
    expect(t.holepunches.asked).toBeGreaterThanOrEqual(1)
  })

  it('asks the relay again soon after a punch it set up fails, a bounded number of times', {
    timeout: 30_000,
  }, async () => {
    const src = await dir()
    const content = await writeContent(src, { 'f.bin': 50_000 })
    const bytes = content.get('f.bin')!
    const torrent = await v1Torrent('f.bin', [{ path: ['f.bin'], bytes }], 16384, true)
    const infoHash = parseTorrent(torrent).infoHashBytes
    // A reachable relay that answers every rendezvous with `connect`: the punch is ours to make.
    const asks: PeerAddress[] = []
    let askedAgain: () => void = () => {}
    const server = createServer((socket) => {
      const wire = new Wire(socket, { infoHash, peerId: generatePeerId('-HP0003-') })
      onCleanup(async () => wire.destroy())
      const hp = wire.use(new UtHolepunch(wire))
      hp.on('rendezvous', (addr) => {
        asks.push(addr)
        hp.connect(addr)
        askedAgain()
      })
      wire.handshake()
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    onCleanup(() => new Promise<void>((r) => server.close(() => r())))
    // The dial to `dead` hangs (a NAT drops the SYNs); every punch to it fails at once.
    const dead = await deadAddress()
    const real = internetTransport(['utp', 'tcp'])
    let punches = 0
    const transport: SwarmTransport = {
      listen: (...args) => real.listen(...args),
      dial: (addr, receive, done) => (addr.port === dead.port ? () => {} : real.dial(addr, receive, done)),
      punch: (_addr, done) => {
        punches++
        queueMicrotask(() => done(new Error('punch refused')))
        return () => {}
      },
    }
    const c = client({ runtime: { transport } })
    const t = await c.add(torrent, {
      path: await dir(),
      peers: [{ host: '127.0.0.1', port: (server.address() as AddressInfo).port }],
    })
    await new Promise<void>((resolve) => {
      askedAgain = () => asks.length === 1 + MAX_PUNCH_RETRIES && resolve()
      t.addPeer(dead)
    })
    // The first ask came while the dial hung; each failed punch brought one more, then none.
    await new Promise((r) => setTimeout(r, PUNCH_RETRY_MS * 2))
    expect(asks).toEqual(Array(1 + MAX_PUNCH_RETRIES).fill({ host: dead.host, port: dead.port }))
    expect(punches).toBe(1 + MAX_PUNCH_RETRIES)
    expect(t.holepunches).toMatchObject({
      asked: 1 + MAX_PUNCH_RETRIES,
      started: 1 + MAX_PUNCH_RETRIES,
      connected: 0,
    })
  })

  it('still offers ut_holepunch with ut_pex turned off', async () => {
    const { c, infoHash } = await seeding({}, false)
    const a = await peerOf(c, infoHash, 40051)
    expect(a.wire.peerSupports('ut_pex')).toBe(false)
    expect(a.wire.peerSupports('ut_holepunch')).toBe(true)
  })

  it('does not offer ut_holepunch on a private torrent', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'p.bin': 50_000 })
    const bytes = content.get('p.bin')!
    const torrent = await v1Torrent('p.bin', [{ path: ['p.bin'], bytes }], 16384, true, { private: 1 })
    const c = client()
    await c.seed(join(src, 'p.bin'), { torrent })
    const a = await peerOf(c, parseTorrent(torrent).infoHashBytes, 40041)
    expect(a.wire.peerSupports('ut_holepunch')).toBe(false)
  })
})
