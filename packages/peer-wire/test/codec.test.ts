import {
  decodeHandshake,
  decodeMessage,
  encodeHandshake,
  encodeMessage,
  FrameParser,
  type Message,
  type MessageLimits,
  PeerWireError,
} from '@p2p/peer-wire'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bytes, cut, messageArb } from './arbitraries.js'

const limits: MessageLimits = {
  maxBlockLength: 16384,
  maxBitfieldLength: 1024,
  maxExtendedLength: 4096,
  maxHashes: 600,
}

/** Byte fields as plain arrays (decoded fields may be Buffers or Uint8Arrays, views or copies). */
const normalize = (m: object) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v instanceof Uint8Array ? [...v] : v]))

function parseAll(chunks: Uint8Array[], withHandshake: boolean, pieces = false) {
  const out: unknown[] = []
  const parser = new FrameParser(
    {
      maxFrame: () => {},
      onHandshake: (h) => out.push(normalize({ type: 'handshake', ...decodeHandshake(h) } as never)),
      onFrame: (f) => out.push(normalize(decodeMessage(f, limits))),
      // with onPiece, piece messages take the zero-copy path: the result must be the same
      onPiece: pieces
        ? (index, begin, block) => out.push(normalize({ type: 'piece', index, begin, block }))
        : undefined,
    },
    withHandshake,
  )
  for (const c of chunks) parser.push(c)
  return out
}

describe('message codec', () => {
  it('round-trips every message (property)', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const encoded = encodeMessage(m)
        const length = new DataView(encoded.buffer, encoded.byteOffset).getUint32(0)
        expect(length).toBe(encoded.length - 4)
        expect(normalize(decodeMessage(encoded.subarray(4), limits))).toEqual(normalize(m))
      }),
      { numRuns: 2000 },
    )
  })

  it('encodes the spec examples', () => {
    expect([...encodeMessage({ type: 'have', index: 7 })]).toEqual([0, 0, 0, 5, 4, 0, 0, 0, 7])
    expect([...encodeMessage({ type: 'have-all' })]).toEqual([0, 0, 0, 1, 0x0e])
    expect([...encodeMessage({ type: 'have-none' })]).toEqual([0, 0, 0, 1, 0x0f])
    expect([...encodeMessage({ type: 'allowed-fast', index: 1 })]).toEqual([0, 0, 0, 5, 0x11, 0, 0, 0, 1])
    expect([...encodeMessage({ type: 'keep-alive' })]).toEqual([0, 0, 0, 0])
    expect(
      encodeMessage({
        type: 'hash-request',
        piecesRoot: new Uint8Array(32),
        baseLayer: 0,
        index: 0,
        length: 2,
        proofLayers: 0,
      }).length,
    ).toBe(4 + 49)
  })

  it('rejects out-of-range fields when encoding', () => {
    expect(() => encodeMessage({ type: 'have', index: -1 })).toThrow(RangeError)
    expect(() => encodeMessage({ type: 'port', port: 70000 })).toThrow(RangeError)
    expect(() =>
      encodeMessage({
        type: 'hashes',
        piecesRoot: new Uint8Array(31),
        baseLayer: 0,
        index: 0,
        length: 2,
        proofLayers: 0,
        hashes: new Uint8Array(64),
      }),
    ).toThrow(RangeError)
  })

  it('round-trips the handshake and its reserved bits', () => {
    fc.assert(
      fc.property(
        bytes(20, 20),
        bytes(20, 20),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (ih, id, fast, extended, dht, v2Upgrade) => {
          const h = decodeHandshake(
            encodeHandshake({ infoHash: ih, peerId: id, fast, extended, dht, v2Upgrade }),
          )
          expect(h).toMatchObject({ fast, extended, dht, v2Upgrade })
          expect([...h.infoHash]).toEqual([...ih])
          expect([...h.peerId]).toEqual([...id])
        },
      ),
    )
    const hs = encodeHandshake({
      infoHash: new Uint8Array(20),
      peerId: new Uint8Array(20),
      fast: true,
      extended: true,
      dht: true,
      v2Upgrade: true,
    })
    expect([...hs.subarray(20, 28)]).toEqual([0, 0, 0, 0, 0, 0x10, 0, 0x15])
  })
})

describe('frame parser', () => {
  it('parses a stream cut at random points the same as whole (property)', () => {
    const handshake = encodeHandshake({
      infoHash: new Uint8Array(20).fill(1),
      peerId: new Uint8Array(20).fill(2),
      fast: true,
    })
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (msgs, points) => {
          const whole = new Uint8Array(Buffer.concat([handshake, ...msgs.map(encodeMessage)]))
          const expected = parseAll([whole], true)
          expect(parseAll(cut(whole, points), true)).toEqual(expected)
          expect(parseAll(cut(whole, points), true, true)).toEqual(expected)
          expect(expected).toHaveLength(msgs.length + 1)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('parses a stream split at every byte offset and byte by byte', () => {
    const msgs: Message[] = [
      { type: 'bitfield', bits: new Uint8Array([0xff, 0x80]) },
      { type: 'keep-alive' },
      { type: 'piece', index: 1, begin: 16384, block: new Uint8Array(100).fill(9) },
      { type: 'extended', id: 0, payload: new Uint8Array([100, 101]) },
    ]
    const whole = new Uint8Array(Buffer.concat(msgs.map(encodeMessage)))
    const expected = parseAll([whole], false)
    for (const pieces of [false, true]) {
      for (let i = 0; i <= whole.length; i++) {
        expect(parseAll([whole.subarray(0, i), whole.subarray(i)], false, pieces)).toEqual(expected)
      }
      const bytewise = [...whole].map((b) => Uint8Array.of(b))
      expect(parseAll(bytewise, false, pieces)).toEqual(expected)
    }
  })

  it('checks the frame limit before buffering a partial frame', () => {
    let allocatedFor = -1
    const parser = new FrameParser(
      {
        maxFrame: (id, length) => {
          allocatedFor = length
          if (length > 100) throw new PeerWireError('PEER_WIRE_MESSAGE_TOO_LARGE', `${id}`)
        },
        onHandshake: () => {},
        onFrame: () => {},
      },
      false,
    )
    expect(() => parser.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).not.toThrow() // waiting for the id byte
    expect(() => parser.push(Uint8Array.of(7))).toThrow(PeerWireError)
    expect(allocatedFor).toBe(0xffffffff)
    expect(parser.buffered).toBeLessThanOrEqual(5)
  })

  it('refuses a non-BitTorrent handshake from its first byte', () => {
    const parser = new FrameParser({ maxFrame: () => {}, onHandshake: () => {}, onFrame: () => {} })
    expect(() => parser.push(Uint8Array.of(18))).toThrow(/not a BitTorrent handshake/)
    const p2 = new FrameParser({ maxFrame: () => {}, onHandshake: () => {}, onFrame: () => {} })
    expect(() => p2.push(Buffer.from('\x13BitTorrent protocoX'))).toThrow(PeerWireError)
  })
})

describe('decodeMessage on hostile frames', () => {
  const code = (f: number[]) => {
    try {
      decodeMessage(Uint8Array.from(f), limits)
      return 'ok'
    } catch (err) {
      return (err as PeerWireError).code
    }
  }
  it('gives coded errors', () => {
    expect(code([99])).toBe('PEER_WIRE_UNKNOWN_MESSAGE')
    expect(code([0, 1])).toBe('PEER_WIRE_MESSAGE_TOO_LARGE')
    expect(code([4, 0, 0])).toBe('PEER_WIRE_BAD_MESSAGE')
    expect(code([7, 0, 0, 0])).toBe('PEER_WIRE_BAD_MESSAGE')
    expect(code([20])).toBe('PEER_WIRE_BAD_MESSAGE')
    expect(code([22, ...new Array(48).fill(0), 1])).toBe('PEER_WIRE_BAD_MESSAGE')
    expect(code([7, ...new Array(8 + 16385).fill(0)])).toBe('PEER_WIRE_MESSAGE_TOO_LARGE')
  })

  it('never throws anything but a PeerWireError (property)', () => {
    fc.assert(
      fc.property(bytes(0, 200), (f) => {
        try {
          decodeMessage(f, limits)
        } catch (err) {
          expect(err).toBeInstanceOf(PeerWireError)
        }
      }),
      { numRuns: 3000 },
    )
  })
})
