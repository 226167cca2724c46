import { Wire } from '@p2p/peer-wire'
import { MemoryStorage, Prng, SimNetwork, SimWebSeed, simFetch, simTorrent, VirtualClock } from '@p2p/sim'
import { Client, type StorageOptions } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'

/** How long the staller's requests hold the blocks before the wire gives them up (its default), virtual ms. */
const REQUEST_TIMEOUT_MS = 60_000

describe('endgame against a web seed', () => {
  it('a peer that holds the last blocks and never sends them does not hold the download: the web seed sends them too', async () => {
    const clock = new VirtualClock()
    const net = new SimNetwork(clock)
    const rng = new Prng(5)
    const torrent = simTorrent(rng.bytes(8 * 16_384), 16_384)
    const sim = { ...torrent, pieceLength: 16_384, pieceCount: 8 }
    // Busy for its first requests (503, Retry-After: 1): meanwhile the staller is asked for every block.
    const web = new SimWebSeed(clock, 'http://web.sim/sim.bin', '503', torrent.content, {
      latencyMs: 5,
      bytesPerSecond: 10_000_000,
    })
    // A peer with every piece that unchokes, takes requests and never answers them.
    const staller = { host: '127.78.0.2', port: 6881 }
    net.listen(staller.host, staller.port, (stream) => {
      const wire = new Wire(stream, { ...sim, length: torrent.content.length, peerId: rng.bytes(20), clock })
      wire.on('handshake', () => {
        wire.handshake()
        // The second half of the pieces: the web seed sends the first half alone (and so proves itself).
        const bits = new Uint8Array(1)
        bits[0] = 0x0f
        wire.bitfield(bits, 8)
        wire.unchoke()
      })
    })
    net.setLink('127.78.0.1', { latencyMs: 10, bytesPerSecond: 5_000_000 })
    net.setLink('127.78.0.1', { latencyMs: 10, bytesPerSecond: 5_000_000 })
    let storage: MemoryStorage | undefined
    const client = new Client({
      host: '127.78.0.1',
      port: 6881,
      // The scripted peer speaks plain BitTorrent only.
      encryption: 'disabled',
      peerId: rng.bytes(20),
      runtime: {
        clock,
        random: () => rng.next(),
        randomBytes: (n) => rng.bytes(n),
        transport: net.transport('127.78.0.1'),
        fetch: simFetch([web]),
        storage: (o: StorageOptions) => {
          storage = new MemoryStorage(o)
          return storage
        },
        prepareDir: async () => {},
        checks: true,
      },
    })
    const t = await client.add(torrent.file, {
      path: '/sim/leecher',
      resume: false,
      peers: [staller],
      webSeeds: [web.url],
    })
    let stallerAsked = false
    const wires: { outstandingRequests: number }[] = []
    t.on('wire', (wire) => wires.push(wire))
    // Without endgame requests to the web seed this runs to the staller's request timeout, incomplete.
    const settle = () => new Promise<void>((r) => setImmediate(r))
    await settle()
    while (!t.complete && clock.now() < REQUEST_TIMEOUT_MS) {
      if (clock.nextAt() === undefined) break
      clock.runNext()
      await settle()
      stallerAsked ||= wires.some((w) => w.outstandingRequests > 0)
    }
    const at = clock.now()
    const complete = t.complete
    await client.close()
    // Done with the web seed's copies of the staller's blocks, before its requests time out.
    expect(stallerAsked).toBe(true)
    expect(complete).toBe(true)
    expect(at).toBeLessThan(REQUEST_TIMEOUT_MS)
    // The staller's copies lost the race: its requests were cancelled.
    expect(wires.map((w) => w.outstandingRequests)).toEqual([0])
    expect(Buffer.compare(storage!.bytes.subarray(0, torrent.content.length), torrent.content)).toBe(0)
  })
})
