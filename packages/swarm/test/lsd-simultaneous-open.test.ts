import { createSocket } from 'node:dgram'
import { join } from 'node:path'
import { encodeLsdAnnounces, LSD_IPV4_GROUP, LSD_PORT } from '@p2p/nat'
import { internetTransport, lsdHashes, type SwarmTransport, type Torrent } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, v1Torrent, writeContent } from './helpers.js'

/** TCP, counting the connections a client opens and accepts. */
function countingTransport(): { transport: SwarmTransport; dialed: number; accepted: number } {
  const tcp = internetTransport(['tcp'])
  const counts = {
    dialed: 0,
    accepted: 0,
    transport: {
      listen: (options, onConnection, onError, onWarning) =>
        tcp.listen(
          options,
          (stream) => {
            counts.accepted++
            onConnection(stream)
          },
          onError,
          onWarning,
        ),
      dial: (addr, receive, done) => {
        counts.dialed++
        return tcp.dial(addr, receive, done)
      },
    } satisfies SwarmTransport,
  }
  return counts
}

/** Multicasts, on the loopback interface, one LSD announce per port in the same instant. */
async function announceAll(infoHashes: string[], ports: number[]): Promise<void> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true })
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r))
  socket.setMulticastInterface('127.0.0.1')
  const datagrams = ports.flatMap((port) =>
    encodeLsdAnnounces({ family: 4, port, infoHashes, cookie: 'test' }),
  )
  await Promise.all(datagrams.map((d) => new Promise((r) => socket.send(d, LSD_PORT, LSD_IPV4_GROUP, r))))
  socket.close()
}

const peersOf = (t: Torrent) => t.stats().peers

describe('local peer discovery and simultaneous open', () => {
  const { dir, client } = useSession('swarm-lsd-open-')

  it('two clients that learn each other at once and dial each other keep exactly one connection', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'l.bin': 400_000 })
    const bytes = content.get('l.bin')!
    const torrent = await v1Torrent('l.bin', [{ path: ['l.bin'], bytes }], 16384, true)
    // On 127.0.0.1, discovery stays on the loopback interface.
    const a = countingTransport()
    const b = countingTransport()
    const seeder = client({ lsd: true, runtime: { transport: a.transport } })
    const leecher = client({ lsd: true, runtime: { transport: b.transport } })
    const st = await seeder.seed(join(src, 'l.bin'), { torrent })
    const out = await dir()
    const lt = await leecher.add(torrent, { path: out })
    // Each hears both announces in the same instant (its own is itself: 127.0.0.1 at its own port).
    await announceAll(lsdHashes(st.metainfo!), [seeder.port, leecher.port])
    // At every piece: how many connections each side has, and which way they were opened.
    const samples: string[] = []
    const directions = (t: Torrent) => t.connections().map((c) => (c.incoming ? 'in' : 'out'))
    lt.on('piece', () => samples.push(`${peersOf(st)}/${peersOf(lt)} ${directions(st)}/${directions(lt)}`))
    await doneWithin(lt, 30_000)
    expect(await differing(out, content)).toEqual([])
    // Both dialed and both accepted: the two connections crossed.
    expect([a.dialed, a.accepted, b.dialed, b.accepted]).toEqual([1, 1, 1, 1])
    // Both ends dropped the same one (the one the higher peer id opened) and never had two.
    const seederDialed = Buffer.compare(Buffer.from(seeder.peerId), Buffer.from(leecher.peerId)) < 0
    const kept = seederDialed ? '1/1 out/in' : '1/1 in/out'
    expect(samples.length).toBeGreaterThan(0)
    expect(samples.every((x) => x.startsWith('1/1 '))).toBe(true)
    expect(samples.at(-1)).toBe(kept)
  })
})
