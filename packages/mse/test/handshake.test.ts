import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  MseHandshake,
  type MseHandshakeOptions,
  REQ1_SYNC_LIMIT,
  VC_SYNC_LIMIT,
} from '@p2p/mse'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  BOTH,
  initiatorOptions,
  lookup,
  OTHER_SKEY,
  RawInitiator,
  RawResponder,
  responderOptions,
  SKEY,
  transcript,
} from './helpers.js'

const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex')
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'))
const code = (c: string) => expect.objectContaining({ code: c })

/**
 * Feeds a fresh core the given pieces as a shell would (pieces after the end go through the result's
 * decryptor); returns the core, what it sent, and the whole payload it received.
 */
function feed(
  opts: MseHandshakeOptions,
  pieces: Uint8Array[],
): { core: MseHandshake; sent: string; payload: string } {
  const core = new MseHandshake(opts)
  let sent = hex(core.takeOutput())
  const after: Uint8Array[] = []
  for (const p of pieces) {
    const r = core.result
    if (r) after.push(r.decrypt ? r.decrypt.update(p, new Uint8Array(p.length)) : p)
    else {
      core.receive(p)
      sent += hex(core.takeOutput())
    }
  }
  const payload = core.result ? hex(Buffer.concat([core.result.payload, ...after])) : ''
  return { core, sent, payload }
}

describe('MseHandshake between two cores', () => {
  it('agrees on RC4 when both allow it, and carries IA and the payload both ways', () => {
    const ia = bytes('\x13BitTorrent protocol and the rest of a handshake')
    const t = transcript(
      initiatorOptions(1, { initialPayload: ia }),
      responderOptions(2),
      bytes('from A'),
      bytes('from B'),
    )
    expect(t.a.method).toBe('rc4')
    expect(t.b.method).toBe('rc4')
    expect(hex(t.b.skey)).toBe(hex(SKEY))
    // B got IA as part of A's stream; the payloads were not on the wire in clear.
    const b = feed(responderOptions(2), [t.a2b]).core.result!
    expect(Buffer.from(b.payload).toString('latin1')).toBe(`${Buffer.from(ia).toString('latin1')}from A`)
    expect(Buffer.from(t.a2b).includes(Buffer.from('from A'))).toBe(false)
    expect(
      Buffer.from(feed(initiatorOptions(1, { initialPayload: ia }), [t.b2a]).core.result!.payload).toString(),
    ).toBe('from B')
  })

  it('selects plaintext when one side allows only plaintext; what follows is in clear', () => {
    const t = transcript(
      initiatorOptions(3),
      responderOptions(4, { allowed: CRYPTO_PLAINTEXT }),
      bytes('clear A'),
      bytes('clear B'),
    )
    expect([t.a.method, t.b.method]).toEqual(['plaintext', 'plaintext'])
    expect(t.a.encrypt).toBeUndefined()
    expect(Buffer.from(t.a2b).subarray(-7).toString()).toBe('clear A')
    expect(Buffer.from(t.b2a).subarray(-7).toString()).toBe('clear B')
  })

  it('prefers RC4 when both methods are allowed, and a per-SKEY policy restricts it', () => {
    const t = transcript(
      initiatorOptions(5),
      responderOptions(6, { allowed: (k) => (hex(k) === hex(SKEY) ? CRYPTO_PLAINTEXT : BOTH) }),
      new Uint8Array(0),
      new Uint8Array(0),
    )
    expect(t.b.method).toBe('plaintext')
  })

  it('takes an IA of every allowed length, up to 65535 bytes, with plaintext after it', () => {
    for (const length of [0, 1, 68, 4096, 65535]) {
      const ia = new Uint8Array(length).map((_, i) => (i * 31) & 255)
      const t = transcript(
        initiatorOptions(3, { initialPayload: ia }),
        responderOptions(4, { allowed: CRYPTO_PLAINTEXT }),
        bytes('then A'),
        bytes('then B'),
      )
      expect(t.b.method).toBe('plaintext')
      const b = feed(responderOptions(4, { allowed: CRYPTO_PLAINTEXT }), [t.a2b])
      expect(b.payload).toBe(hex(Buffer.concat([ia, bytes('then A')])))
    }
  })

  it('gives the same result and the same answer however the bytes are split (every offset, both roles)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.constantFrom(BOTH, CRYPTO_PLAINTEXT),
        (seedA, seedB, ia, allowedB) => {
          const aOpts = () => initiatorOptions(seedA, { initialPayload: ia })
          const bOpts = () => responderOptions(seedB, { allowed: allowedB })
          const t = transcript(aOpts(), bOpts(), bytes('payload of A'), bytes('payload of B'))
          const whole = feed(bOpts(), [t.a2b])
          for (let k = 0; k <= t.a2b.length; k++) {
            const split = feed(bOpts(), [t.a2b.subarray(0, k), t.a2b.subarray(k)])
            expect(split.sent).toBe(whole.sent)
            expect(split.payload).toBe(whole.payload)
          }
          expect(whole.payload).toBe(hex(Buffer.concat([ia, bytes('payload of A')])))
          const wholeA = feed(aOpts(), [t.b2a])
          expect(Buffer.from(wholeA.core.result!.payload).toString()).toBe('payload of B')
          for (let k = 0; k <= t.b2a.length; k++) {
            const split = feed(aOpts(), [t.b2a.subarray(0, k), t.b2a.subarray(k)])
            expect(split.sent).toBe(wholeA.sent)
            expect(split.core.result!.method).toBe(allowedB === BOTH ? 'rc4' : 'plaintext')
            expect(split.payload).toBe(wholeA.payload)
          }
        },
      ),
      { numRuns: 6 },
    )
  })

  it('gives the same result when the bytes arrive one at a time', () => {
    const t = transcript(initiatorOptions(7), responderOptions(8), bytes('A'), bytes('B'))
    const one = (s: Uint8Array) => Array.from(s, (_, i) => s.subarray(i, i + 1))
    expect(feed(responderOptions(8), one(t.a2b)).payload).toBe(hex(bytes('A')))
    expect(feed(initiatorOptions(7), one(t.b2a)).payload).toBe(hex(bytes('B')))
  })
})

describe('MseHandshake against hostile peers (responder side)', () => {
  /** B's answer to a raw A, and a function that feeds B the third message. */
  function against(raw: RawInitiator, pad = 0, opts: Partial<MseHandshakeOptions> = {}) {
    const b = new MseHandshake(responderOptions(11, opts))
    b.receive(raw.hello(pad))
    const yb = b.takeOutput()!.subarray(0, 96)
    return { b, yb }
  }

  it('accepts an independent initiator (the raw one) with a maximal PadA and PadC', () => {
    const raw = new RawInitiator()
    const { b, yb } = against(raw, 512)
    b.receive(raw.third(yb, { padC: 512, ia: bytes('hi'), provide: CRYPTO_RC4 }))
    expect(b.result?.method).toBe('rc4')
    expect(Buffer.from(b.result!.payload).toString()).toBe('hi')
  })

  it('wrong VC: MSE_BAD_VC', () => {
    const raw = new RawInitiator()
    const { b, yb } = against(raw)
    expect(() => b.receive(raw.third(yb, { vc: new Uint8Array(8).fill(1) }))).toThrow(code('MSE_BAD_VC'))
  })

  it('wrong S hash: MSE_NO_SYNC once 628 bytes went by, not before', () => {
    const raw = new RawInitiator()
    const { b, yb } = against(raw)
    const third = raw.third(yb, { req1: new Uint8Array(20).fill(7) })
    b.receive(third) // 96 + third.length < 628: still scanning
    expect(b.result).toBeUndefined()
    expect(() => b.receive(new Uint8Array(REQ1_SYNC_LIMIT - 96 - third.length))).toThrow(code('MSE_NO_SYNC'))
  })

  it('PadA over 512 bytes: MSE_NO_SYNC', () => {
    const raw = new RawInitiator()
    const { b, yb } = against(raw, 513)
    expect(() => b.receive(raw.third(yb, {}))).toThrow(code('MSE_NO_SYNC'))
  })

  it('PadC over 512 bytes: MSE_BAD_PAD', () => {
    const raw = new RawInitiator()
    const { b, yb } = against(raw)
    expect(() => b.receive(raw.third(yb, { padC: 513 }))).toThrow(code('MSE_BAD_PAD'))
  })

  it('unknown torrent: MSE_UNKNOWN_TORRENT', () => {
    const raw = new RawInitiator()
    const { b, yb } = against(raw, 0, { findSkey: lookup(OTHER_SKEY) })
    expect(() => b.receive(raw.third(yb, {}))).toThrow(code('MSE_UNKNOWN_TORRENT'))
  })

  it('no common method (plaintext offered, RC4 required; or a zeroed bitfield): MSE_NO_COMMON_METHOD', () => {
    const raw = new RawInitiator()
    const { b, yb } = against(raw, 0, { allowed: CRYPTO_RC4 })
    expect(() => b.receive(raw.third(yb, { provide: CRYPTO_PLAINTEXT }))).toThrow(
      code('MSE_NO_COMMON_METHOD'),
    )
    const raw2 = new RawInitiator()
    const c = against(raw2)
    expect(() => c.b.receive(raw2.third(c.yb, { provide: 0x100 }))).toThrow(code('MSE_NO_COMMON_METHOD'))
  })

  it('truncated DH key: no answer and no result, however long it waits', () => {
    const b = new MseHandshake(responderOptions(12))
    b.receive(new RawInitiator().hello().subarray(0, 95))
    expect(b.takeOutput()).toBeUndefined()
    expect(b.result).toBeUndefined()
  })

  it('a public key of 0, 1 or P-1: MSE_BAD_KEY', () => {
    const pMinus1 = Buffer.from(
      'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090562',
      'hex',
    )
    const one = Buffer.alloc(96)
    one[95] = 1
    for (const key of [Buffer.alloc(96), one, pMinus1]) {
      expect(() => new MseHandshake(responderOptions(13)).receive(key)).toThrow(code('MSE_BAD_KEY'))
    }
  })

  it('a second receive after the end is refused', () => {
    const raw = new RawInitiator()
    const { b, yb } = against(raw)
    b.receive(raw.third(yb, {}))
    expect(() => b.receive(new Uint8Array(1))).toThrow(code('MSE_INVALID_ARGUMENT'))
  })
})

describe('MseHandshake against hostile peers (initiator side)', () => {
  function against(pad = 0, opts: Partial<MseHandshakeOptions> = {}) {
    const a = new MseHandshake(initiatorOptions(21, opts))
    const ya = a.takeOutput()!.subarray(0, 96)
    const raw = new RawResponder()
    a.receive(raw.hello(pad))
    expect(a.takeOutput()).toBeDefined() // the third message
    return { a, raw, ya }
  }

  it('accepts an independent responder with a maximal PadB and PadD', () => {
    const { a, raw, ya } = against(512)
    a.receive(raw.fourth(ya, { padD: 512 }))
    expect(a.result?.method).toBe('rc4')
  })

  it('VC not found within 616 bytes (PadB over 512, or a wrong key): MSE_NO_SYNC', () => {
    const { a, raw, ya } = against(513)
    expect(() => a.receive(raw.fourth(ya, {}))).toThrow(code('MSE_NO_SYNC'))
    const other = against(0)
    expect(() =>
      other.a.receive(
        new Uint8Array(
          Buffer.concat([other.raw.fourth(other.ya, { skey: OTHER_SKEY }), Buffer.alloc(VC_SYNC_LIMIT)]),
        ),
      ),
    ).toThrow(code('MSE_NO_SYNC'))
  })

  it('a method we did not provide, or two methods: MSE_NO_COMMON_METHOD', () => {
    const x = against(0, { allowed: CRYPTO_RC4 })
    expect(() => x.a.receive(x.raw.fourth(x.ya, { select: CRYPTO_PLAINTEXT }))).toThrow(
      code('MSE_NO_COMMON_METHOD'),
    )
    const y = against()
    expect(() => y.a.receive(y.raw.fourth(y.ya, { select: CRYPTO_RC4 | CRYPTO_PLAINTEXT }))).toThrow(
      code('MSE_NO_COMMON_METHOD'),
    )
  })

  it('PadD over 512 bytes: MSE_BAD_PAD', () => {
    const { a, raw, ya } = against()
    expect(() => a.receive(raw.fourth(ya, { padD: 513 }))).toThrow(code('MSE_BAD_PAD'))
  })

  it('bad arguments: MSE_INVALID_ARGUMENT', () => {
    expect(() => new MseHandshake({ role: 'initiator', skey: new Uint8Array(19), allowed: BOTH })).toThrow(
      code('MSE_INVALID_ARGUMENT'),
    )
    expect(() => new MseHandshake({ role: 'initiator', skey: SKEY, allowed: 4 })).toThrow(
      code('MSE_INVALID_ARGUMENT'),
    )
    expect(() => new MseHandshake({ role: 'responder', allowed: BOTH })).toThrow(code('MSE_INVALID_ARGUMENT'))
    expect(
      () =>
        new MseHandshake({
          role: 'initiator',
          skey: SKEY,
          allowed: BOTH,
          initialPayload: new Uint8Array(65536),
        }),
    ).toThrow(code('MSE_INVALID_ARGUMENT'))
  })
})
