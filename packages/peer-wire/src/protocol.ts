import { equalBytes } from '@p2p/bytes'
import { ipToBytes, normalizeIp } from '@p2p/peer-address'
import { Bitfield } from './bitfield.js'
import {
  type BlockCallback,
  type BlockKey,
  BlockRequests,
  blockKey,
  keyText,
  type PendingRequest,
} from './block-requests.js'
import { systemClock, type WireClock } from './clock.js'
import { MessageId } from './constants.js'
import { PeerWireError } from './errors.js'
import {
  decodeExtendedHandshake,
  type ExtendedHandshake,
  encodeExtendedHandshake,
} from './extended-handshake.js'
import type { ExtensionContext, WireExtension } from './extension.js'
import { FrameParser, frameTooLarge } from './frame-parser.js'
import { decodeHandshake, encodeHandshake, type Handshake } from './handshake.js'
import { HashExchange } from './hash-exchange.js'
import { LtDonthave } from './lt-donthave.js'
import {
  type BlockRequest,
  decodeMessage,
  encodeMessage,
  encodePieceHeader,
  type HashRequest,
  type Message,
  type MessageLimits,
  maxFrameLength,
} from './messages.js'
import { WIRE_DEFAULTS, type WireOptions } from './options.js'
import type { PexUpdate } from './pex-message.js'
import { RateMeter } from './rate.js'
import { UtMetadata } from './ut-metadata.js'
import { UtPex } from './ut-pex.js'
import type { HashesMessage, WireEvents } from './wire-events.js'

/** Bytes of a request message (length prefix included). */
const REQUEST_LENGTH = 17
/** Requests one batch buffer holds. */
const REQUEST_BATCH = 64

/**
 * Where a {@link PeerProtocol} writes: the transport half it needs. A Node `Duplex` (a `net.Socket`,
 * a uTP or an encrypted stream) has all of it already; a simulator or a WebRTC data channel adapts.
 */
export interface WireTransport {
  /** Queues bytes; false when the transport is full (`drained()` follows). */
  write(data: Uint8Array, onWritten?: (err?: Error | null) => void): boolean
  /** Holds writes until {@link WireTransport.uncork}, to send a burst in one system call. */
  cork(): void
  /** Releases corked writes. */
  uncork(): void
  /** Bytes queued and not yet written. */
  readonly writableLength: number
  /** Whether a write returned false and no drain followed yet. */
  readonly writableNeedDrain: boolean
  /** Stops delivering received bytes (backpressure). */
  pause(): void
  /** Delivers received bytes again. */
  resume(): void
  /** Closes the transport. */
  destroy(): void
  /** The peer's address, when the transport knows it (sent back as `yourip`). */
  readonly remoteAddress?: string | undefined
}

/** Where a {@link PeerProtocol} reports its events. */
export interface WireEventSink {
  /** Delivers an event. */
  emit<E extends keyof WireEvents>(event: E, ...args: Parameters<WireEvents[E]>): void
  /** Whether anyone listens for `event` (events nobody hears are not built). */
  listens(event: keyof WireEvents): boolean
}

/**
 * The BitTorrent peer wire protocol of one connection, without I/O (sans-I/O): bytes come in
 * through {@link PeerProtocol.receive} and transport events through {@link PeerProtocol.ended},
 * {@link PeerProtocol.failed} and {@link PeerProtocol.drained}; writes go to a {@link WireTransport},
 * events to a {@link WireEventSink}, and the owner calls {@link PeerProtocol.tick} every
 * {@link PeerProtocol.tickInterval} ms. It speaks the protocol exactly and keeps per-connection
 * state; choosing what to request and whom to choke is the caller's policy. {@link Wire} binds it
 * to a Node stream.
 *
 * Backpressure: outgoing `piece()` returns `false` once the transport is full (wait for `'drain'`),
 * and reading stops while our write buffer is above `maxWriteBuffer`; incoming data is bounded by the
 * outstanding requests, and {@link PeerProtocol.pause} stops reading when the consumer is slow.
 */
export class PeerProtocol {
  /** We are choking the peer. */
  amChoking = true
  /** We are interested in the peer. */
  amInterested = false
  /** The peer is choking us. */
  peerChoking = true
  /** The peer is interested in us. */
  peerInterested = false
  /** Pieces the peer has (from bitfield / have / have-all, minus donthave). */
  readonly peerPieces = new Bitfield()
  /** The peer's handshake once received. */
  peerHandshake: Handshake | undefined
  /** The peer's latest extended handshake (BEP 10). */
  peerExtended: ExtendedHandshake | undefined
  /** Pieces the peer allows us to request while choked (BEP 6). */
  readonly peerAllowedFast = new Set<number>()
  /** Pieces we allow the peer to request while choked (BEP 6). */
  readonly amAllowedFast = new Set<number>()
  /** Payload bytes of piece messages received / sent. */
  downloaded = 0
  /** Payload bytes of piece messages sent. */
  uploaded = 0
  /** All bytes received / sent, protocol overhead included. */
  bytesReceived = 0
  /** All bytes sent, protocol overhead included. */
  bytesSent = 0
  /** Whether both sides offered the fast extension. */
  fast = false
  /** Whether both sides offered the extension protocol. */
  extended = false
  /** Whether the wire is closed. */
  destroyed = false
  /** The 20-byte info hash of this connection (ours, or adopted from the handshake). */
  infoHash: Uint8Array | undefined
  /** Number of pieces, once known. */
  pieceCount: number | undefined

  readonly #transport: WireTransport
  readonly #events: WireEventSink
  /** Milliseconds between two calls of {@link PeerProtocol.tick}. */
  readonly tickInterval: number
  readonly #opts: WireOptions
  readonly #limits: MessageLimits
  readonly #parser: FrameParser
  readonly #downRate = new RateMeter()
  readonly #upRate = new RateMeter()
  readonly #requests = new BlockRequests((into) => this.#parser.forget(into))
  readonly #peerRequests = new Map<number | string, BlockRequest>()
  readonly #hashExchange: HashExchange
  readonly #context: ExtensionContext = PeerProtocol.#contextOf(this)
  readonly #extensions: WireExtension[] = []
  readonly #extById = new Map<number, WireExtension>()
  readonly #utMetadata: UtMetadata | undefined
  readonly #utPex: UtPex | undefined
  readonly #ltDonthave: LtDonthave | undefined
  #sentHandshake = false
  readonly #beforeHandshake: Message[] = []
  #corked = false
  #extPending = false
  #portPending = false
  #peerAvailabilitySeen = false
  /** Whether the peer's availability came as a bitfield message (whose length is then checked). */
  #peerBitfieldReceived = false
  #peerOtherSeen = false
  #peerHasAll = false
  #pieceLength: number | undefined
  #length: number | undefined
  readonly #time: WireClock
  #lastReceived: number
  /** When the header of the message now partly received arrived; 0 between messages. */
  #messageStarted = 0
  /** A clock updated per received chunk and per tick: request deadlines do not need more precision. */
  #clock: number
  #lastSent: number
  readonly #createdAt: number
  #userPaused = false
  #drainPaused = false

  /**
   * @param transport where bytes go; the protocol owns it from now on and destroys it on close
   * @param events where events go
   * @throws {RangeError} on a peer id or info hash that is not 20 bytes
   */
  constructor(transport: WireTransport, events: WireEventSink, options: WireOptions) {
    if (options.peerId?.length !== 20)
      throw new RangeError(`expected a 20-byte peer id, got ${options.peerId?.length}`)
    if (options.infoHash && options.infoHash.length !== 20) {
      throw new RangeError(`expected a 20-byte info hash, got ${options.infoHash.length}`)
    }
    this.#transport = transport
    this.#events = events
    this.#opts = options
    this.#time = options.clock ?? systemClock
    this.#createdAt = this.#lastSent = this.#clock = this.#lastReceived = this.#time.now()
    this.#requestTimeout = this.#opt('requestTimeout')
    this.#maxRequests = this.#opt('maxRequests')
    this.#maxQueuedRequests = this.#opt('maxQueuedRequests')
    this.#maxWriteBuffer = this.#opt('maxWriteBuffer')
    this.#hashExchange = new HashExchange((m) => this.#send(m), {
      maxLength: this.#opt('maxHashRequestLength'),
      maxQueued: this.#opt('maxQueuedHashRequests'),
      timeout: this.#requestTimeout,
      clock: this.#time,
    })
    this.infoHash = options.infoHash
    this.#limits = {
      maxBlockLength: options.maxBlockLength ?? WIRE_DEFAULTS.maxBlockLength,
      maxBitfieldLength: options.maxBitfieldLength ?? WIRE_DEFAULTS.maxBitfieldLength,
      maxExtendedLength: options.maxExtendedLength ?? WIRE_DEFAULTS.maxExtendedLength,
      maxHashes: (options.maxHashRequestLength ?? WIRE_DEFAULTS.maxHashRequestLength) + 64,
    }
    if (options.pieceCount !== undefined) this.setTorrent({ ...options, pieceCount: options.pieceCount })
    const ext = options.extensions ?? {}
    if (ext.utPex !== false)
      this.#utPex = this.use(new UtPex(this.#context, this.#opt('pexInterval'), this.#opt('maxPexPeers')))
    if (ext.utMetadata !== false) {
      this.#utMetadata = this.use(
        new UtMetadata(this.#context, options.metadata, this.#opt('maxMetadataSize')),
      )
    }
    if (ext.ltDonthave !== false) this.#ltDonthave = this.use(new LtDonthave(this.#context))

    this.#parser = new FrameParser({
      maxFrame: (id, length) => {
        this.#messageStarted = this.#clock // a message's header: its body must follow in time
        const max = maxFrameLength(id, this.#limits)
        if (max < 0) throw new PeerWireError('PEER_WIRE_UNKNOWN_MESSAGE', `unknown message id ${id}`)
        if (length > max && id === MessageId.bitfield && this.pieceCount !== undefined) {
          throw badBitfield(`bitfield of ${length - 1} bytes for ${this.pieceCount} pieces`)
        }
        if (length > max) throw frameTooLarge(id, length, max)
      },
      onHandshake: (bytes) => this.#onHandshake(bytes),
      onFrame: (frame) => this.#onFrame(frame),
      onPiece: (index, begin, block) => {
        if (this.destroyed) {
          this.#parser.stopped = true
          return
        }
        this.#peerOtherSeen = true
        this.#onPiece(index, begin, block)
      },
      pieceTarget: (index, begin, length) => {
        const p = this.#requests.get(blockKey(index, begin))
        return p && !p.dead && p.length === length ? p.into : undefined
      },
    })

    this.tickInterval = Math.max(
      10,
      Math.min(
        this.#opt('tickInterval'),
        this.#opt('keepAliveInterval') / 2,
        this.#opt('idleTimeout') / 4,
        this.#opt('requestTimeout') / 4,
        this.#opt('handshakeTimeout') / 4,
        this.#opt('messageTimeout') / 4,
      ),
    )
  }

  /** The narrow view extensions get of protocol `p`. */
  static #contextOf(p: PeerProtocol): ExtensionContext {
    return {
      get infoHash() {
        return p.infoHash
      },
      get pieceCount() {
        return p.pieceCount
      },
      get destroyed() {
        return p.destroyed
      },
      get congested() {
        return p.congested
      },
      get extended() {
        return p.extended
      },
      get peerHandshake() {
        return p.peerHandshake
      },
      get peerExtended() {
        return p.peerExtended
      },
      get clock() {
        return p.#time
      },
      peerSupports: (name) => p.peerSupports(name),
      sendExtended: (name, payload) => p.sendExtended(name, payload),
      emit: (event, ...args) => p.#events.emit(event, ...args),
      markPieceLost: (index) => p.peerPieces.set(index, false),
    }
  }

  #opt<K extends keyof typeof WIRE_DEFAULTS>(k: K): number {
    return (this.#opts[k] as number | undefined) ?? WIRE_DEFAULTS[k]
  }

  // Options read per block, resolved once.
  readonly #requestTimeout: number
  readonly #maxRequests: number
  readonly #maxQueuedRequests: number
  readonly #maxWriteBuffer: number

  // ---------------------------------------------------------------- torrent geometry

  /**
   * Gives the wire the torrent's geometry once known (e.g. after fetching metadata). A bitfield
   * received earlier is checked now.
   *
   * @throws {RangeError} on a bad piece count.
   */
  setTorrent(t: { pieceCount: number; pieceLength?: number; length?: number; metadata?: Uint8Array }): void {
    if (!Number.isInteger(t.pieceCount) || t.pieceCount <= 0) {
      throw new RangeError(`expected a positive piece count, got ${t.pieceCount}`)
    }
    this.pieceCount = t.pieceCount
    this.#pieceLength = t.pieceLength
    this.#length = t.length
    this.#limits.maxBitfieldLength = Math.ceil(t.pieceCount / 8)
    if (t.metadata) this.#utMetadata?.setMetadata(t.metadata)
    if (!this.#parser) return // called from the constructor
    if (this.#peerHasAll) this.peerPieces.setAll(t.pieceCount)
    else if (this.#peerAvailabilitySeen || this.peerPieces.buffer.length > 0) {
      try {
        // A bitfield message must have had the exact length; have-none and haves left any length.
        if (this.#peerBitfieldReceived) this.#checkBitfield(this.peerPieces.buffer)
        for (let i = t.pieceCount; i < this.peerPieces.buffer.length * 8; i++) {
          if (this.peerPieces.get(i)) throw badBitfield(`have for piece ${i} of ${t.pieceCount}`)
        }
        const exact = new Uint8Array(Math.ceil(t.pieceCount / 8))
        exact.set(this.peerPieces.buffer.subarray(0, exact.length))
        this.peerPieces.buffer = exact
      } catch (err) {
        this.destroy(err as PeerWireError)
      }
    }
  }

  #checkBitfield(bits: Uint8Array): void {
    const n = this.pieceCount
    if (n === undefined) return
    const want = Math.ceil(n / 8)
    if (bits.length !== want)
      throw badBitfield(`bitfield of ${bits.length} bytes for ${n} pieces (want ${want})`)
    if (n & 7 && (bits[want - 1]! & (0xff >> (n & 7))) !== 0)
      throw badBitfield('spare bits set at the end of the bitfield')
  }

  #pieceSize(index: number): number | undefined {
    if (this.#pieceLength === undefined || this.pieceCount === undefined) return undefined
    if (index < this.pieceCount - 1 || this.#length === undefined) return this.#pieceLength
    return this.#length - this.#pieceLength * (this.pieceCount - 1)
  }

  /** Metadata (info dictionary) this wire serves over ut_metadata; set it once known. */
  setMetadata(info: Uint8Array): void {
    this.#utMetadata?.setMetadata(info)
  }

  // ---------------------------------------------------------------- handshake

  /**
   * Sends our handshake. On an incoming connection call it from the `'handshake'` listener, with the
   * info hash of the torrent the peer asked for when it was not given to the constructor.
   */
  handshake(options: { infoHash?: Uint8Array } = {}): void {
    if (this.destroyed || this.#sentHandshake) return
    if (options.infoHash) {
      if (options.infoHash.length !== 20)
        throw new RangeError(`expected a 20-byte info hash, got ${options.infoHash.length}`)
      this.infoHash = options.infoHash
    }
    if (!this.infoHash) throw new RangeError('handshake needs an info hash')
    const o = this.#opts
    this.#sentHandshake = true
    this.#write(
      encodeHandshake({
        infoHash: this.infoHash,
        peerId: o.peerId,
        fast: o.fast !== false,
        extended: o.extended !== false,
        dht: o.dhtPort !== undefined,
        v2Upgrade: o.v2 === true,
      }),
    )
    for (const m of this.#beforeHandshake.splice(0)) this.#send(m)
    if (this.peerHandshake) this.#onBothHandshakes()
  }

  #onHandshake(bytes: Uint8Array): void {
    const h = decodeHandshake(bytes)
    const o = this.#opts
    if (this.infoHash && !equalBytes(h.infoHash, this.infoHash)) {
      const v2 = o.infoHashV2?.subarray(0, 20)
      if (!(v2 && equalBytes(h.infoHash, v2))) {
        throw new PeerWireError('PEER_WIRE_INFO_HASH_MISMATCH', 'the peer handshake is for another torrent')
      }
      // BEP 52 upgrade: the peer answered our v1 hash with the truncated v2 hash; this is a v2 connection now.
      this.infoHash = v2
    }
    if (o.expectedPeerId && !equalBytes(h.peerId, o.expectedPeerId)) {
      throw new PeerWireError('PEER_WIRE_PEER_ID_MISMATCH', 'the peer id differs from the one expected')
    }
    this.peerHandshake = h
    this.fast = h.fast && o.fast !== false
    this.extended = h.extended && o.extended !== false
    this.#events.emit('handshake', h)
    if (this.#sentHandshake && !this.destroyed) this.#onBothHandshakes()
  }

  #onBothHandshakes(): void {
    this.#extPending = this.extended
    this.#portPending = this.#opts.dhtPort !== undefined && this.peerHandshake!.dht
    if (this.#extPending || this.#portPending) setImmediate(() => this.#flushAfterAvailability())
  }

  /** Sends what must follow the availability message (extended handshake, DHT port). */
  #flushAfterAvailability(): void {
    if (this.destroyed) return
    if (this.#extPending) {
      this.#extPending = false
      this.#sendExtendedHandshake()
    }
    if (this.#portPending) {
      this.#portPending = false
      this.#send({ type: 'port', port: this.#opts.dhtPort! })
    }
  }

  #sendExtendedHandshake(): void {
    const o = this.#opts
    const m: Record<string, number> = {}
    const fields: Record<string, import('@p2p/bencode').Encodable | undefined> = {
      v: o.clientName ?? '@p2p/peer-wire',
      p: o.listenPort,
      reqq: this.#opt('maxQueuedRequests'),
      upload_only: o.uploadOnly ? 1 : undefined,
    }
    const remote = o.remoteAddress ?? this.#transport.remoteAddress
    if (remote) {
      try {
        fields.yourip = ipToBytes(normalizeIp(remote))
      } catch {}
    }
    for (const [id, ext] of this.#extById) {
      m[ext.name] = id
      Object.assign(fields, ext.handshakeFields?.())
    }
    Object.assign(fields, o.extendedHandshake)
    this.#writeMessage({ type: 'extended', id: 0, payload: encodeExtendedHandshake(m, fields) })
  }

  // ---------------------------------------------------------------- extension registry

  /**
   * Registers an extension (BEP 10) and returns it. Call before the extended handshake goes out
   * (right after construction); the built-in ut_metadata, ut_pex and lt_donthave are registered already.
   * Pass a factory to give the extension its {@link ExtensionContext} (how it sends and emits).
   */
  use<T extends WireExtension>(extension: T | ((context: ExtensionContext) => T)): T {
    const ext = typeof extension === 'function' ? extension(this.#context) : extension
    const id = this.#extensions.length + 1
    if (id > 255) throw new RangeError('too many extensions')
    this.#extensions.push(ext)
    this.#extById.set(id, ext)
    return ext
  }

  /** Whether the peer's extended handshake names extension `name`. */
  peerSupports(name: string): boolean {
    return (this.peerExtended?.m[name] ?? 0) > 0
  }

  /**
   * Sends an extension message to the peer, under the id the peer gave `name`.
   * @throws {PeerWireError} `PEER_WIRE_NOT_SUPPORTED` when the peer does not support `name`.
   */
  sendExtended(name: string, payload: Uint8Array): void {
    const id = this.peerExtended?.m[name]
    if (!id) throw new PeerWireError('PEER_WIRE_NOT_SUPPORTED', `the peer does not support ${name}`)
    this.#send({ type: 'extended', id, payload })
  }

  // ---------------------------------------------------------------- outgoing messages

  /** Requests sent in this tick, encoded back to back into one buffer: one write for a burst. */
  #reqBatch: Buffer | undefined
  #reqBatchLength = 0

  /** Sends a request message; a burst of them is encoded into one buffer. */
  #sendRequest(index: number, begin: number, length: number): void {
    if (!this.#sentHandshake || this.#extPending || this.#portPending) {
      this.#send({ type: 'request', index, begin, length })
      return
    }
    let b = this.#reqBatch
    if (b && this.#reqBatchLength + REQUEST_LENGTH > b.length) {
      this.#flushRequests()
      b = undefined
    }
    if (!b) {
      b = Buffer.allocUnsafe(REQUEST_LENGTH * REQUEST_BATCH)
      this.#reqBatch = b
      this.#reqBatchLength = 0
    }
    const o = this.#reqBatchLength
    b.writeUInt32BE(13, o)
    b[o + 4] = MessageId.request
    b.writeUInt32BE(index, o + 5)
    b.writeUInt32BE(begin, o + 9)
    b.writeUInt32BE(length, o + 13)
    this.#reqBatchLength = o + REQUEST_LENGTH
    this.#cork()
  }

  #flushRequests(): void {
    const b = this.#reqBatch!.subarray(0, this.#reqBatchLength)
    this.#reqBatch = undefined
    this.#reqBatchLength = 0
    this.#rawWrite(b)
  }

  #cork(): void {
    if (this.#corked) return
    // Everything sent in this tick leaves in one writev: a burst of requests or blocks is one syscall.
    this.#corked = true
    this.#lastSent = this.#time.now()
    this.#transport.cork()
    process.nextTick(this.#uncork)
  }

  #write(buf: Uint8Array, onWritten?: (err?: Error | null) => void): boolean {
    if (this.destroyed) return false
    if (this.#reqBatchLength > 0) this.#flushRequests()
    return this.#rawWrite(buf, onWritten)
  }

  #rawWrite(buf: Uint8Array, onWritten?: (err?: Error | null) => void): boolean {
    this.bytesSent += buf.length
    this.#cork()
    const ok = onWritten ? this.#transport.write(buf, onWritten) : this.#transport.write(buf)
    if (!ok) this.#checkWriteBuffer()
    return ok
  }

  readonly #uncork = () => {
    if (this.#reqBatchLength > 0 && !this.destroyed) this.#flushRequests()
    this.#corked = false
    this.#transport.uncork()
  }

  #checkWriteBuffer(): void {
    if (!this.#drainPaused && this.#transport.writableLength > this.#maxWriteBuffer) {
      this.#drainPaused = true
      this.#transport.pause()
    }
  }

  #writeMessage(m: Message): boolean {
    return this.#write(encodeMessage(m))
  }

  /** Sends a message, preceded by the pending extended handshake unless it is the availability message. */
  #send(m: Message): boolean {
    if (this.destroyed) return false
    if (!this.#sentHandshake) {
      // Sent right after our handshake (a choker may run over wires still handshaking).
      this.#beforeHandshake.push(m)
      return true
    }
    const availability = m.type === 'bitfield' || m.type === 'have-all' || m.type === 'have-none'
    if (!availability && (this.#extPending || this.#portPending)) this.#flushAfterAvailability()
    const ok = this.#writeMessage(m)
    if (availability) this.#flushAfterAvailability()
    return ok
  }

  /** Whether our write buffer is above `maxWriteBuffer` (reading is paused until it drains). */
  get congested(): boolean {
    return this.destroyed || this.#transport.writableLength > this.#maxWriteBuffer
  }

  /** Whether the transport takes more data now (`false`: wait for `'drain'`). */
  get writable(): boolean {
    return !this.destroyed && !this.#transport.writableNeedDrain
  }

  /** Sends a keep-alive. */
  keepAlive(): void {
    this.#send({ type: 'keep-alive' })
  }

  /** Sends our bitfield (the first message after the handshake). `bits` is in wire order. */
  bitfield(bits: Uint8Array | Bitfield, pieceCount = this.pieceCount): void {
    const bytes = bits instanceof Bitfield ? bits.buffer : bits
    const want = pieceCount === undefined ? bytes.length : Math.ceil(pieceCount / 8)
    const out = bytes.length === want ? bytes : new Uint8Array(want)
    if (out !== bytes) out.set(bytes.subarray(0, want))
    this.#send({ type: 'bitfield', bits: out })
  }

  /**
   * Sends have-all (fast extension), or a full bitfield when the peer lacks the fast extension.
   */
  haveAll(): void {
    if (this.fast) this.#send({ type: 'have-all' })
    else {
      if (this.pieceCount === undefined)
        throw new RangeError('haveAll without the fast extension needs the piece count')
      const bits = new Bitfield()
      bits.setAll(this.pieceCount)
      this.bitfield(bits.buffer)
    }
  }

  /** Sends have-none (fast extension); without it nothing needs to be sent. */
  haveNone(): void {
    if (this.fast) this.#send({ type: 'have-none' })
    else this.#flushAfterAvailability()
  }

  /** Announces a new piece. */
  have(index: number): void {
    this.#send({ type: 'have', index })
  }

  /** Chokes the peer: queued requests are rejected (fast extension) or dropped. */
  choke(): void {
    if (this.amChoking) return
    this.amChoking = true
    this.#send({ type: 'choke' })
    for (const [key, r] of this.#peerRequests) {
      if (this.fast && this.amAllowedFast.has(r.index)) continue
      this.#peerRequests.delete(key)
      if (this.fast) this.#send({ type: 'reject', ...r })
    }
  }

  /** Unchokes the peer. */
  unchoke(): void {
    if (!this.amChoking) return
    this.amChoking = false
    this.#send({ type: 'unchoke' })
  }

  /** Tells the peer we are interested. */
  interested(): void {
    if (this.amInterested) return
    this.amInterested = true
    this.#send({ type: 'interested' })
  }

  /** Tells the peer we are not interested. */
  uninterested(): void {
    if (!this.amInterested) return
    this.amInterested = false
    this.#send({ type: 'not-interested' })
  }

  /** Suggests a piece (fast extension; ignored without it). */
  suggest(index: number): void {
    if (this.fast) this.#send({ type: 'suggest', index })
  }

  /** Allows the peer to request `index` while choked (fast extension; ignored without it). */
  allowedFast(index: number): void {
    if (!this.fast || this.amAllowedFast.has(index)) return
    this.amAllowedFast.add(index)
    this.#send({ type: 'allowed-fast', index })
  }

  /** Sends our DHT port (BEP 5). */
  port(port: number): void {
    this.#send({ type: 'port', port })
  }

  /** Number of our requests waiting for an answer. */
  get outstandingRequests(): number {
    return this.#requests.outstanding
  }

  /** How many requests may be outstanding: `maxRequests`, capped by the peer's `reqq`. */
  get maxOutstandingRequests(): number {
    return Math.min(this.#maxRequests, this.peerExtended?.reqq ?? Number.POSITIVE_INFINITY)
  }

  /** The peer's queued requests, not yet answered. */
  get peerRequests(): BlockRequest[] {
    return [...this.#peerRequests.values()]
  }

  /**
   * Requests a block. Resolves with its bytes (with `into`: that buffer, the block copied into it as
   * it arrives, once and straight from the socket's data; the wire writes `into` only while the
   * request is pending, so the caller owns it again once the promise settles); rejects with a {@link PeerWireError}: `PEER_WIRE_CHOKED`
   * (choked and not allowed fast, or choked without the fast extension while waiting), `PEER_WIRE_REJECTED`,
   * `PEER_WIRE_REQUEST_TIMEOUT`, `PEER_WIRE_CANCELLED`, `PEER_WIRE_TOO_MANY_REQUESTS`, `PEER_WIRE_ABORTED`
   * or `PEER_WIRE_CLOSED`.
   */
  request(
    index: number,
    begin: number,
    length: number,
    options: { signal?: AbortSignal; into?: Uint8Array } = {},
  ): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      try {
        this.#addRequest(index, begin, length, options.into, options.signal, (err, block) =>
          err ? reject(err) : resolve(block!),
        )
      } catch (err) {
        reject(err)
      }
    })
  }

  /**
   * {@link PeerProtocol.request} without a promise, for a caller that requests many blocks: `done` is called
   * once, when the block arrived (in `into` when given) or the request ended. Failures known at once
   * (choked, too many requests, closed, bad arguments) throw instead and `done` is not called.
   *
   * @throws {PeerWireError} `PEER_WIRE_CHOKED`, `PEER_WIRE_TOO_MANY_REQUESTS`, `PEER_WIRE_CLOSED`.
   * @throws {RangeError} on a bad index, offset, length or `into` buffer.
   */
  requestBlock(
    index: number,
    begin: number,
    length: number,
    into: Uint8Array | undefined,
    done: BlockCallback,
  ): void {
    this.#addRequest(index, begin, length, into, undefined, done)
  }

  #addRequest(
    index: number,
    begin: number,
    length: number,
    into: Uint8Array | undefined,
    signal: AbortSignal | undefined,
    done: BlockCallback,
  ): void {
    if (this.destroyed) throw new PeerWireError('PEER_WIRE_CLOSED', 'the wire is closed')
    if (!Number.isInteger(length) || length <= 0 || length > this.#limits.maxBlockLength) {
      throw new RangeError(`expected a block length in 1..${this.#limits.maxBlockLength}, got ${length}`)
    }
    if (
      !Number.isInteger(index) ||
      index < 0 ||
      (this.pieceCount !== undefined && index >= this.pieceCount)
    ) {
      throw new RangeError(`expected a piece index in the torrent, got ${index}`)
    }
    if (!Number.isInteger(begin) || begin < 0 || begin > 0xffffffff) {
      throw new RangeError(`expected a block offset in 0..2^32-1, got ${begin}`)
    }
    if (into !== undefined && into.length !== length) {
      throw new RangeError(`expected an 'into' buffer of ${length} bytes, got ${into.length}`)
    }
    if (signal?.aborted) {
      throw new PeerWireError('PEER_WIRE_ABORTED', 'request aborted', { cause: signal.reason })
    }
    if (this.peerChoking && !(this.fast && this.peerAllowedFast.has(index))) {
      throw new PeerWireError('PEER_WIRE_CHOKED', 'the peer is choking us')
    }
    const key = blockKey(index, begin)
    const existing = this.#requests.get(key)
    if (existing && !existing.dead) {
      throw new PeerWireError('PEER_WIRE_TOO_MANY_REQUESTS', `block ${keyText(key)} is already requested`)
    }
    if (this.outstandingRequests >= this.maxOutstandingRequests) {
      throw new PeerWireError(
        'PEER_WIRE_TOO_MANY_REQUESTS',
        `${this.outstandingRequests} requests outstanding`,
      )
    }
    const pending = this.#requests.create(
      index,
      begin,
      length,
      done,
      this.#clock + this.#requestTimeout,
      into,
    )
    if (signal) {
      const onAbort = () => {
        this.#kill(
          key,
          pending,
          new PeerWireError('PEER_WIRE_ABORTED', 'request aborted', { cause: signal.reason }),
        )
      }
      signal.addEventListener('abort', onAbort, { once: true })
      pending.cleanup = () => signal.removeEventListener('abort', onAbort)
    }
    this.#requests.add(key, pending)
    this.#sendRequest(index, begin, length)
  }

  /** Ends a pending request with `err`: sends a cancel and, under the fast extension, waits for its answer. */
  #kill(key: BlockKey, p: PendingRequest, err: PeerWireError): void {
    const keepUntil = this.fast ? this.#time.now() + this.#requestTimeout : undefined
    // Read first: the callback may end a dead entry (a new request for the block) and reuse `p`.
    const { index, begin, length } = p
    if (!this.#requests.kill(key, p, err, keepUntil)) return
    if (keepUntil === undefined) this.#requests.recycle(p)
    if (!this.destroyed) this.#send({ type: 'cancel', index, begin, length })
  }

  /** Cancels a request of ours; its promise rejects with `PEER_WIRE_CANCELLED`. */
  cancel(index: number, begin: number, length?: number): void {
    const key = blockKey(index, begin)
    const p = this.#requests.get(key)
    if (!p || (length !== undefined && p.length !== length)) return
    this.#kill(key, p, new PeerWireError('PEER_WIRE_CANCELLED', `request ${keyText(key)} cancelled`))
  }

  /**
   * Sends a block the peer requested. Blocks for requests the peer no longer has queued (cancelled,
   * or dropped by a choke) are not sent. Returns `false` when the transport is full: wait for `'drain'`.
   * The transport may keep a reference to `block` until it is written: `onWritten` (optional) is called
   * once it was (with an error if the stream failed first), or at once, synchronously, when the block
   * is not sent; only then may the caller reuse `block`'s memory.
   */
  piece(index: number, begin: number, block: Uint8Array, onWritten?: (err?: Error | null) => void): boolean {
    const key = blockKey(index, begin)
    const r = this.#peerRequests.get(key)
    if (this.destroyed || !r || r.length !== block.length) {
      onWritten?.()
      return this.writable
    }
    this.#peerRequests.delete(key)
    if (this.#extPending || this.#portPending) this.#flushAfterAvailability()
    this.#write(encodePieceHeader(index, begin, block.length))
    this.#write(block, onWritten)
    this.uploaded += block.length
    this.#upRate.add(block.length)
    return this.writable
  }

  /** Rejects a peer request (fast extension; without it the request is just dropped). */
  rejectRequest(req: BlockRequest): void {
    const key = blockKey(req.index, req.begin)
    const r = this.#peerRequests.get(key)
    if (!r) return
    this.#peerRequests.delete(key)
    if (this.fast) this.#send({ type: 'reject', index: r.index, begin: r.begin, length: r.length })
  }

  /** Sends a ut_pex update (BEP 11): batched and sent at most once per `pexInterval`. */
  sendPex(update: PexUpdate): void {
    this.#utPex?.queue(update)
  }

  /**
   * Tells the peer we no longer have piece `index` (BEP 54). Returns false when the peer does not
   * support lt_donthave.
   */
  donthave(index: number): boolean {
    return this.#ltDonthave?.send(index) ?? false
  }

  /**
   * Fetches the info dictionary with ut_metadata (BEP 9) and verifies it against the info hash
   * (SHA-1, or SHA-256 for a v2 hash). Waits for the peer's extended handshake if needed.
   *
   * @throws {PeerWireError} `PEER_WIRE_NOT_SUPPORTED`, `PEER_WIRE_METADATA_REJECTED`, `PEER_WIRE_METADATA_MISMATCH`,
   *   `PEER_WIRE_METADATA_TOO_LARGE`, `PEER_WIRE_REQUEST_TIMEOUT`, `PEER_WIRE_ABORTED` or `PEER_WIRE_CLOSED`.
   */
  async fetchMetadata(options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    if (!this.#utMetadata)
      throw new PeerWireError('PEER_WIRE_NOT_SUPPORTED', 'ut_metadata is disabled on this wire')
    return this.#utMetadata.fetch(options.signal, this.#opt('requestTimeout'), this.#opts.infoHashV2)
  }

  /**
   * Requests merkle hashes (BEP 52). Resolves with the 'hashes' answer; rejects with
   * `PEER_WIRE_HASH_REJECTED`, `PEER_WIRE_REQUEST_TIMEOUT` or `PEER_WIRE_CLOSED`.
   */
  hashRequest(request: HashRequest): Promise<HashesMessage> {
    if (this.destroyed) return Promise.reject(new PeerWireError('PEER_WIRE_CLOSED', 'the wire is closed'))
    return this.#hashExchange.request(request)
  }

  /** Answers a peer's hash request with the hashes (base layer, then uncle hashes, BEP 52). */
  hashes(request: HashRequest, hashes: Uint8Array | Uint8Array[]): void {
    this.#hashExchange.answer(request, Array.isArray(hashes) ? Buffer.concat(hashes) : hashes)
  }

  /** Refuses a peer's hash request. */
  hashReject(request: HashRequest): void {
    this.#hashExchange.refuse(request)
  }

  // ---------------------------------------------------------------- flow control and stats

  /** Stops reading from the transport (the consumer is slow). */
  pause(): void {
    this.#userPaused = true
    this.#transport.pause()
  }

  /** Resumes reading after {@link PeerProtocol.pause}. */
  resume(): void {
    this.#userPaused = false
    if (!this.#drainPaused) this.#transport.resume()
  }

  /** Piece payload bytes per second received, over the last few seconds. */
  downloadRate(): number {
    return this.#downRate.rate()
  }

  /** Piece payload bytes per second sent, over the last few seconds. */
  uploadRate(): number {
    return this.#upRate.rate()
  }

  // ---------------------------------------------------------------- incoming

  /**
   * Feeds bytes the caller read from the transport itself, for a transport that reads into a buffer
   * it reuses (e.g. `net.connect({ onread: { buffer, callback } })`, which emits no `'data'`): they are
   * parsed at once and nothing keeps a view of `chunk` after the call (blocks are copied into the
   * request's `into` buffer, or else into buffers of their own).
   */
  receive(chunk: Uint8Array): void {
    this.#receive(chunk, true)
  }

  /**
   * Feeds bytes the caller gives away (a stream's `'data'` chunk): the protocol may keep views of
   * `chunk` (a block is handed out without a copy when no `into` buffer waits for it).
   */
  receiveOwned(chunk: Uint8Array): void {
    this.#receive(chunk, false)
  }

  #receive(chunk: Uint8Array, transient: boolean): void {
    if (this.destroyed) return
    this.bytesReceived += chunk.length
    this.#clock = this.#time.now()
    this.#lastReceived = this.#clock
    try {
      this.#parser.push(chunk, transient)
      if (!this.#parser.midFrame) this.#messageStarted = 0
    } catch (err) {
      this.destroy(
        err instanceof PeerWireError
          ? err
          : new PeerWireError(
              'PEER_WIRE_BAD_MESSAGE',
              `failed to process a message: ${(err as Error).message}`,
              {
                cause: err,
              },
            ),
      )
    }
  }

  /** The transport ended or closed: closes the protocol, with an error when a message was cut. */
  ended(): void {
    if (this.destroyed) return
    if (!this.peerHandshake && this.bytesReceived > 0) {
      this.destroy(new PeerWireError('PEER_WIRE_BAD_HANDSHAKE', 'the stream ended inside the handshake'))
    } else if (this.#parser.midFrame) {
      this.destroy(new PeerWireError('PEER_WIRE_BAD_MESSAGE', 'the stream ended inside a message'))
    } else this.destroy()
  }
  /** The transport failed with `err`: closes the protocol with `PEER_WIRE_CLOSED`. */
  failed(err: Error): void {
    this.destroy(new PeerWireError('PEER_WIRE_CLOSED', `transport error: ${err.message}`, { cause: err }))
  }

  /** The transport can take more data after a write returned false. */
  drained(): void {
    if (this.#drainPaused) {
      this.#drainPaused = false
      if (!this.#userPaused) this.#transport.resume()
    }
    this.#events.emit('drain')
  }

  #onFrame(frame: Uint8Array): void {
    if (this.destroyed) {
      this.#parser.stopped = true
      return
    }
    const m = decodeMessage(frame, this.#limits)
    switch (m.type) {
      case 'keep-alive':
        return
      case 'extended':
        return this.#onExtended(m.id, m.payload)
      case 'port':
        this.#events.emit('port', m.port)
        return
      case 'bitfield':
      case 'have-all':
      case 'have-none':
        return this.#onAvailability(m)
    }
    this.#peerOtherSeen = true
    switch (m.type) {
      case 'choke':
        return this.#onChoke()
      case 'unchoke':
        return this.#onUnchoke()
      case 'interested':
        return this.#onInterested(true)
      case 'not-interested':
        return this.#onInterested(false)
      case 'have':
        return this.#onHave(m.index)
      case 'request':
        return this.#onRequest(m)
      case 'cancel':
        return this.#onCancel(m.index, m.begin)
      case 'piece':
        return this.#onPiece(m.index, m.begin, m.block)
      case 'reject':
        return this.#onReject(m.index, m.begin, m.length)
      case 'suggest':
        return this.#onSuggest(m.index)
      case 'allowed-fast':
        return this.#onAllowedFast(m.index)
      case 'hash-request':
        return this.#onHashRequest(m)
      case 'hashes':
        return this.#onHashes(m)
      case 'hash-reject':
        return this.#onHashReject(m)
    }
  }

  /** choke: without the fast extension every request we sent is implicitly rejected. */
  #onChoke(): void {
    this.peerChoking = true
    if (!this.fast) {
      const err = new PeerWireError('PEER_WIRE_CHOKED', 'the peer choked us')
      for (const [key, p] of this.#requests.entries()) {
        this.#requests.drop(key, p)
        if (!p.dead) p.done(err, undefined, p)
        this.#requests.recycle(p)
      }
    }
    this.#events.emit('choke')
  }

  #onUnchoke(): void {
    this.peerChoking = false
    this.#events.emit('unchoke')
  }

  /** interested (`true`) or not-interested (`false`). */
  #onInterested(interested: boolean): void {
    this.peerInterested = interested
    this.#events.emit(interested ? 'interested' : 'uninterested')
  }

  #onHave(index: number): void {
    this.#checkIndex(index)
    this.peerPieces.set(index)
    this.#events.emit('have', index)
  }

  /** cancel: forgets the peer's request (answered with a reject under the fast extension). */
  #onCancel(index: number, begin: number): void {
    const key = blockKey(index, begin)
    const r = this.#peerRequests.get(key)
    if (!r) return
    this.#peerRequests.delete(key)
    if (this.fast) this.#send({ type: 'reject', index: r.index, begin: r.begin, length: r.length })
    this.#events.emit('cancel', r)
  }

  /** reject (BEP 6): fails our matching request, if any. */
  #onReject(index: number, begin: number, length: number): void {
    this.#requireFast('reject')
    const key = blockKey(index, begin)
    const p = this.#requests.get(key)
    if (!p || p.length !== length) return
    this.#requests.drop(key, p)
    if (!p.dead)
      p.done(new PeerWireError('PEER_WIRE_REJECTED', `request ${keyText(key)} rejected`), undefined, p)
    this.#requests.recycle(p)
    this.#events.emit('reject', { index, begin, length })
  }

  #onSuggest(index: number): void {
    this.#requireFast('suggest')
    this.#checkIndex(index)
    this.#events.emit('suggest', index)
  }

  #onAllowedFast(index: number): void {
    this.#requireFast('allowed fast')
    this.#checkIndex(index)
    this.peerAllowedFast.add(index)
    this.#events.emit('allowed-fast', index)
  }

  #onHashReject(m: HashRequest): void {
    const req = this.#hashExchange.onReject(m)
    if (req) this.#events.emit('hash-reject', req)
  }

  #requireFast(what: string): void {
    if (!this.fast) {
      throw new PeerWireError('PEER_WIRE_UNEXPECTED_MESSAGE', `${what} message without the fast extension`)
    }
  }

  #checkIndex(index: number): void {
    const n = this.pieceCount ?? this.#limits.maxBitfieldLength * 8
    if (index >= n) throw badBitfield(`piece index ${index} outside the torrent (${n} pieces)`)
  }

  #onAvailability(m: Message): void {
    if (m.type !== 'bitfield') this.#requireFast(m.type)
    if (this.#peerAvailabilitySeen || this.#peerOtherSeen) return this.#lateAvailability(m)
    this.#peerAvailabilitySeen = true
    if (m.type === 'bitfield') {
      this.#checkBitfield(m.bits)
      this.#peerBitfieldReceived = true
      this.peerPieces.buffer = m.bits.slice()
      this.#events.emit('bitfield', this.peerPieces)
    } else if (m.type === 'have-all') {
      this.#peerHasAll = true
      if (this.pieceCount !== undefined) this.peerPieces.setAll(this.pieceCount)
      this.#events.emit('have-all')
    } else this.#events.emit('have-none')
  }

  /**
   * An availability message that is not the first message: BEP 3 wants it first, but aria2 1.36 sends
   * have-none then a bitfield when it reconnects holding pieces, and libtorrent accepts any order. It
   * only adds pieces (nothing is taken back without lt_donthave), each reported as a `have`.
   */
  #lateAvailability(m: Message): void {
    this.#peerAvailabilitySeen = true
    if (m.type === 'have-none') return
    const n = this.pieceCount
    if (m.type === 'bitfield') this.#checkBitfield(m.bits)
    else if (n === undefined) {
      this.#peerHasAll = true
      return
    }
    const count = n ?? (m.type === 'bitfield' ? m.bits.length * 8 : 0)
    const peerHas = (i: number) => m.type !== 'bitfield' || (m.bits[i >> 3]! & (0x80 >> (i & 7))) !== 0
    for (let i = 0; i < count; i++) {
      if (!peerHas(i) || this.peerPieces.get(i)) continue
      this.peerPieces.set(i)
      this.#events.emit('have', i)
    }
  }

  /** Whether the peer announced have-all (its bitfield is filled once the piece count is known). */
  get peerHasAll(): boolean {
    return this.#peerHasAll
  }

  #onRequest(r: BlockRequest): void {
    if (r.length === 0 || r.length > this.#limits.maxBlockLength) {
      throw new PeerWireError(
        'PEER_WIRE_BAD_REQUEST',
        `request for ${r.length} bytes (max ${this.#limits.maxBlockLength})`,
      )
    }
    if (this.pieceCount !== undefined && r.index >= this.pieceCount) {
      throw new PeerWireError('PEER_WIRE_BAD_REQUEST', `request for piece ${r.index} of ${this.pieceCount}`)
    }
    const size = this.#pieceSize(r.index)
    if (size !== undefined && r.begin + r.length > size) {
      throw new PeerWireError(
        'PEER_WIRE_BAD_REQUEST',
        `request ${r.begin}+${r.length} beyond piece ${r.index} (${size} bytes)`,
      )
    }
    const req = { index: r.index, begin: r.begin, length: r.length }
    const key = blockKey(r.index, r.begin)
    const refuse =
      (this.amChoking && !(this.fast && this.amAllowedFast.has(r.index))) ||
      this.#peerRequests.size >= this.#maxQueuedRequests ||
      this.#peerRequests.has(key)
    if (refuse) {
      if (this.fast && !this.#peerRequests.has(key)) this.#send({ type: 'reject', ...req })
      return
    }
    this.#peerRequests.set(key, req)
    this.#events.emit('request', req)
  }

  #onPiece(index: number, begin: number, block: Uint8Array): void {
    const key = blockKey(index, begin)
    const p = this.#requests.get(key)
    if (!p) {
      if (this.fast)
        throw new PeerWireError('PEER_WIRE_UNREQUESTED_PIECE', `piece ${keyText(key)} was never requested`)
      return // without the fast extension a late block after a choke or cancel is normal
    }
    if (block.length !== p.length) {
      throw new PeerWireError(
        'PEER_WIRE_BAD_MESSAGE',
        `block ${keyText(key)} of ${block.length} bytes, requested ${p.length}`,
      )
    }
    this.#requests.drop(key, p)
    const n = block.length
    this.downloaded += n
    this.#downRate.add(n)
    const dead = p.dead
    if (!dead) {
      if (p.into && block !== p.into) {
        p.into.set(block)
        block = p.into
      }
      p.done(undefined, block, p)
    }
    this.#requests.recycle(p)
    if (dead) return
    if (this.#events.listens('piece')) this.#events.emit('piece', { index, begin, block })
  }

  #onHashRequest(m: HashRequest): void {
    const req = this.#hashExchange.onRequest(m, this.#events.listens('hash-request'))
    if (req) this.#events.emit('hash-request', req)
  }

  #onHashes(m: HashesMessage): void {
    this.#events.emit('hashes', this.#hashExchange.onHashes(m))
  }

  #onExtended(id: number, payload: Uint8Array): void {
    if (!this.extended)
      throw new PeerWireError('PEER_WIRE_UNEXPECTED_MESSAGE', 'extended message without BEP 10')
    if (id === 0) {
      const h = decodeExtendedHandshake(payload)
      this.peerExtended = h
      for (const ext of this.#extensions) ext.onExtendedHandshake?.(h)
      this.#events.emit('extended-handshake', h)
      return
    }
    this.#extById.get(id)?.onMessage(payload)
  }

  // ---------------------------------------------------------------- timers and close

  /**
   * Runs the protocol's timers (handshake, message, idle and request timeouts, keep-alives, rate
   * windows); call it every {@link PeerProtocol.tickInterval} ms until the protocol is destroyed.
   */
  tick(): void {
    if (this.destroyed) return
    const now = this.#time.now()
    this.#clock = now
    this.#downRate.flush()
    this.#upRate.flush()
    if (!this.peerHandshake || !this.#sentHandshake) {
      if (now - this.#createdAt > this.#opt('handshakeTimeout')) {
        this.destroy(
          new PeerWireError('PEER_WIRE_HANDSHAKE_TIMEOUT', 'the handshake did not complete in time'),
        )
      }
      return
    }
    if (this.#messageStarted !== 0 && now - this.#messageStarted > this.#opt('messageTimeout')) {
      this.destroy(
        new PeerWireError('PEER_WIRE_MESSAGE_TIMEOUT', 'a message did not complete in time after it began'),
      )
      return
    }
    if (now - this.#lastReceived > this.#opt('idleTimeout') && !this.#userPaused) {
      this.destroy(new PeerWireError('PEER_WIRE_IDLE_TIMEOUT', 'nothing received from the peer in time'))
      return
    }
    for (const [key, p] of this.#requests.entries()) {
      if (p.deadline > now) continue
      if (p.dead) {
        this.#requests.drop(key, p)
        this.#requests.recycle(p)
      } else
        this.#kill(
          key,
          p,
          new PeerWireError('PEER_WIRE_REQUEST_TIMEOUT', `request ${keyText(key)} timed out`),
        )
    }
    this.#hashExchange.expire(now)
    if (now - this.#lastSent >= this.#opt('keepAliveInterval')) this.keepAlive()
  }

  /** Closes the wire and its transport; pending operations reject with `err` (or `PEER_WIRE_CLOSED`). */
  destroy(err?: PeerWireError): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#parser.stopped = true
    const reason = err ?? new PeerWireError('PEER_WIRE_CLOSED', 'the wire closed')
    this.#requests.clear(reason)
    this.#hashExchange.close(reason)
    this.#peerRequests.clear()
    for (const ext of this.#extensions) ext.onClose?.(err)
    this.#transport.destroy()
    this.#events.emit('close', err)
  }
}

function badBitfield(message: string): PeerWireError {
  return new PeerWireError('PEER_WIRE_BAD_BITFIELD', message)
}
