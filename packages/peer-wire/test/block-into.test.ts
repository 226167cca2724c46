import { Duplex } from 'node:stream'
import {
  decodeMessage,
  encodeHandshake,
  encodeMessage,
  FrameParser,
  type Message,
  type MessageLimits,
  Wire,
} from '@p2p/peer-wire'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cut } from './arbitraries.js'
import { INFO_HASH, PEER_A, PEER_B, rawPeer, tick } from './helpers.js'

const limits: MessageLimits = {
  maxBlockLength: 1 << 16,
  maxBitfieldLength: 1024,
  maxExtendedLength: 4096,
  maxHashes: 600,
}
const block = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff)
const torrent = { pieceCount: 4, pieceLength: 65536, length: 4 * 65536 }

/**
 * Parses `chunks` with targets for the blocks of `targets` (key `index:begin`), reusing each chunk's
 * memory after its push when `transient` (as a socket read buffer would).
 */
function parse(chunks: Uint8Array[], targets: Map<string, Uint8Array>, transient: boolean) {
  const pieces: { index: number; begin: number; block: Uint8Array; copy: Buffer }[] = []
  const frames: Message[] = []
  const parser = new FrameParser(
    {
      maxFrame: () => {},
      onHandshake: () => {},
      onFrame: (f) => frames.push(decodeMessage(f, limits)),
      onPiece: (index, begin, b) => pieces.push({ index, begin, block: b, copy: Buffer.from(b) }),
      pieceTarget: (index, begin) => targets.get(`${index}:${begin}`),
    },
    false,
  )
  for (const c of chunks) {
    const mine = transient ? Uint8Array.from(c) : c
    parser.push(mine, transient)
    if (transient) mine.fill(0xee)
  }
  return { pieces, frames, parser }
}

describe('frame parser: blocks into caller buffers', () => {
  const msgs: Message[] = [
    { type: 'piece', index: 0, begin: 0, block: block(3000, 1) },
    { type: 'have', index: 3 },
    { type: 'piece', index: 0, begin: 3000, block: block(5000, 2) },
    { type: 'piece', index: 1, begin: 0, block: block(700, 3) },
    { type: 'extended', id: 3, payload: Uint8Array.of(1, 2, 3) },
  ]
  const whole = new Uint8Array(Buffer.concat(msgs.map(encodeMessage)))

  it('copies each block once into its target however the stream is cut, transient chunks or not (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 30 }), fc.boolean(), (points, transient) => {
        const target = new Uint8Array(8000)
        const targets = new Map([
          ['0:0', target.subarray(0, 3000)],
          ['0:3000', target.subarray(3000)],
        ])
        const { pieces, frames } = parse(cut(whole, points), targets, transient)
        expect(Buffer.from(target).equals(Buffer.concat([block(3000, 1), block(5000, 2)]))).toBe(true)
        expect(pieces).toHaveLength(3)
        expect(pieces[0]!.copy.equals(block(3000, 1))).toBe(true)
        expect(pieces[1]!.copy.equals(block(5000, 2))).toBe(true)
        expect(pieces[2]!.copy.equals(block(700, 3))).toBe(true)
        // Blocks with a target are handed over as the target itself.
        expect(pieces[0]!.block).toBe(targets.get('0:0'))
        expect(pieces[1]!.block).toBe(targets.get('0:3000'))
        // Nothing handed out is a view of a transient chunk (they were overwritten after each push).
        expect(Buffer.from(pieces[2]!.block).equals(block(700, 3))).toBe(true)
        expect(frames).toEqual([
          { type: 'have', index: 3 },
          { type: 'extended', id: 3, payload: expect.anything() },
        ])
        expect([...(frames[1] as { payload: Uint8Array }).payload]).toEqual([1, 2, 3])
      }),
      { numRuns: 200 },
    )
  })

  it('byte by byte', () => {
    const target = new Uint8Array(3000)
    const { pieces } = parse(
      [...whole].map((b) => Uint8Array.of(b)),
      new Map([['0:0', target]]),
      true,
    )
    expect(pieces[0]!.block).toBe(target)
    expect([...target]).toEqual([...block(3000, 1)])
  })

  it('stops writing a target it was told to forget, and still hands the whole block over', () => {
    const target = new Uint8Array(3000)
    const pieces: Uint8Array[] = []
    const parser = new FrameParser(
      {
        maxFrame: () => {},
        onHandshake: () => {},
        onFrame: () => {},
        onPiece: (_i, _b, b) => pieces.push(b),
        pieceTarget: () => target,
      },
      false,
    )
    const frame = encodeMessage(msgs[0]!)
    parser.push(frame.subarray(0, 1013)) // header + 1000 bytes of the block
    parser.forget(target)
    target.fill(0)
    parser.push(frame.subarray(1013))
    expect(target.every((b) => b === 0)).toBe(true)
    expect(pieces[0]).not.toBe(target)
    expect([...pieces[0]!]).toEqual([...block(3000, 1)])
  })

  it('refuses a target of the wrong length', () => {
    const parser = new FrameParser(
      {
        maxFrame: () => {},
        onHandshake: () => {},
        onFrame: () => {},
        onPiece: () => {},
        pieceTarget: () => new Uint8Array(10),
      },
      false,
    )
    expect(() => parser.push(encodeMessage(msgs[0]!))).toThrow(RangeError)
  })
})

/** A wire whose transport never emits data: bytes are fed with `wire.receive` from a reused buffer. */
function receivingWire() {
  const sent: Uint8Array[] = []
  const stream = new Duplex({
    read() {},
    write(chunk, _enc, cb) {
      sent.push(chunk)
      cb()
    },
  })
  const wire = new Wire(stream, { infoHash: INFO_HASH, peerId: PEER_A, ...torrent })
  const buffer = new Uint8Array(1024)
  /** Feeds `bytes` through one reused 1 KiB buffer, overwriting it after each call. */
  const feed = (bytes: Uint8Array) => {
    for (let off = 0; off < bytes.length; off += buffer.length) {
      const n = Math.min(buffer.length, bytes.length - off)
      buffer.set(bytes.subarray(off, off + n))
      wire.receive(buffer.subarray(0, n))
      buffer.fill(0xee)
    }
  }
  return { wire, feed, sent }
}

describe('Wire: request into a caller buffer, bytes fed by the caller', () => {
  it('resolves with the caller buffer, the block copied straight into it', async () => {
    const { wire, feed } = receivingWire()
    wire.handshake()
    feed(encodeHandshake({ infoHash: INFO_HASH, peerId: PEER_B, fast: true, extended: false }))
    feed(encodeMessage({ type: 'have-all' }))
    feed(encodeMessage({ type: 'unchoke' }))
    const piece = new Uint8Array(65536)
    const into = piece.subarray(16384, 32768)
    const other = wire.request(0, 0, 16384) // no target: a copy of its own
    const p = wire.request(0, 16384, 16384, { into })
    feed(encodeMessage({ type: 'piece', index: 0, begin: 16384, block: block(16384, 5) }))
    feed(encodeMessage({ type: 'piece', index: 0, begin: 0, block: block(16384, 6) }))
    const got = await p
    expect(got).toBe(into)
    expect([...into]).toEqual([...block(16384, 5)])
    expect([...(await other)]).toEqual([...block(16384, 6)])
    expect(piece.subarray(0, 16384).every((b) => b === 0)).toBe(true)
    expect(wire.downloaded).toBe(32768)
    wire.destroy()
  })

  it('leaves the buffer alone once the request is cancelled mid-block', async () => {
    const p = rawPeer(torrent)
    await p.handshake()
    p.send({ type: 'have-all' })
    p.send({ type: 'unchoke' })
    await tick()
    const into = new Uint8Array(16384)
    const req = p.wire.request(1, 0, 16384, { into })
    const rejected = expect(req).rejects.toMatchObject({ code: 'PEER_WIRE_CANCELLED' })
    await tick()
    const frame = encodeMessage({ type: 'piece', index: 1, begin: 0, block: block(16384, 9) })
    p.raw.write(frame.subarray(0, 5000))
    await tick()
    expect([...into.subarray(0, 4987)]).toEqual([...block(4987, 9)])
    p.wire.cancel(1, 0)
    await rejected
    into.fill(1)
    p.raw.write(frame.subarray(5000)) // the fast extension answers the cancelled request anyway
    await tick()
    expect(into.every((b) => b === 1)).toBe(true)
    expect(p.wire.destroyed).toBe(false)
    p.wire.destroy()
  })

  it('closes on a block of another length than requested without touching the buffer', async () => {
    const p = rawPeer(torrent)
    await p.handshake()
    p.send({ type: 'have-all' })
    p.send({ type: 'unchoke' })
    await tick()
    const into = new Uint8Array(16384)
    const req = p.wire.request(1, 0, 16384, { into })
    const failed = expect(req).rejects.toMatchObject({ code: 'PEER_WIRE_BAD_MESSAGE' })
    p.send({ type: 'piece', index: 1, begin: 0, block: block(16000, 3) })
    expect(await p.closed).toMatchObject({ code: 'PEER_WIRE_BAD_MESSAGE' })
    await failed
    expect(into.every((b) => b === 0)).toBe(true)
  })

  it('refuses an into buffer of the wrong length', async () => {
    const p = rawPeer(torrent)
    await p.handshake()
    p.send({ type: 'have-all' })
    p.send({ type: 'unchoke' })
    await tick()
    await expect(p.wire.request(1, 0, 16384, { into: new Uint8Array(100) })).rejects.toBeInstanceOf(
      RangeError,
    )
    p.wire.destroy()
  })
})

describe('Wire.requestBlock (no promise per block) and batched requests', () => {
  it('calls back once per block, throws at once when it cannot send, and keeps message order', async () => {
    const p = rawPeer(torrent)
    await p.handshake()
    const calls: [string | undefined, number[] | undefined, number, number][] = []
    const done = (
      err: { code: string } | undefined,
      b: Uint8Array | undefined,
      req: { index: number; begin: number },
    ) => calls.push([err?.code, b && [...b.subarray(0, 2)], req.index, req.begin])
    expect(() => p.wire.requestBlock(0, 0, 16384, undefined, done)).toThrow(/choking/)
    p.send({ type: 'have-all' })
    p.send({ type: 'unchoke' })
    await tick()
    const into = new Uint8Array(16384)
    for (let i = 0; i < 100; i++)
      p.wire.requestBlock(i % 4, (i >> 2) * 16384, 16384, i === 0 ? into : undefined, done)
    p.wire.cancel(3, 0)
    p.wire.have(2)
    await tick()
    const sent = p.sentMessages().filter((m) => m.type !== 'extended')
    // 100 requests (more than one batch buffer), then the cancel and the have, in the order sent.
    expect(sent.slice(0, 100).every((m) => m.type === 'request')).toBe(true)
    expect(sent.slice(0, 3)).toEqual([
      { type: 'request', index: 0, begin: 0, length: 16384 },
      { type: 'request', index: 1, begin: 0, length: 16384 },
      { type: 'request', index: 2, begin: 0, length: 16384 },
    ])
    expect(sent.slice(100)).toEqual([
      { type: 'cancel', index: 3, begin: 0, length: 16384 },
      { type: 'have', index: 2 },
    ])
    expect(calls).toEqual([['PEER_WIRE_CANCELLED', undefined, 3, 0]])
    p.send({ type: 'piece', index: 0, begin: 0, block: block(16384, 4) })
    await tick()
    expect(calls[1]).toEqual([undefined, [...block(2, 4)], 0, 0])
    expect(into.subarray(0, 2)).toEqual(block(2, 4))
    p.wire.destroy()
    // Every other request ends with the close.
    expect(calls).toHaveLength(100)
    expect(calls.slice(2).every(([code]) => code === 'PEER_WIRE_CLOSED')).toBe(true)
  })
})
