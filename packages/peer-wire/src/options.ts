import type { Encodable } from '@p2p/bencode'
import type { WireClock } from './clock.js'
import { BLOCK_LENGTH } from './constants.js'

/** Options of a {@link Wire}. Every limit has a default; every bound a peer could push is one of them. */
export interface WireOptions {
  /** Our peer id (20 bytes). */
  peerId: Uint8Array
  /**
   * The 20-byte info hash to send and expect (v1 hash, or the v2 hash truncated to 20 bytes). May be
   * left out on an incoming connection and given to {@link Wire.handshake} once the peer's is known.
   */
  infoHash?: Uint8Array
  /** The full 32-byte v2 info hash of a v2 or hybrid torrent: accepts a peer upgrading to it (BEP 52). */
  infoHashV2?: Uint8Array
  /** Expected peer id of the remote side; another one closes the wire. */
  expectedPeerId?: Uint8Array
  /** Set the v2 upgrade bit (we support BEP 52 for this hybrid torrent). Default false. */
  v2?: boolean
  /** Offer the fast extension (BEP 6). Default true. */
  fast?: boolean
  /** Offer the extension protocol (BEP 10). Default true. */
  extended?: boolean
  /** Our DHT port: sets the DHT bit and sends a port message (BEP 5). */
  dhtPort?: number
  /** Number of pieces, when known (checked against bitfields, haves and requests). */
  pieceCount?: number
  /** Piece length in bytes, when known (requests outside a piece are protocol errors). */
  pieceLength?: number
  /** Total content length in bytes, when known (sizes the last piece). */
  length?: number
  /** The raw info dictionary, to serve ut_metadata (BEP 9). */
  metadata?: Uint8Array
  /** Built-in extensions to offer. Default: all on. */
  extensions?: { utMetadata?: boolean; utPex?: boolean; ltDonthave?: boolean }
  /** `v` of our extended handshake. Default `'@p2p/peer-wire'`. */
  clientName?: string
  /** `p` of our extended handshake: our listen port. */
  listenPort?: number
  /** `upload_only` of our extended handshake. */
  uploadOnly?: boolean
  /** The remote peer's IP address (for `yourip`); taken from the stream's `remoteAddress` when it has one. */
  remoteAddress?: string
  /** More keys for our extended handshake. */
  extendedHandshake?: Record<string, Encodable | undefined>
  /** Most of our requests outstanding at once (also capped by the peer's `reqq`). Default 250. */
  maxRequests?: number
  /** Most peer requests we queue (our `reqq`). Beyond it requests are rejected (fast) or dropped. Default 500. */
  maxQueuedRequests?: number
  /** Largest block accepted in a request or piece. Default 16 KiB. */
  maxBlockLength?: number
  /** Largest bitfield accepted while the piece count is unknown, in bytes. Default 1 MiB (8M pieces). */
  maxBitfieldLength?: number
  /** Largest extension message payload. Default 128 KiB. */
  maxExtendedLength?: number
  /** Largest metadata (info dictionary) we fetch. Default 16 MiB. */
  maxMetadataSize?: number
  /** Largest `length` of a BEP 52 hash request we accept or send. Default 512. */
  maxHashRequestLength?: number
  /** Most peer hash requests queued. Default 64. */
  maxQueuedHashRequests?: number
  /** Most peers taken from one ut_pex message (per list). Default 200. */
  maxPexPeers?: number
  /** Minimum interval between our ut_pex messages (BEP 11: once a minute). Default 60 s. */
  pexInterval?: number
  /** Write buffer size beyond which the wire stops reading until the stream drains. Default 4 MiB. */
  maxWriteBuffer?: number
  /** Send a keep-alive after this long without sending anything. Default 60 s. */
  keepAliveInterval?: number
  /** Close when nothing was received for this long. Default 180 s (peers keep-alive every 120 s). */
  idleTimeout?: number
  /** Fail a request (block, hashes, metadata piece) not answered within this. Default 60 s. */
  requestTimeout?: number
  /** Close when the handshake is not complete within this. Default 20 s. */
  handshakeTimeout?: number
  /**
   * Most time between two checks of the wire's deadlines and rate buckets, ms. Default 1 s. Each
   * check is a timer event: a simulator of thousands of wires raises it to cut its event count.
   */
  tickInterval?: number
  /** Time source and timers (a simulator's virtual clock). Default: the system clock. */
  clock?: WireClock
  /**
   * Close when a message is not complete this long after its first byte arrived (a peer trickling
   * a message one byte at a time keeps resetting `idleTimeout`). Default 60 s.
   */
  messageTimeout?: number
  /** Destroys the wire when aborted. */
  signal?: AbortSignal
}

/** Defaults of the numeric {@link WireOptions}. */
export const WIRE_DEFAULTS = {
  maxRequests: 250,
  maxQueuedRequests: 500,
  maxBlockLength: BLOCK_LENGTH,
  maxBitfieldLength: 1 << 20,
  maxExtendedLength: 128 * 1024,
  maxMetadataSize: 16 * 1024 * 1024,
  maxHashRequestLength: 512,
  maxQueuedHashRequests: 64,
  maxPexPeers: 200,
  pexInterval: 60_000,
  maxWriteBuffer: 4 * 1024 * 1024,
  keepAliveInterval: 60_000,
  idleTimeout: 180_000,
  requestTimeout: 60_000,
  handshakeTimeout: 20_000,
  messageTimeout: 60_000,
  tickInterval: 1_000,
} as const
