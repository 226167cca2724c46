import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto'
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  DH_KEY_LENGTH,
  HASH_LENGTH,
  MAX_IA,
  MAX_PAD,
  PRIVATE_KEY_LENGTH,
  REQ1_SYNC_LIMIT,
  VC_LENGTH,
  VC_SYNC_LIMIT,
} from './constants.js'
import { publicKey, sharedSecret } from './dh.js'
import { MseError } from './errors.js'
import { Rc4 } from './rc4.js'

/** The method a handshake settled on for the payload stream. */
export type MseMethod = 'rc4' | 'plaintext'

/** Options of {@link MseHandshake}. */
export interface MseHandshakeOptions {
  /** `initiator` (A, opened the transport) or `responder` (B). */
  role: 'initiator' | 'responder'
  /** Initiator: SKEY, the torrent's info hash (20 bytes; a v2 hash truncated). */
  skey?: Uint8Array
  /**
   * Responder: the SKEY whose `HASH('req2', SKEY)` (see {@link req2Hash}) the peer sent, or undefined
   * for a torrent we do not have.
   */
  findSkey?: (req2: Uint8Array) => Uint8Array | undefined
  /**
   * Methods we accept, a mask of {@link CRYPTO_RC4} and {@link CRYPTO_PLAINTEXT} (a responder may give
   * it per SKEY). The initiator provides all of them; the responder selects RC4 when it can.
   */
  allowed: number | ((skey: Uint8Array) => number)
  /**
   * Initiator: the initial payload IA (at most 65535 bytes), sent encrypted with the third message
   * (e.g. the BitTorrent handshake, saving a round trip). The stream `mseHandshake` makes does
   * not send it again when its first write starts with it.
   */
  initialPayload?: Uint8Array
  /** Randomness for keys and padding (tests make it deterministic). Default `crypto.randomBytes`. */
  randomBytes?: (n: number) => Uint8Array
}

/** What a finished {@link MseHandshake} hands to the payload layer. */
export interface MseResult {
  /** The method both sides use from now on. */
  method: MseMethod
  /** The SKEY (info hash) of the connection. */
  skey: Uint8Array
  /** Encrypts what we send from now on; undefined for plaintext. */
  encrypt: Rc4 | undefined
  /** Decrypts what we receive from now on; undefined for plaintext. */
  decrypt: Rc4 | undefined
  /** Payload bytes already received, decrypted: the responder's IA, then whatever followed. */
  payload: Uint8Array
}

const VC = new Uint8Array(VC_LENGTH)
const ascii = (s: string) => Buffer.from(s, 'latin1')

/** SHA-1 of the concatenated parts (`HASH()` of the spec). */
function hash(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha1')
  for (const p of parts) h.update(p)
  return h.digest()
}

/** `HASH('req2', SKEY)`: what a responder indexes its SKEYs by (see {@link MseHandshakeOptions.findSkey}). */
export function req2Hash(skey: Uint8Array): Buffer {
  return hash(ascii('req2'), skey)
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b
  if (b.length === 0) return a
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(needle, from)
}

type State = 'key' | 'sync' | 'skey' | 'provide' | 'padC' | 'ia' | 'select' | 'padD' | 'done'

/**
 * The MSE handshake of one connection, for either role, without I/O: feed it the bytes the peer
 * sends ({@link MseHandshake.receive}), send what {@link MseHandshake.takeOutput} returns, and once
 * {@link MseHandshake.result} is set, hand the payload stream to the upper layer.
 *
 * Every bound of the spec is checked: 96-byte keys, pads up to 512 bytes, synchronisation within
 * 628 (responder) and 616 (initiator) bytes of the start; nothing is buffered beyond that and the
 * IA's 65535 bytes.
 *
 * @example
 * ```ts
 * const a = new MseHandshake({ role: 'initiator', skey: infoHash, allowed: CRYPTO_RC4 })
 * socket.write(a.takeOutput()!)
 * socket.on('data', (chunk) => {
 *   a.receive(chunk)
 *   const out = a.takeOutput()
 *   if (out) socket.write(out)
 *   if (a.result) startWire(a.result)
 * })
 * ```
 */
export class MseHandshake {
  readonly #opts: MseHandshakeOptions
  readonly #random: (n: number) => Uint8Array
  readonly #privateKey: Uint8Array
  #state: State = 'key'
  #buf: Uint8Array = new Uint8Array(0)
  /** Bytes received since the connection start, up to the current buffer. */
  #consumed = 0
  #out: Uint8Array[] = []
  #secret: Buffer | undefined
  #skey: Uint8Array | undefined
  #sync: Uint8Array | undefined
  #encrypt: Rc4 | undefined
  #decrypt: Rc4 | undefined
  #provided = 0
  #method: MseMethod = 'rc4'
  #need = 0
  #ia: Uint8Array = new Uint8Array(0)
  #result: MseResult | undefined

  /** @throws {MseError} `MSE_INVALID_ARGUMENT` for a missing or bad SKEY/lookup, IA or method mask */
  constructor(options: MseHandshakeOptions) {
    this.#opts = options
    this.#random = options.randomBytes ?? nodeRandomBytes
    if (options.role === 'initiator') {
      if (options.skey?.length !== 20) {
        throw new MseError('MSE_INVALID_ARGUMENT', `expected a 20-byte SKEY, got ${options.skey?.length}`)
      }
      if ((options.initialPayload?.length ?? 0) > MAX_IA) {
        throw new MseError('MSE_INVALID_ARGUMENT', `IA over ${MAX_IA} bytes`)
      }
      const allowed = typeof options.allowed === 'number' ? options.allowed : options.allowed(options.skey)
      if ((allowed & (CRYPTO_RC4 | CRYPTO_PLAINTEXT)) === 0) {
        throw new MseError('MSE_INVALID_ARGUMENT', `expected a method mask with bit 1 or 2, got ${allowed}`)
      }
      this.#provided = allowed & (CRYPTO_RC4 | CRYPTO_PLAINTEXT)
      this.#skey = options.skey
    } else if (!options.findSkey) {
      throw new MseError('MSE_INVALID_ARGUMENT', 'a responder needs findSkey')
    }
    this.#privateKey = this.#random(PRIVATE_KEY_LENGTH)
    // A sends first; B answers Ya with Yb as soon as it has it.
    if (options.role === 'initiator') this.#sendKey()
  }

  /** Set once the handshake is done. */
  get result(): MseResult | undefined {
    return this.#result
  }

  /** Bytes to send to the peer now (undefined when there are none). */
  takeOutput(): Uint8Array | undefined {
    if (this.#out.length === 0) return undefined
    const out = this.#out.length === 1 ? this.#out[0]! : Buffer.concat(this.#out)
    this.#out = []
    return out
  }

  /**
   * Feeds bytes received from the peer. Bytes after the end of the handshake end up, decrypted, in
   * {@link MseResult.payload}; do not call this again once {@link MseHandshake.result} is set.
   *
   * @throws {MseError} `MSE_BAD_KEY`, `MSE_NO_SYNC`, `MSE_UNKNOWN_TORRENT`, `MSE_BAD_VC`, `MSE_BAD_PAD`,
   *   `MSE_NO_COMMON_METHOD`, or `MSE_INVALID_ARGUMENT` after the end
   */
  receive(chunk: Uint8Array): void {
    if (this.#state === 'done') throw new MseError('MSE_INVALID_ARGUMENT', 'handshake already done')
    this.#buf = concat(this.#buf, chunk)
    while (this.#step()) {
      // each step consumed what it needed; false: waiting for more bytes, or done
    }
  }

  #sendKey(): void {
    const padLength = Buffer.from(this.#random(2)).readUInt16BE(0) % (MAX_PAD + 1)
    this.#out.push(publicKey(this.#privateKey), Buffer.from(this.#random(padLength)))
  }

  #take(n: number): Uint8Array | undefined {
    if (this.#buf.length < n) return undefined
    const head = this.#buf.subarray(0, n)
    this.#buf = this.#buf.subarray(n)
    this.#consumed += n
    return head
  }

  #step(): boolean {
    switch (this.#state) {
      case 'key':
        return this.#onKey()
      case 'sync':
        return this.#onSync()
      case 'skey':
        return this.#onSkey()
      case 'provide':
        return this.#onProvide()
      case 'padC':
        return this.#onPadC()
      case 'ia':
        return this.#onIa()
      case 'select':
        return this.#onSelect()
      case 'padD':
        return this.#onPadD()
      default:
        return false
    }
  }

  #keys(skey: Uint8Array): { a: Rc4; b: Rc4 } {
    const s = this.#secret!
    return { a: new Rc4(hash(ascii('keyA'), s, skey)), b: new Rc4(hash(ascii('keyB'), s, skey)) }
  }

  #onKey(): boolean {
    const key = this.#take(DH_KEY_LENGTH)
    if (!key) return false
    const s = sharedSecret(this.#privateKey, key)
    this.#secret = s
    if (this.#opts.role === 'responder') {
      this.#sendKey()
      this.#sync = hash(ascii('req1'), s)
    } else {
      const skey = this.#skey!
      const { a, b } = this.#keys(skey)
      this.#encrypt = a
      this.#decrypt = b
      // B's ENCRYPT(VC) is the first 8 bytes of its keystream; computing it consumes them here.
      this.#sync = b.update(new Uint8Array(VC_LENGTH))
      const ia = this.#opts.initialPayload ?? new Uint8Array(0)
      const req2 = req2Hash(skey)
      const req3 = hash(ascii('req3'), s)
      for (let i = 0; i < HASH_LENGTH; i++) req2[i]! ^= req3[i]!
      const head = Buffer.alloc(VC_LENGTH + 4 + 2 + 2)
      head.writeUInt32BE(this.#provided, VC_LENGTH)
      head.writeUInt16BE(0, VC_LENGTH + 4) // len(PadC): no PadC
      head.writeUInt16BE(ia.length, VC_LENGTH + 6)
      this.#out.push(hash(ascii('req1'), s), req2, a.update(head), a.update(ia, new Uint8Array(ia.length)))
    }
    this.#state = 'sync'
    return true
  }

  /** Scans for `HASH('req1', S)` (responder) or `ENCRYPT(VC)` (initiator) after the peer's pad. */
  #onSync(): boolean {
    const sync = this.#sync!
    const limit = this.#opts.role === 'responder' ? REQ1_SYNC_LIMIT : VC_SYNC_LIMIT
    const at = indexOf(this.#buf, sync, 0)
    if (at < 0 || this.#consumed + at + sync.length > limit) {
      if (this.#consumed + this.#buf.length >= limit) {
        const what = this.#opts.role === 'responder' ? "HASH('req1', S)" : 'ENCRYPT(VC)'
        throw new MseError('MSE_NO_SYNC', `no ${what} within ${limit} bytes of the start`)
      }
      return false
    }
    this.#take(at + sync.length)
    this.#state = this.#opts.role === 'responder' ? 'skey' : 'select'
    return true
  }

  #onSkey(): boolean {
    const x = this.#take(HASH_LENGTH)
    if (!x) return false
    const req2 = hash(ascii('req3'), this.#secret!)
    for (let i = 0; i < HASH_LENGTH; i++) req2[i]! ^= x[i]!
    const skey = this.#opts.findSkey!(req2)
    if (!skey) throw new MseError('MSE_UNKNOWN_TORRENT', 'the peer asked for a torrent we do not have')
    this.#skey = skey
    const { a, b } = this.#keys(skey)
    this.#decrypt = a
    this.#encrypt = b
    this.#state = 'provide'
    return true
  }

  #onProvide(): boolean {
    const head = this.#take(VC_LENGTH + 4 + 2)
    if (!head) return false
    const plain = Buffer.from(this.#decrypt!.update(head, new Uint8Array(head.length)))
    if (!plain.subarray(0, VC_LENGTH).equals(VC))
      throw new MseError('MSE_BAD_VC', 'bad verification constant')
    const provide = plain.readUInt32BE(VC_LENGTH)
    const padC = plain.readUInt16BE(VC_LENGTH + 4)
    if (padC > MAX_PAD) throw new MseError('MSE_BAD_PAD', `PadC of ${padC} bytes (at most ${MAX_PAD})`)
    const allowed = this.#allowed()
    if (provide & allowed & CRYPTO_RC4) this.#method = 'rc4'
    else if (provide & allowed & CRYPTO_PLAINTEXT) this.#method = 'plaintext'
    else {
      throw new MseError(
        'MSE_NO_COMMON_METHOD',
        `the peer provides methods 0x${provide.toString(16)}, we allow 0x${allowed.toString(16)}`,
      )
    }
    this.#need = padC + 2 // PadC, then len(IA)
    this.#state = 'padC'
    return true
  }

  #allowed(): number {
    const a = this.#opts.allowed
    return typeof a === 'number' ? a : a(this.#skey!)
  }

  #onPadC(): boolean {
    const padAndLength = this.#take(this.#need)
    if (!padAndLength) return false
    const plain = this.#decrypt!.update(padAndLength, new Uint8Array(padAndLength.length))
    this.#need = (plain[plain.length - 2]! << 8) | plain[plain.length - 1]!
    this.#state = 'ia'
    return true
  }

  #onIa(): boolean {
    const ia = this.#take(this.#need)
    if (!ia) return false
    // IA is always RC4 (ENCRYPT), whatever method B selects for what follows.
    this.#ia = this.#decrypt!.update(ia, new Uint8Array(ia.length))
    const head = Buffer.alloc(VC_LENGTH + 4 + 2)
    head.writeUInt32BE(this.#method === 'rc4' ? CRYPTO_RC4 : CRYPTO_PLAINTEXT, VC_LENGTH)
    head.writeUInt16BE(0, VC_LENGTH + 4) // len(PadD): no PadD
    this.#out.push(this.#encrypt!.update(head))
    this.#finish()
    return false
  }

  #onSelect(): boolean {
    const head = this.#take(4 + 2)
    if (!head) return false
    const plain = Buffer.from(this.#decrypt!.update(head, new Uint8Array(head.length)))
    const select = plain.readUInt32BE(0) & (CRYPTO_RC4 | CRYPTO_PLAINTEXT)
    const padD = plain.readUInt16BE(4)
    if (select === CRYPTO_RC4 && this.#provided & CRYPTO_RC4) this.#method = 'rc4'
    else if (select === CRYPTO_PLAINTEXT && this.#provided & CRYPTO_PLAINTEXT) this.#method = 'plaintext'
    else {
      throw new MseError(
        'MSE_NO_COMMON_METHOD',
        `the peer selected 0x${select.toString(16)}, we provided 0x${this.#provided.toString(16)}`,
      )
    }
    if (padD > MAX_PAD) throw new MseError('MSE_BAD_PAD', `PadD of ${padD} bytes (at most ${MAX_PAD})`)
    this.#need = padD
    this.#state = 'padD'
    return true
  }

  #onPadD(): boolean {
    const pad = this.#take(this.#need)
    if (!pad) return false
    this.#decrypt!.update(pad, new Uint8Array(pad.length))
    this.#finish()
    return false
  }

  #finish(): void {
    this.#state = 'done'
    const rc4 = this.#method === 'rc4'
    const rest = this.#buf
    this.#buf = new Uint8Array(0)
    // A copy either way: `rest` is a view of the caller's chunk, which it may reuse.
    const payload = rc4 ? this.#decrypt!.update(rest, new Uint8Array(rest.length)) : rest.slice()
    this.#result = {
      method: this.#method,
      skey: this.#skey!,
      encrypt: rc4 ? this.#encrypt : undefined,
      decrypt: rc4 ? this.#decrypt : undefined,
      payload: concat(this.#ia, payload),
    }
    this.#secret = undefined
  }
}
