import { createHash } from 'node:crypto'
import { type BencodeValue, decodePrefix, encode } from '@p2p/bencode'
import { equalBytes } from '@p2p/bytes'
import type { WireClock } from './clock.js'
import { METADATA_PIECE_LENGTH } from './constants.js'
import { PeerWireError } from './errors.js'
import { isDict } from './extended-handshake.js'
import type { ExtensionContext, WireExtension } from './extension.js'

/** ut_metadata message types (BEP 9). */
const REQUEST = 0
const DATA = 1
const REJECT = 2
/** Metadata pieces we keep requested at once. */
const PIPELINE = 4

interface Fetch {
  size: number
  buffer: Uint8Array
  received: Set<number>
  next: number
  resolve: (info: Uint8Array) => void
  reject: (err: PeerWireError) => void
  timer: unknown
  timeout: number
  infoHashV2: Uint8Array | undefined
}

/**
 * The ut_metadata extension (BEP 9): serves our info dictionary in 16 KiB pieces and fetches the
 * peer's, verifying it against the info hash before handing it out.
 */
export class UtMetadata implements WireExtension {
  readonly name = 'ut_metadata'
  readonly #wire: ExtensionContext
  readonly #maxSize: number
  #metadata: Uint8Array | undefined
  #fetch: Fetch | undefined
  #waiters: Array<() => void> = []

  readonly #time: WireClock

  constructor(wire: ExtensionContext, metadata: Uint8Array | undefined, maxSize: number) {
    this.#wire = wire
    this.#time = wire.clock
    this.#metadata = metadata
    this.#maxSize = maxSize
  }

  setMetadata(info: Uint8Array): void {
    this.#metadata = info
  }

  handshakeFields() {
    return { metadata_size: this.#metadata?.length }
  }

  onExtendedHandshake(): void {
    const w = this.#waiters
    this.#waiters = []
    for (const f of w) f()
  }

  onClose(err: PeerWireError | undefined): void {
    this.#fail(err ?? new PeerWireError('PEER_WIRE_CLOSED', 'the wire closed during the metadata exchange'))
    this.onExtendedHandshake()
  }

  #sendMsg(dict: Record<string, number>, data?: Uint8Array): void {
    const head = encode(dict)
    this.#wire.sendExtended(this.name, data ? Buffer.concat([head, data]) : head)
  }

  onMessage(payload: Uint8Array): void {
    let head: BencodeValue
    let headLength: number
    try {
      const r = decodePrefix(payload, { strict: false, maxDepth: 4, maxTokens: 64 })
      head = r.value
      headLength = r.length
    } catch (err) {
      throw new PeerWireError('PEER_WIRE_BAD_EXTENDED', 'ut_metadata message is not bencoded', { cause: err })
    }
    if (!isDict(head) || typeof head.msg_type !== 'number' || typeof head.piece !== 'number') {
      throw new PeerWireError('PEER_WIRE_BAD_EXTENDED', 'ut_metadata message without msg_type and piece')
    }
    const piece = head.piece
    switch (head.msg_type) {
      case REQUEST: {
        const info = this.#metadata
        const count = info ? Math.ceil(info.length / METADATA_PIECE_LENGTH) : 0
        if (!info || !Number.isInteger(piece) || piece < 0 || piece >= count || this.#wire.congested) {
          if (this.#wire.peerSupports(this.name)) this.#sendMsg({ msg_type: REJECT, piece })
          return
        }
        const data = info.subarray(piece * METADATA_PIECE_LENGTH, (piece + 1) * METADATA_PIECE_LENGTH)
        this.#sendMsg({ msg_type: DATA, piece, total_size: info.length }, data)
        return
      }
      case DATA:
        return this.#onData(piece, head.total_size, payload.subarray(headLength))
      case REJECT:
        if (this.#fetch) {
          this.#fail(
            new PeerWireError('PEER_WIRE_METADATA_REJECTED', `the peer rejected metadata piece ${piece}`),
          )
        }
        return
      default:
        return // BEP 9: unknown message types are ignored
    }
  }

  #onData(piece: number, totalSize: BencodeValue | undefined, data: Uint8Array): void {
    const f = this.#fetch
    if (!f) return
    const count = Math.ceil(f.size / METADATA_PIECE_LENGTH)
    if (!Number.isInteger(piece) || piece < 0 || piece >= count || piece >= f.next || f.received.has(piece)) {
      return this.#fail(new PeerWireError('PEER_WIRE_BAD_EXTENDED', `unrequested metadata piece ${piece}`))
    }
    if (totalSize !== f.size) {
      return this.#fail(
        new PeerWireError('PEER_WIRE_BAD_EXTENDED', `total_size ${totalSize} differs from ${f.size}`),
      )
    }
    const want = Math.min(METADATA_PIECE_LENGTH, f.size - piece * METADATA_PIECE_LENGTH)
    if (data.length !== want) {
      return this.#fail(
        new PeerWireError('PEER_WIRE_BAD_EXTENDED', `metadata piece ${piece} of ${data.length} bytes`),
      )
    }
    f.buffer.set(data, piece * METADATA_PIECE_LENGTH)
    f.received.add(piece)
    this.#arm(f)
    if (f.received.size < count) {
      this.#requestNext(f)
      return
    }
    this.#finish(f)
  }

  #finish(f: Fetch): void {
    this.#clear()
    const info = f.buffer
    const expected = this.#wire.infoHash!
    const sha1 = createHash('sha1').update(info).digest()
    let ok = equalBytes(sha1, expected)
    if (!ok) {
      const sha256 = createHash('sha256').update(info).digest()
      ok = equalBytes(sha256.subarray(0, 20), expected) && (!f.infoHashV2 || equalBytes(sha256, f.infoHashV2))
    }
    if (!ok) {
      f.reject(
        new PeerWireError('PEER_WIRE_METADATA_MISMATCH', 'the metadata does not hash to the info hash'),
      )
      return
    }
    this.#metadata = info
    f.resolve(info)
    this.#wire.emit('metadata', info)
  }

  #requestNext(f: Fetch): void {
    const count = Math.ceil(f.size / METADATA_PIECE_LENGTH)
    while (f.next < count && f.next - f.received.size < PIPELINE) {
      this.#sendMsg({ msg_type: REQUEST, piece: f.next++ })
    }
  }

  #arm(f: Fetch): void {
    this.#time.clearTimeout(f.timer)
    f.timer = this.#time.setTimeout(
      () => this.#fail(new PeerWireError('PEER_WIRE_REQUEST_TIMEOUT', 'metadata request timed out')),
      f.timeout,
    )
  }

  #clear(): void {
    this.#time.clearTimeout(this.#fetch?.timer)
    this.#fetch = undefined
  }

  #fail(err: PeerWireError): void {
    const f = this.#fetch
    if (!f) return
    this.#clear()
    f.reject(err)
  }

  async fetch(
    signal: AbortSignal | undefined,
    timeout: number,
    infoHashV2: Uint8Array | undefined,
  ): Promise<Uint8Array> {
    const w = this.#wire
    if (signal?.aborted)
      throw new PeerWireError('PEER_WIRE_ABORTED', 'metadata fetch aborted', { cause: signal.reason })
    if (this.#metadata) return this.#metadata
    if (w.destroyed) throw new PeerWireError('PEER_WIRE_CLOSED', 'the wire is closed')
    if (this.#fetch)
      throw new PeerWireError('PEER_WIRE_TOO_MANY_REQUESTS', 'a metadata fetch is already running')
    if (!w.peerExtended) {
      if (w.peerHandshake && !w.extended) {
        throw new PeerWireError('PEER_WIRE_NOT_SUPPORTED', 'the peer does not support the extension protocol')
      }
      await new Promise<void>((resolve, reject) => {
        const t = this.#time.setTimeout(
          () => reject(new PeerWireError('PEER_WIRE_REQUEST_TIMEOUT', 'no extended handshake from the peer')),
          timeout,
        )
        this.#waiters.push(() => {
          this.#time.clearTimeout(t)
          resolve()
        })
      })
      if (w.destroyed) throw new PeerWireError('PEER_WIRE_CLOSED', 'the wire is closed')
    }
    const size = w.peerExtended?.metadataSize
    if (!w.peerSupports(this.name) || size === undefined) {
      throw new PeerWireError(
        'PEER_WIRE_NOT_SUPPORTED',
        'the peer does not offer ut_metadata with a metadata_size',
      )
    }
    if (size > this.#maxSize) {
      throw new PeerWireError(
        'PEER_WIRE_METADATA_TOO_LARGE',
        `metadata of ${size} bytes exceeds ${this.#maxSize}`,
      )
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = () =>
        this.#fail(
          new PeerWireError('PEER_WIRE_ABORTED', 'metadata fetch aborted', { cause: signal?.reason }),
        )
      signal?.addEventListener('abort', onAbort, { once: true })
      const done = () => signal?.removeEventListener('abort', onAbort)
      const f: Fetch = {
        size,
        buffer: new Uint8Array(size),
        received: new Set(),
        next: 0,
        resolve: (v) => {
          done()
          resolve(v)
        },
        reject: (e) => {
          done()
          reject(e)
        },
        timer: undefined,
        timeout,
        infoHashV2,
      }
      this.#fetch = f
      this.#arm(f)
      this.#requestNext(f)
    })
  }
}
