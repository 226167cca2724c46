import { createDiffieHellman, createHash } from 'node:crypto'
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  MSE_GENERATOR,
  MSE_PRIME,
  MseHandshake,
  type MseHandshakeOptions,
  type MseResult,
  Rc4,
  req2Hash,
} from '@p2p/mse'

/** Deterministic bytes (xorshift32) so a handshake can be replayed exactly. */
export function seeded(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1
  return (n) => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      x ^= x << 13
      x >>>= 0
      x ^= x >>> 17
      x ^= x << 5
      x >>>= 0
      out[i] = x & 255
    }
    return out
  }
}

export const SKEY = Buffer.alloc(20, 0xab)
export const OTHER_SKEY = Buffer.alloc(20, 0xcd)
export const BOTH = CRYPTO_RC4 | CRYPTO_PLAINTEXT

/** A responder's SKEY lookup over some info hashes. */
export function lookup(...skeys: Uint8Array[]): (req2: Uint8Array) => Uint8Array | undefined {
  const byHash = new Map(skeys.map((k) => [req2Hash(k).toString('hex'), k]))
  return (req2) => byHash.get(Buffer.from(req2).toString('hex'))
}

export interface Transcript {
  /** Everything A sent: its handshake, then `payloadA` in the negotiated method. */
  a2b: Uint8Array
  /** Everything B sent: its handshake, then `payloadB` in the negotiated method. */
  b2a: Uint8Array
  a: MseResult
  b: MseResult
}

export function initiatorOptions(seed: number, o: Partial<MseHandshakeOptions> = {}): MseHandshakeOptions {
  return { role: 'initiator', skey: SKEY, allowed: BOTH, randomBytes: seeded(seed), ...o }
}

export function responderOptions(seed: number, o: Partial<MseHandshakeOptions> = {}): MseHandshakeOptions {
  return {
    role: 'responder',
    findSkey: lookup(OTHER_SKEY, SKEY),
    allowed: BOTH,
    randomBytes: seeded(seed),
    ...o,
  }
}

const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts))
const pad96 = (b: Buffer) => Buffer.concat([Buffer.alloc(96 - b.length), b])

/** Runs two cores against each other, then appends a payload each way. */
export function transcript(
  aOpts: MseHandshakeOptions,
  bOpts: MseHandshakeOptions,
  payloadA: Uint8Array,
  payloadB: Uint8Array,
): Transcript {
  const a = new MseHandshake(aOpts)
  const b = new MseHandshake(bOpts)
  const a2b: Uint8Array[] = []
  const b2a: Uint8Array[] = []
  for (let round = 0; round < 10 && !(a.result && b.result); round++) {
    const outA = a.takeOutput()
    if (outA) {
      a2b.push(outA)
      b.receive(outA)
    }
    const outB = b.takeOutput()
    if (outB) {
      b2a.push(outB)
      a.receive(outB)
    }
  }
  if (!a.result || !b.result) throw new Error('handshake did not finish')
  const enc = (r: MseResult, p: Uint8Array) => (r.encrypt ? r.encrypt.update(p, new Uint8Array(p.length)) : p)
  a2b.push(enc(a.result, payloadA))
  b2a.push(enc(b.result, payloadB))
  return { a2b: cat(...a2b), b2a: cat(...b2a), a: a.result, b: b.result }
}

const sha1 = (...parts: Uint8Array[]) => {
  const h = createHash('sha1')
  for (const p of parts) h.update(p)
  return h.digest()
}
const ascii = (s: string) => Buffer.from(s, 'latin1')

/** A second, independent initiator for hostile tests: every field of the third message can be set. */
export class RawInitiator {
  readonly #dh = createDiffieHellman(MSE_PRIME, MSE_GENERATOR)
  #s: Buffer | undefined
  encrypt: Rc4 | undefined

  constructor() {
    this.#dh.generateKeys()
  }

  /** Ya and PadA. */
  hello(padLength = 0): Uint8Array {
    return cat(pad96(this.#dh.getPublicKey()), new Uint8Array(padLength))
  }

  /** The third message after B's 96-byte key. */
  third(
    yb: Uint8Array,
    f: {
      skey?: Uint8Array
      vc?: Uint8Array
      provide?: number
      padC?: number
      ia?: Uint8Array
      req1?: Uint8Array
    },
  ): Uint8Array {
    this.#s = pad96(this.#dh.computeSecret(yb))
    const skey = f.skey ?? SKEY
    const req2 = sha1(ascii('req2'), skey)
    const req3 = sha1(ascii('req3'), this.#s)
    for (let i = 0; i < 20; i++) req2[i]! ^= req3[i]!
    const ia = f.ia ?? new Uint8Array(0)
    const head = Buffer.alloc(8 + 4 + 2)
    ;(f.vc ?? new Uint8Array(8)).forEach((v, i) => {
      head[i] = v
    })
    head.writeUInt32BE(f.provide ?? CRYPTO_RC4, 8)
    head.writeUInt16BE(f.padC ?? 0, 12)
    const tail = Buffer.alloc((f.padC ?? 0) + 2)
    tail.writeUInt16BE(ia.length, tail.length - 2)
    this.encrypt = new Rc4(sha1(ascii('keyA'), this.#s, skey))
    const body = this.encrypt.update(cat(head, tail, ia))
    return cat(f.req1 ?? sha1(ascii('req1'), this.#s), req2, body)
  }
}

/** A second, independent responder for hostile tests: the fourth message's fields can be set. */
export class RawResponder {
  readonly #dh = createDiffieHellman(MSE_PRIME, MSE_GENERATOR)

  constructor() {
    this.#dh.generateKeys()
  }

  /** Yb and PadB. */
  hello(padLength = 0): Uint8Array {
    return cat(pad96(this.#dh.getPublicKey()), new Uint8Array(padLength))
  }

  /** The fourth message, answering A's key. */
  fourth(
    ya: Uint8Array,
    f: { select?: number; padD?: number; vc?: Uint8Array; skey?: Uint8Array },
  ): Uint8Array {
    const s = pad96(this.#dh.computeSecret(ya))
    const head = Buffer.alloc(8 + 4 + 2 + (f.padD ?? 0))
    ;(f.vc ?? new Uint8Array(8)).forEach((v, i) => {
      head[i] = v
    })
    head.writeUInt32BE(f.select ?? CRYPTO_RC4, 8)
    head.writeUInt16BE(f.padD ?? 0, 12)
    return new Rc4(sha1(ascii('keyB'), s, f.skey ?? SKEY)).update(head)
  }
}
