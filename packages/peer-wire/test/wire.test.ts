import { encode } from '@p2p/bencode'
import { PeerWireError, type Wire } from '@p2p/peer-wire'
import { describe, expect, it } from 'vitest'
import { duplexPair, INFO_HASH, once, PEER_A, PEER_B, rawPeer, tick, wirePair } from './helpers.js'

const torrent = { pieceCount: 10, pieceLength: 32768, length: 9 * 32768 + 100 }
const closeCode = (w: Wire) =>
  new Promise<string | undefined>((resolve) => w.once('close', (e) => resolve(e?.code)))

async function unchokedPair(a = {}, b = {}) {
  const [wa, wb] = await wirePair({ ...torrent, ...a }, { ...torrent, ...b })
  wb.on('interested', () => wb.unchoke())
  const u = once(wa, 'unchoke')
  wa.haveNone()
  wb.haveAll()
  wa.interested()
  await u
  return [wa, wb] as const
}

describe('handshake', () => {
  it('negotiates fast and extended only when both offer them', async () => {
    const [a, b] = await wirePair({ fast: false }, { extended: false })
    expect(a.fast).toBe(false)
    expect(b.fast).toBe(false)
    expect(a.extended).toBe(false)
    expect(b.peerHandshake?.extended).toBe(true)
    expect(a.peerHandshake?.peerId).toEqual(PEER_B)
    a.destroy()
  })

  it('closes on another info hash', async () => {
    const [sa, sb] = duplexPair()
    const { Wire } = await import('@p2p/peer-wire')
    const a = new Wire(sa, { infoHash: INFO_HASH, peerId: PEER_A })
    const b = new Wire(sb, { infoHash: new Uint8Array(20).fill(1), peerId: PEER_B })
    const codes = Promise.all([closeCode(a), closeCode(b)])
    a.handshake()
    b.handshake()
    expect(await codes).toContain('PEER_WIRE_INFO_HASH_MISMATCH')
  })

  it('queues messages sent before our handshake and sends them right after it', async () => {
    const [sa, sb] = duplexPair()
    const { Wire } = await import('@p2p/peer-wire')
    const a = new Wire(sa, { infoHash: INFO_HASH, peerId: PEER_A })
    const b = new Wire(sb, { infoHash: INFO_HASH, peerId: PEER_B })
    a.interested()
    a.unchoke()
    const got = Promise.all([once(b, 'interested'), once(b, 'unchoke')])
    b.handshake()
    a.handshake()
    await got
    expect(b.peerInterested).toBe(true)
    a.destroy()
  })

  it('closes on an unexpected peer id', async () => {
    const p = rawPeer({ expectedPeerId: new Uint8Array(20) })
    await p.handshake()
    expect((await p.closed)?.code).toBe('PEER_WIRE_PEER_ID_MISMATCH')
  })

  it('adopts the info hash of an incoming connection', async () => {
    const [sa, sb] = duplexPair()
    const { Wire } = await import('@p2p/peer-wire')
    const server = new Wire(sb, { peerId: PEER_B })
    server.on('handshake', (h) => server.handshake({ infoHash: h.infoHash }))
    const client = new Wire(sa, { infoHash: INFO_HASH, peerId: PEER_A })
    const done = once(client, 'handshake')
    client.handshake()
    await done
    expect(server.infoHash).toEqual(INFO_HASH)
    client.destroy()
  })

  it('accepts the truncated v2 hash as an upgrade of a hybrid torrent (BEP 52)', async () => {
    const v2 = new Uint8Array(32).fill(7)
    const [sa, sb] = duplexPair()
    const { Wire } = await import('@p2p/peer-wire')
    const a = new Wire(sa, { infoHash: INFO_HASH, infoHashV2: v2, v2: true, peerId: PEER_A })
    const b = new Wire(sb, { peerId: PEER_B })
    b.on('handshake', (h) => b.handshake({ infoHash: h.v2Upgrade ? v2.subarray(0, 20) : h.infoHash }))
    const ha = once(a, 'handshake')
    a.handshake()
    await ha
    expect(b.peerHandshake?.v2Upgrade).toBe(true)
    expect(a.destroyed).toBe(false)
    expect(a.infoHash).toEqual(v2.subarray(0, 20))
    a.destroy()
  })

  it('ends with a coded error on a truncated handshake', async () => {
    const p = rawPeer()
    p.raw.write(Buffer.from('\x13BitTorrent proto'))
    p.raw.end()
    expect((await p.closed)?.code).toBe('PEER_WIRE_BAD_HANDSHAKE')
  })

  it('times out a handshake that never completes', async () => {
    const p = rawPeer({ handshakeTimeout: 60 })
    expect((await p.closed)?.code).toBe('PEER_WIRE_HANDSHAKE_TIMEOUT')
  })

  it('sends the extended handshake right after the bitfield, with our fields', async () => {
    const p = rawPeer({
      ...torrent,
      listenPort: 6881,
      metadata: encode({ name: 'x' }),
      remoteAddress: '10.1.2.3',
    })
    await p.handshake()
    p.wire.bitfield(new Uint8Array(2))
    await tick()
    const sent = p.sentMessages()
    expect(sent.map((m) => m.type)).toEqual(['bitfield', 'extended'])
    const ext = sent[1] as { id: number; payload: Uint8Array }
    expect(ext.id).toBe(0)
    const text = Buffer.from(ext.payload).toString('latin1')
    expect(text).toContain('11:ut_metadata')
    expect(text).toContain('6:ut_pexi')
    expect(text).toContain('11:lt_donthavei')
    expect(text).toContain('1:pi6881e')
    expect(text).toContain('13:metadata_sizei')
    expect(text).toContain('6:yourip4:')
  })
})

describe('requests and blocks', () => {
  it('downloads blocks and counts bytes', async () => {
    const [a, b] = await unchokedPair()
    b.on('request', (r) => b.piece(r.index, r.begin, new Uint8Array(r.length).fill(r.index)))
    const blocks = await Promise.all([a.request(0, 0, 16384), a.request(9, 0, 100), a.request(1, 5, 10)])
    expect([...blocks[1]!]).toEqual(new Array(100).fill(9))
    expect([...blocks[2]!]).toEqual(new Array(10).fill(1)) // unaligned blocks work too
    await expect(a.request(1, -16384, 10)).rejects.toBeInstanceOf(RangeError)
    expect(a.downloaded).toBe(16494)
    expect(b.uploaded).toBe(16494)
    expect(a.downloadRate()).toBeGreaterThan(0)
    expect(b.uploadRate()).toBeGreaterThan(0)
    expect(a.peerPieces.hasAll(10)).toBe(true)
    a.destroy()
  })

  it('piece(..., onWritten) reports when the block was written, or at once when not sent', async () => {
    const [a, b] = await unchokedPair()
    const written: string[] = []
    b.on('request', (r) => {
      const buf = new Uint8Array(r.length).fill(7)
      b.piece(r.index, r.begin, buf, (err) => written.push(`${r.index}:${err ?? 'ok'}`))
    })
    const got = await a.request(2, 0, 1000)
    expect([...got.subarray(0, 3)]).toEqual([7, 7, 7])
    await tick()
    expect(written).toEqual(['2:ok'])
    let sync = false
    b.piece(3, 0, new Uint8Array(10), () => (sync = true)) // never requested: not sent, called at once
    expect(sync).toBe(true)
    a.destroy()
  })

  it('rejects a request while choked, unless allowed fast', async () => {
    const [a, b] = await wirePair(torrent, torrent)
    await expect(a.request(1, 0, 16384)).rejects.toMatchObject({ code: 'PEER_WIRE_CHOKED' })
    b.on('request', (r) => b.piece(r.index, r.begin, new Uint8Array(r.length)))
    const af = once(a, 'allowed-fast')
    b.allowedFast(1)
    await af
    expect(await a.request(1, 0, 16384)).toHaveLength(16384)
    a.destroy()
  })

  it('without fast, a choke drops outstanding requests', async () => {
    const [a, b] = await unchokedPair({ fast: false })
    const p = a.request(0, 0, 16384)
    b.choke()
    await expect(p).rejects.toMatchObject({ code: 'PEER_WIRE_CHOKED' })
    expect(b.peerRequests).toHaveLength(0)
    a.destroy()
  })

  it('with fast, choking rejects queued requests and the reject fails the request', async () => {
    const [a, b] = await unchokedPair()
    const p = a.request(0, 0, 16384)
    await tick()
    expect(b.peerRequests).toHaveLength(1)
    b.choke()
    await expect(p).rejects.toMatchObject({ code: 'PEER_WIRE_REJECTED' })
    a.destroy()
  })

  it('cancel: the peer is told, the request fails, a late block is still accepted', async () => {
    const [a, b] = await unchokedPair()
    const cancelled = once(b, 'cancel')
    const p = a.request(0, 0, 16384)
    a.cancel(0, 0, 16384)
    await expect(p).rejects.toMatchObject({ code: 'PEER_WIRE_CANCELLED' })
    await cancelled
    expect(b.peerRequests).toHaveLength(0)
    expect(a.destroyed).toBe(false)
    a.destroy()
  })

  it('aborts a request through its signal', async () => {
    const [a] = await unchokedPair()
    const ac = new AbortController()
    const p = a.request(0, 0, 16384, { signal: ac.signal })
    ac.abort()
    await expect(p).rejects.toMatchObject({ code: 'PEER_WIRE_ABORTED' })
    a.destroy()
  })

  it('times out unanswered requests', async () => {
    const [a] = await unchokedPair({ requestTimeout: 80 })
    await expect(a.request(0, 0, 16384)).rejects.toMatchObject({ code: 'PEER_WIRE_REQUEST_TIMEOUT' })
    a.destroy()
  })

  it('limits outstanding requests (maxRequests and the peer reqq)', async () => {
    const [a] = await unchokedPair({ maxRequests: 2 })
    const ps = [a.request(0, 0, 16384), a.request(0, 16384, 16384)]
    await expect(a.request(1, 0, 16384)).rejects.toMatchObject({ code: 'PEER_WIRE_TOO_MANY_REQUESTS' })
    await expect(a.request(0, 0, 16384)).rejects.toMatchObject({ code: 'PEER_WIRE_TOO_MANY_REQUESTS' })
    await expect(a.request(0, 0, 16385)).rejects.toBeInstanceOf(RangeError)
    a.destroy()
    await Promise.allSettled(ps)
  })

  it('caps our requests at the peer reqq, and rejects peer requests beyond maxQueuedRequests', async () => {
    const [a, b] = await unchokedPair({}, { maxQueuedRequests: 2 })
    expect(a.peerExtended?.reqq).toBe(2)
    expect(a.maxOutstandingRequests).toBe(2)
    a.destroy()
    const p = rawPeer({ ...torrent, maxQueuedRequests: 2 })
    await p.handshake()
    p.wire.unchoke()
    for (let i = 0; i < 3; i++) p.send({ type: 'request', index: 0, begin: i * 100, length: 100 })
    await tick()
    expect(p.wire.peerRequests).toHaveLength(2)
    expect(p.sentMessages().filter((m) => m.type === 'reject')).toEqual([
      { type: 'reject', index: 0, begin: 200, length: 100 },
    ])
    p.wire.destroy()
    void b
  })

  it('close rejects pending requests', async () => {
    const [a] = await unchokedPair()
    const p = a.request(0, 0, 16384)
    a.destroy()
    await expect(p).rejects.toMatchObject({ code: 'PEER_WIRE_CLOSED' })
    await expect(a.request(0, 0, 1)).rejects.toMatchObject({ code: 'PEER_WIRE_CLOSED' })
  })
})

describe('protocol errors close the wire with a code', () => {
  const cases: Array<[string, (p: ReturnType<typeof rawPeer>) => void, string, object?]> = [
    [
      'an oversized length',
      (p) => p.raw.write(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 7)),
      'PEER_WIRE_MESSAGE_TOO_LARGE',
    ],
    ['an unknown id', (p) => p.raw.write(Uint8Array.of(0, 0, 0, 1, 42)), 'PEER_WIRE_UNKNOWN_MESSAGE'],
    [
      'a piece larger than a block',
      (p) => p.raw.write(Uint8Array.of(0, 0, 0x40, 10, 7)),
      'PEER_WIRE_MESSAGE_TOO_LARGE',
    ],
    [
      'a bitfield of the wrong length',
      (p) => p.send({ type: 'bitfield', bits: new Uint8Array(3) }),
      'PEER_WIRE_BAD_BITFIELD',
    ],
    [
      'spare bits set',
      (p) => p.send({ type: 'bitfield', bits: Uint8Array.of(0, 0x01) }),
      'PEER_WIRE_BAD_BITFIELD',
    ],
    ['a have outside the torrent', (p) => p.send({ type: 'have', index: 10 }), 'PEER_WIRE_BAD_BITFIELD'],
    [
      'a request above 16 KiB',
      (p) => p.send({ type: 'request', index: 0, begin: 0, length: 16385 }),
      'PEER_WIRE_BAD_REQUEST',
    ],
    [
      'a request outside the piece',
      (p) => p.send({ type: 'request', index: 9, begin: 0, length: 200 }),
      'PEER_WIRE_BAD_REQUEST',
    ],
    [
      'a request outside the torrent',
      (p) => p.send({ type: 'request', index: 10, begin: 0, length: 1 }),
      'PEER_WIRE_BAD_REQUEST',
    ],
    [
      'an unrequested piece under fast',
      (p) => p.send({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(1) }),
      'PEER_WIRE_UNREQUESTED_PIECE',
    ],
    [
      'a late bitfield of the wrong length',
      (p) => {
        p.send({ type: 'have-none' })
        p.send({ type: 'bitfield', bits: new Uint8Array(3) })
      },
      'PEER_WIRE_BAD_BITFIELD',
    ],
    [
      'have-all without fast',
      (p) => p.send({ type: 'have-all' }),
      'PEER_WIRE_UNEXPECTED_MESSAGE',
      { fast: false },
    ],
    [
      'a reject without fast',
      (p) => p.send({ type: 'reject', index: 0, begin: 0, length: 1 }),
      'PEER_WIRE_UNEXPECTED_MESSAGE',
      { fast: false },
    ],
    [
      'a wrong-size choke',
      (p) => p.raw.write(Uint8Array.of(0, 0, 0, 2, 0, 0)),
      'PEER_WIRE_MESSAGE_TOO_LARGE',
    ],
    ['a short have', (p) => p.raw.write(Uint8Array.of(0, 0, 0, 3, 4, 0, 0)), 'PEER_WIRE_BAD_MESSAGE'],
    [
      'a short bitfield',
      (p) => p.send({ type: 'bitfield', bits: new Uint8Array(1) }),
      'PEER_WIRE_BAD_BITFIELD',
    ],
    [
      'an extended message without BEP 10',
      (p) => p.send({ type: 'extended', id: 0, payload: encode({}) }),
      'PEER_WIRE_UNEXPECTED_MESSAGE',
      { extended: false },
    ],
    [
      'a bad extended handshake',
      (p) => p.send({ type: 'extended', id: 0, payload: Buffer.from('i1e') }),
      'PEER_WIRE_BAD_EXTENDED',
    ],
    [
      'invalid bencode in the extended handshake',
      (p) => p.send({ type: 'extended', id: 0, payload: Buffer.from('d1:') }),
      'PEER_WIRE_BAD_EXTENDED',
    ],
    [
      'hashes nobody asked for',
      (p) =>
        p.send({
          type: 'hashes',
          piecesRoot: new Uint8Array(32),
          baseLayer: 0,
          index: 0,
          length: 2,
          proofLayers: 0,
          hashes: new Uint8Array(64),
        }),
      'PEER_WIRE_BAD_HASHES',
    ],
    [
      'a stream ending inside a message',
      (p) => {
        p.raw.write(Uint8Array.of(0, 0, 0, 5, 4, 0))
        p.raw.end()
      },
      'PEER_WIRE_BAD_MESSAGE',
    ],
  ]
  for (const [what, act, code, peer] of cases) {
    it(what, async () => {
      const p = rawPeer(torrent, peer)
      await p.handshake()
      act(p)
      const err = await p.closed
      expect(err).toBeInstanceOf(PeerWireError)
      expect(err?.code).toBe(code)
    })
  }

  it('without fast, an unrequested piece is ignored', async () => {
    const p = rawPeer(torrent, { fast: false })
    await p.handshake()
    p.send({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(1) })
    p.send({ type: 'unchoke' })
    await tick()
    expect(p.wire.destroyed).toBe(false)
    expect(p.wire.peerChoking).toBe(false)
    p.wire.destroy()
  })

  it('takes late availability messages (aria2 sends have-none, then a bitfield) as haves', async () => {
    const p = rawPeer(torrent)
    const haves: number[] = []
    p.wire.on('have', (i) => haves.push(i))
    await p.handshake()
    p.send({ type: 'have-none' })
    p.send({ type: 'have', index: 9 })
    p.send({ type: 'bitfield', bits: Uint8Array.of(0b1000_0000, 0b0100_0000) })
    await tick()
    expect(p.wire.destroyed).toBe(false)
    expect(haves).toEqual([9, 0])
    expect([0, 1, 8, 9].map((i) => p.wire.peerPieces.get(i))).toEqual([true, false, false, true])
    p.send({ type: 'have-all' })
    await tick()
    expect(haves).toEqual([9, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    p.wire.destroy()
  })

  it('checks a bitfield received before the piece count once it is known', async () => {
    const p = rawPeer({})
    await p.handshake()
    p.send({ type: 'bitfield', bits: new Uint8Array(5) })
    await tick()
    expect(p.wire.destroyed).toBe(false)
    p.wire.setTorrent(torrent)
    expect((await p.closed)?.code).toBe('PEER_WIRE_BAD_BITFIELD')
  })

  it('keeps a peer that said have-none or sent haves before the piece count was known', async () => {
    for (const first of [{ type: 'have-none' as const }, { type: 'have' as const, index: 9 }]) {
      const p = rawPeer({})
      await p.handshake()
      p.send(first)
      p.send({ type: 'have', index: 3 })
      await tick()
      p.wire.setTorrent(torrent)
      expect(p.wire.destroyed).toBe(false)
      expect(p.wire.peerPieces.buffer.length).toBe(2)
      expect([...Array(10).keys()].filter((i) => p.wire.peerPieces.get(i))).toEqual(
        first.type === 'have' ? [3, 9] : [3],
      )
      p.wire.destroy()
    }
  })

  it('closes a peer whose early haves name a piece beyond the count', async () => {
    const p = rawPeer({})
    await p.handshake()
    p.send({ type: 'have', index: 12 })
    await tick()
    p.wire.setTorrent(torrent)
    expect((await p.closed)?.code).toBe('PEER_WIRE_BAD_BITFIELD')
  })
})

describe('keep-alive, idle and flow control', () => {
  it('sends keep-alives and closes an idle peer', async () => {
    const p = rawPeer({ keepAliveInterval: 20, idleTimeout: 500 })
    await p.handshake()
    const err = await p.closed
    expect(err?.code).toBe('PEER_WIRE_IDLE_TIMEOUT')
    expect(p.sentMessages().filter((m) => m.type === 'keep-alive').length).toBeGreaterThan(0)
  })

  it('pause() stops reading, resume() continues', async () => {
    const p = rawPeer(torrent)
    await p.handshake()
    p.wire.pause()
    p.send({ type: 'unchoke' })
    await new Promise((r) => setTimeout(r, 20))
    expect(p.wire.peerChoking).toBe(true)
    p.wire.resume()
    await new Promise((r) => setTimeout(r, 20))
    expect(p.wire.peerChoking).toBe(false)
    p.wire.destroy()
  })

  it('piece() reports a full transport and stops reading past maxWriteBuffer', async () => {
    const { Duplex } = await import('node:stream')
    const { encodeHandshake, encodeMessage, Wire } = await import('@p2p/peer-wire')
    // A transport that never drains what we write.
    const stuck = new Duplex({ read() {}, write() {}, highWaterMark: 1024 })
    const wire = new Wire(stuck, { infoHash: INFO_HASH, peerId: PEER_A, ...torrent, maxWriteBuffer: 40_000 })
    wire.handshake()
    stuck.push(encodeHandshake({ infoHash: INFO_HASH, peerId: PEER_B, fast: true }))
    wire.unchoke()
    const pushRequest = (block: number) =>
      stuck.push(
        encodeMessage({ type: 'request', index: block >> 1, begin: (block & 1) * 16384, length: 16384 }),
      )
    const served: boolean[] = []
    wire.on('request', (r) => served.push(wire.piece(r.index, r.begin, new Uint8Array(r.length))))
    pushRequest(0)
    await new Promise((r) => setTimeout(r, 10))
    expect(served).toEqual([false])
    expect(wire.writable).toBe(false)
    pushRequest(1)
    pushRequest(2)
    await new Promise((r) => setTimeout(r, 10))
    expect(wire.destroyed).toBe(false)
    expect(stuck.isPaused()).toBe(true) // above maxWriteBuffer: reading stopped
    wire.destroy()
  })

  it('destroys on abort', async () => {
    const ac = new AbortController()
    const p = rawPeer({ signal: ac.signal })
    ac.abort()
    expect((await p.closed)?.code).toBe('PEER_WIRE_ABORTED')
  })
})
