import { createHash } from 'node:crypto'
import { decodePrefix, encode } from '@p2p/bencode'
import type { HashRequest, PexMessage, Wire, WireExtension } from '@p2p/peer-wire'
import { waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { once, rawPeer, tick, wirePair } from './helpers.js'

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest()

/** A bencoded info dict of about `size` bytes and its SHA-1. */
function makeInfo(size: number): { info: Uint8Array; hash: Uint8Array } {
  const info = encode({ length: 1, name: 'x', 'piece length': 16384, pieces: new Uint8Array(size).fill(3) })
  return { info, hash: sha1(info) }
}

async function extPair(a: Parameters<typeof wirePair>[0] = {}, b: Parameters<typeof wirePair>[1] = {}) {
  const [wa, wb] = await wirePair(a, b)
  const both = Promise.all([once(wa, 'extended-handshake'), once(wb, 'extended-handshake')])
  await both
  return [wa, wb] as const
}

describe('ut_metadata (BEP 9)', () => {
  it('fetches multi-piece metadata, verified against the info hash', async () => {
    const { info, hash } = makeInfo(40_000)
    const [a, b] = await wirePair({ infoHash: hash }, { infoHash: hash, metadata: info })
    const got = await a.fetchMetadata()
    expect(Buffer.from(got).equals(Buffer.from(info))).toBe(true)
    expect(a.peerExtended?.metadataSize).toBe(info.length)
    // and a wire that fetched it now serves it
    expect(await a.fetchMetadata()).toBe(got)
    a.destroy()
    b.destroy()
  })

  it('rejects metadata that does not hash to the info hash', async () => {
    const { info } = makeInfo(100)
    const [a] = await wirePair({}, { metadata: info })
    await expect(a.fetchMetadata()).rejects.toMatchObject({ code: 'PEER_WIRE_METADATA_MISMATCH' })
    a.destroy()
  })

  it('verifies a v2 (SHA-256) info hash too', async () => {
    const { info } = makeInfo(100)
    const v2 = createHash('sha256').update(info).digest()
    const [a] = await wirePair(
      { infoHash: v2.subarray(0, 20), infoHashV2: v2 },
      { infoHash: v2.subarray(0, 20), metadata: info },
    )
    expect(Buffer.from(await a.fetchMetadata()).equals(Buffer.from(info))).toBe(true)
    a.destroy()
  })

  it('says when the peer has no metadata, or too much', async () => {
    const [a] = await extPair()
    await expect(a.fetchMetadata()).rejects.toMatchObject({ code: 'PEER_WIRE_NOT_SUPPORTED' })
    a.destroy()
    const { info, hash } = makeInfo(5000)
    const [c] = await wirePair({ infoHash: hash, maxMetadataSize: 1000 }, { infoHash: hash, metadata: info })
    await expect(c.fetchMetadata()).rejects.toMatchObject({ code: 'PEER_WIRE_METADATA_TOO_LARGE' })
    c.destroy()
  })

  it('fails on a reject from the peer', async () => {
    const p = rawPeer({})
    await p.handshake()
    p.send({ type: 'extended', id: 0, payload: encode({ m: { ut_metadata: 3 }, metadata_size: 100 }) })
    await tick()
    const fetching = p.wire.fetchMetadata()
    await tick()
    const request = p.sentMessages().find((m) => m.type === 'extended' && m.id === 3)
    expect(request).toBeDefined()
    p.send({ type: 'extended', id: 2, payload: encode({ msg_type: 2, piece: 0 }) })
    await expect(fetching).rejects.toMatchObject({ code: 'PEER_WIRE_METADATA_REJECTED' })
    p.wire.destroy()
  })

  it('rejects requests for pieces it does not have', async () => {
    const p = rawPeer({ metadata: makeInfo(100).info })
    await p.handshake()
    p.send({ type: 'extended', id: 0, payload: encode({ m: { ut_metadata: 3 } }) })
    p.send({ type: 'extended', id: 2, payload: encode({ msg_type: 0, piece: 5 }) })
    p.send({ type: 'extended', id: 2, payload: encode({ msg_type: 0, piece: 0 }) })
    await tick()
    const answers = p
      .sentMessages()
      .filter((m) => m.type === 'extended' && m.id === 3)
      .map((m) => decodePrefix((m as { payload: Uint8Array }).payload, { strict: false }).value as never)
      .map((d: { msg_type: number; piece: number }) => [d.msg_type, d.piece])
    expect(answers).toEqual([
      [2, 5],
      [1, 0],
    ])
    p.wire.destroy()
  })

  it('closes on a malformed ut_metadata message', async () => {
    const p = rawPeer({})
    await p.handshake()
    p.send({ type: 'extended', id: 2, payload: Buffer.from('d8:msg_typei0ee') })
    expect((await p.closed)?.code).toBe('PEER_WIRE_BAD_EXTENDED')
  })
})

describe('ut_pex (BEP 11)', () => {
  it('sends added peers with flags and dropped peers, IPv4 and IPv6', async () => {
    const [a, b] = await extPair()
    const got = once<PexMessage>(b, 'pex')
    a.sendPex({
      added: [
        { host: '10.0.0.1', port: 6881, flags: 0x10 },
        { host: '2001:db8::1', port: 51413, flags: 0x02 },
      ],
    })
    const m = await got
    expect(m.added).toEqual([
      { host: '10.0.0.1', port: 6881, flags: 0x10 },
      { host: '2001:db8::1', port: 51413, flags: 0x02 },
    ])
    expect(m.dropped).toEqual([])
    a.destroy()
  })

  it('batches to one message per interval, elides transient peers, and caps later messages at 50', async () => {
    const [a, b] = await extPair({ pexInterval: 300 }, { pexInterval: 300 })
    const messages: PexMessage[] = []
    b.on('pex', (m) => messages.push(m))
    const peers = Array.from({ length: 70 }, (_, i) => ({ host: `10.0.1.${i}`, port: 1000 + i }))
    a.sendPex({ added: peers.slice(0, 60) }) // first message: no cap
    await waitFor(() => messages.length >= 1, 5000, 'first pex message')
    expect(messages).toHaveLength(1)
    expect(messages[0]!.added).toHaveLength(60)
    a.sendPex({ added: peers.slice(60) })
    a.sendPex({ dropped: [peers[69]!] }) // added and dropped before being sent: elided
    a.sendPex({ dropped: peers.slice(0, 55) })
    await tick()
    expect(messages).toHaveLength(1) // rate limited
    await waitFor(() => messages.length >= 2, 5000, 'second pex message')
    expect(messages[1]!.added).toHaveLength(9)
    expect(messages[1]!.dropped).toHaveLength(50)
    await waitFor(() => messages.length >= 3, 5000, 'third pex message')
    expect(messages[2]!.dropped).toHaveLength(5)
    a.destroy()
  })

  it('ignores peer messages that come too often', async () => {
    const p = rawPeer({ pexInterval: 60_000 })
    await p.handshake()
    const seen: PexMessage[] = []
    p.wire.on('pex', (m) => seen.push(m))
    const msg = encode({ added: Uint8Array.of(10, 0, 0, 1, 0x1a, 0xe1) })
    p.send({ type: 'extended', id: 1, payload: msg })
    p.send({ type: 'extended', id: 1, payload: msg })
    await tick()
    expect(seen).toHaveLength(1)
    expect(seen[0]!.added).toEqual([{ host: '10.0.0.1', port: 6881, flags: 0 }])
    p.wire.destroy()
  })

  it('closes on a bad compact list', async () => {
    const p = rawPeer({})
    await p.handshake()
    p.send({ type: 'extended', id: 1, payload: encode({ added: new Uint8Array(7) }) })
    expect((await p.closed)?.code).toBe('PEER_WIRE_BAD_EXTENDED')
  })
})

describe('lt_donthave (BEP 54)', () => {
  it('clears the piece and emits donthave', async () => {
    const torrent = { pieceCount: 16 }
    const [a, b] = await extPair(torrent, torrent)
    const ha = once(a, 'have-all')
    b.haveAll()
    await ha
    expect(a.peerPieces.get(5)).toBe(true)
    const d = once<number>(a, 'donthave')
    expect(b.donthave(5)).toBe(true)
    expect(await d).toBe(5)
    expect(a.peerPieces.get(5)).toBe(false)
    a.destroy()
  })

  it('is refused when the peer does not support it', async () => {
    const [a, b] = await extPair({}, { extensions: { ltDonthave: false } })
    expect(a.donthave(1)).toBe(false)
    a.destroy()
    void b
  })
})

describe('BEP 52 hash messages', () => {
  const req: HashRequest = {
    piecesRoot: new Uint8Array(32).fill(4),
    baseLayer: 0,
    index: 4,
    length: 4,
    proofLayers: 2,
  }

  it('answers a hash request with hashes', async () => {
    const [a, b] = await wirePair()
    b.on('hash-request', (r) =>
      b.hashes(
        r,
        Array.from({ length: r.length + 1 }, (_, i) => new Uint8Array(32).fill(i)),
      ),
    )
    const got = await a.hashRequest(req)
    expect(got.hashes.length).toBe(5 * 32)
    expect(got.index).toBe(4)
    a.destroy()
  })

  it('rejects: by the peer, automatically when nobody listens, and for invalid requests', async () => {
    const [a, b] = await wirePair()
    await expect(a.hashRequest(req)).rejects.toMatchObject({ code: 'PEER_WIRE_HASH_REJECTED' })
    b.on('hash-request', (r) => b.hashReject(r))
    await expect(a.hashRequest(req)).rejects.toMatchObject({ code: 'PEER_WIRE_HASH_REJECTED' })
    await expect(a.hashRequest({ ...req, length: 3 })).rejects.toBeInstanceOf(RangeError)
    await expect(a.hashRequest({ ...req, index: 2 })).rejects.toBeInstanceOf(RangeError)
    a.destroy()
  })

  it('auto-rejects an invalid peer request and closes on hashes that do not fit the request', async () => {
    const p = rawPeer({})
    await p.handshake()
    p.wire.on('hash-request', () => {})
    p.send({ type: 'hash-request', ...req, length: 3 })
    await tick()
    expect(p.sentMessages().at(-1)?.type).toBe('hash-reject')
    const pending = p.wire.hashRequest(req)
    p.send({ type: 'hashes', ...req, hashes: new Uint8Array(32 * 2) })
    await expect(pending).rejects.toMatchObject({ code: 'PEER_WIRE_BAD_HASHES' })
    expect((await p.closed)?.code).toBe('PEER_WIRE_BAD_HASHES')
  })
})

describe('extension registry (BEP 10)', () => {
  it('routes a custom extension both ways', async () => {
    const received: string[] = []
    const make = (w: Wire): WireExtension => ({
      name: 'x_echo',
      handshakeFields: () => ({ x_echo_version: 1 }),
      onMessage: (payload) => {
        received.push(Buffer.from(payload).toString())
        if (received.length < 2) w.sendExtended('x_echo', Buffer.from('pong'))
      },
    })
    const [a, b] = await wirePair()
    a.use(make(a))
    b.use(make(b))
    // the registry must be complete before the extended handshake goes out: it is sent after the handshake tick
    await Promise.all([once(a, 'extended-handshake'), once(b, 'extended-handshake')])
    expect(a.peerSupports('x_echo')).toBe(true)
    expect(a.peerExtended?.raw.x_echo_version).toBe(1)
    a.sendExtended('x_echo', Buffer.from('ping'))
    await tick()
    expect(received).toEqual(['ping', 'pong'])
    expect(() => a.sendExtended('x_nope', new Uint8Array())).toThrow(/does not support/)
    a.destroy()
  })
})
