import { readU32 } from './bytes.js'
import { HANDSHAKE_LENGTH, MessageId } from './constants.js'
import { PeerWireError } from './errors.js'
import { checkHandshakePrefix } from './handshake.js'

const EMPTY = new Uint8Array(0)
/** id + index + begin of a piece message. */
const PIECE_HEAD = 9

/**
 * Splits a byte stream into the 68-byte handshake and then length-prefixed frames, however the stream
 * is cut. A frame lying whole inside one chunk is passed as a view (no copy); a frame spread over
 * chunks is copied into one buffer, allocated only after its length has been checked against the
 * limit for its message id (`maxFrame`).
 *
 * With an `onPiece` handler, piece messages skip the frame: the block is handed over as a view of
 * the chunk it lies in, and when only the 9-byte piece header sits in an earlier chunk (a transport
 * that keeps write boundaries, like our own `piece()` writes) the block is still not copied. With a
 * `pieceTarget` handler too, a block goes straight into the buffer it names (copied once, whether
 * it lies in one chunk or is spread over many) and that buffer is handed to `onPiece`.
 *
 * A chunk pushed as `transient` (a read buffer the transport reuses) is never kept: frames and
 * blocks handed over are copies (or the piece target).
 */
export class FrameParser {
  #handshake: Uint8Array | null
  #handshakeFill = 0
  /** Collects the 4-byte length prefix and the id byte when they straddle chunks. */
  readonly #head = new Uint8Array(5)
  #headFill = 0
  #body: Uint8Array | null = null
  #bodyFill = 0
  /** Whether #body is the block of a piece message (handed to onPiece), not a whole frame. */
  #bodyIsBlock = false
  readonly #pieceHead = new Uint8Array(PIECE_HEAD)
  #pieceHeadFill = 0
  #pieceFrameLength = 0
  #pieceIndex = 0
  #pieceBegin = 0
  /** Whether the chunk being parsed is transient (handed-out views must be copies). */
  #transient = false
  readonly #maxFrame: (id: number, length: number) => void
  readonly #onHandshake: (bytes: Uint8Array) => void
  readonly #onFrame: (frame: Uint8Array) => void
  readonly #onPiece: ((index: number, begin: number, block: Uint8Array) => void) | undefined
  readonly #pieceTarget:
    | ((index: number, begin: number, length: number) => Uint8Array | undefined)
    | undefined
  /** Set to stop parsing the rest of a chunk (the wire was destroyed by a handler). */
  stopped = false

  /**
   * @param handlers `maxFrame` throws when a frame of `length` bytes (id included) is not allowed for
   *   message `id`; `onHandshake` and `onFrame` receive the parsed pieces; `onPiece`, when given, receives
   *   piece messages instead of `onFrame`; `pieceTarget`, when given, names the buffer (exactly `length`
   *   bytes) a block is copied into as it arrives, or `undefined` for none
   * @param expectHandshake whether the stream starts with a handshake
   */
  constructor(
    handlers: {
      maxFrame: (id: number, length: number) => void
      onHandshake: (bytes: Uint8Array) => void
      onFrame: (frame: Uint8Array) => void
      onPiece?: (index: number, begin: number, block: Uint8Array) => void
      pieceTarget?: (index: number, begin: number, length: number) => Uint8Array | undefined
    },
    expectHandshake = true,
  ) {
    this.#maxFrame = handlers.maxFrame
    this.#onHandshake = handlers.onHandshake
    this.#onFrame = handlers.onFrame
    this.#onPiece = handlers.onPiece
    this.#pieceTarget = handlers.pieceTarget
    this.#handshake = expectHandshake ? new Uint8Array(HANDSHAKE_LENGTH) : null
  }

  /** Whether the stream stopped inside a handshake or frame (a clean end is between frames). */
  get midFrame(): boolean {
    return this.buffered > 0 || this.#body !== null
  }

  /** Bytes held in partial buffers (bounded by the largest allowed frame). */
  get buffered(): number {
    return this.#headFill + this.#bodyFill + this.#handshakeFill + this.#pieceHeadFill
  }

  /**
   * Stops copying the block being received into `target` (its request ended, the caller takes the
   * buffer back): the bytes so far and the rest of that block go to a buffer of the parser's own.
   */
  forget(target: Uint8Array): void {
    if (this.#body !== target) return
    const own = Buffer.allocUnsafeSlow(target.length)
    own.set(target.subarray(0, this.#bodyFill))
    this.#body = own
  }

  /**
   * Feeds a chunk; calls the handlers for each complete handshake/frame in it.
   * @param transient whether the caller reuses `chunk` after this call (no view of it is handed out)
   * @throws {PeerWireError} from the limit check or the handshake check.
   */
  push(chunk: Uint8Array, transient = false): void {
    this.#transient = transient
    let off = this.#handshake ? this.#pushHandshake(chunk) : 0
    const end = chunk.length
    // Each step returns the offset it stopped at: `end` when the chunk ended inside a frame.
    while (off < end && !this.stopped) {
      if (this.#pieceHeadFill > 0) off = this.#fillPieceHead(chunk, off)
      else if (this.#body) off = this.#fillBody(chunk, off)
      else if (this.#headFill === 0 && end - off >= 5) {
        const length = readU32(chunk, off)
        if (length === 0) {
          off += 4
          this.#onFrame(EMPTY)
        } else off = this.#frame(chunk, off + 4, length)
      } else off = this.#splitHead(chunk, off)
    }
  }

  /** Collects the handshake at the start of the stream; returns the offset after the part taken. */
  #pushHandshake(chunk: Uint8Array): number {
    const hs = this.#handshake!
    const take = Math.min(HANDSHAKE_LENGTH - this.#handshakeFill, chunk.length)
    hs.set(chunk.subarray(0, take), this.#handshakeFill)
    this.#handshakeFill += take
    checkHandshakePrefix(hs.subarray(0, this.#handshakeFill))
    if (this.#handshakeFill < HANDSHAKE_LENGTH) return take
    this.#handshake = null
    this.#handshakeFill = 0
    this.#onHandshake(hs)
    return take
  }

  /** Continues a piece header begun in an earlier chunk; then hands over or starts its block. */
  #fillPieceHead(chunk: Uint8Array, off: number): number {
    const take = Math.min(PIECE_HEAD - this.#pieceHeadFill, chunk.length - off)
    this.#pieceHead.set(chunk.subarray(off, off + take), this.#pieceHeadFill)
    this.#pieceHeadFill += take
    off += take
    if (this.#pieceHeadFill < PIECE_HEAD) return off
    this.#pieceHeadFill = 0
    return this.#pieceBlock(
      chunk,
      off,
      readU32(this.#pieceHead, 1),
      readU32(this.#pieceHead, 5),
      this.#pieceFrameLength,
    )
  }

  /** Continues a frame or block begun in an earlier chunk; hands it over once complete. */
  #fillBody(chunk: Uint8Array, off: number): number {
    const body = this.#body!
    const take = Math.min(body.length - this.#bodyFill, chunk.length - off)
    body.set(chunk.subarray(off, off + take), this.#bodyFill)
    this.#bodyFill += take
    off += take
    if (this.#bodyFill < body.length) return off
    this.#body = null
    this.#bodyFill = 0
    if (this.#bodyIsBlock) {
      this.#bodyIsBlock = false
      this.#onPiece!(this.#pieceIndex, this.#pieceBegin, body)
    } else this.#onFrame(body)
    return off
  }

  /** Collects a length prefix and id byte that straddle chunks (or sit at the end of this one). */
  #splitHead(chunk: Uint8Array, off: number): number {
    const end = chunk.length
    const head = this.#head
    while (this.#headFill < 4 && off < end) head[this.#headFill++] = chunk[off++]!
    if (this.#headFill < 4) return off
    const length = readU32(head, 0)
    if (length === 0) {
      this.#headFill = 0
      this.#onFrame(EMPTY)
      return off
    }
    if (off >= end) return off
    this.#headFill = 0
    return this.#frame(chunk, off, length)
  }

  /** `off` points at the id byte of a frame of `length` bytes: hands it over or starts copying it. */
  #frame(chunk: Uint8Array, off: number, length: number): number {
    const end = chunk.length
    const id = chunk[off]!
    this.#maxFrame(id, length)
    if (id === MessageId.piece && this.#onPiece && length >= PIECE_HEAD) {
      if (end - off >= PIECE_HEAD) {
        return this.#pieceBlock(
          chunk,
          off + PIECE_HEAD,
          readU32(chunk, off + 1),
          readU32(chunk, off + 5),
          length,
        )
      }
      this.#pieceHead.set(chunk.subarray(off, end))
      this.#pieceHeadFill = end - off
      this.#pieceFrameLength = length
      return end
    }
    if (end - off >= length) {
      const f = chunk.subarray(off, off + length)
      this.#onFrame(this.#transient ? copy(f) : f)
      return off + length
    }
    // Uninitialised memory: every byte is overwritten before the frame is handed out.
    const body = Buffer.allocUnsafeSlow(length)
    body.set(chunk.subarray(off, end))
    this.#body = body
    this.#bodyFill = end - off
    return end
  }

  /** The block of a piece frame starts at `off`: hands it over (a view) or starts copying it. */
  #pieceBlock(chunk: Uint8Array, off: number, index: number, begin: number, frameLength: number): number {
    const blockLength = frameLength - PIECE_HEAD
    const end = chunk.length
    const target = blockLength > 0 ? this.#pieceTarget?.(index, begin, blockLength) : undefined
    if (target !== undefined && target.length !== blockLength) {
      throw new RangeError(`piece target of ${target.length} bytes for a ${blockLength}-byte block`)
    }
    if (end - off >= blockLength) {
      const view = chunk.subarray(off, off + blockLength)
      if (target) target.set(view)
      this.#onPiece!(index, begin, target ?? (this.#transient ? copy(view) : view))
      return off + blockLength
    }
    // Uninitialised memory: every byte is overwritten before the block is handed out.
    const body = target ?? Buffer.allocUnsafeSlow(blockLength)
    body.set(chunk.subarray(off, end))
    this.#body = body
    this.#bodyFill = end - off
    this.#bodyIsBlock = true
    this.#pieceIndex = index
    this.#pieceBegin = begin
    return end
  }
}

function copy(view: Uint8Array): Uint8Array {
  const c = Buffer.allocUnsafe(view.length)
  c.set(view)
  return c
}

/** Throws the too-large error used by the wire's frame limit check. */
export function frameTooLarge(id: number, length: number, max: number): PeerWireError {
  return new PeerWireError(
    'PEER_WIRE_MESSAGE_TOO_LARGE',
    `message ${id} announces ${length} bytes, more than the ${max} allowed`,
  )
}
