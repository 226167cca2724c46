import type { BlockCallback } from '@p2p/peer-wire'
import { PieceBufferPool } from './piece-buffer-pool.js'
import { MIN_PIPELINE, pipelineDepth } from './piece-picker.js'
import { verify } from './piece-verification.js'
import { type Peer, type PieceBuffer, peerBits, type TorrentState } from './torrent-state.js'
import { DEFAULT_MAX_BUFFERED_BYTES } from './torrent-types.js'

/** Requests sent together when refilling a pipeline that still has at least this many in flight. */
const REFILL_BATCH = 64

/** Tops up every peer's request pipeline. */
export function fillAll(s: TorrentState): void {
  for (const p of s.peers) fill(s, p)
}

/** Tops up one peer's request pipeline with blocks the picker chooses (rate-limited). */
export function fill(s: TorrentState, peer: Peer): void {
  const picker = s.picker
  const { wire } = peer
  if (!picker || s.destroyed || s.halted || s.finished || !peer.handshaken || !wire.amInterested) return
  const choked = wire.peerChoking
  if (choked && peer.allowedFast.size === 0) return
  // A peer on parole (it sent part of a bad piece) gets a short pipeline: little to waste on it.
  const depth = peer.parole
    ? Math.min(MIN_PIPELINE, wire.maxOutstandingRequests)
    : pipelineDepth(peer.down.rate(), { max: wire.maxOutstandingRequests })
  const n = Math.min(depth - picker.outstanding(peer), wire.maxOutstandingRequests - wire.outstandingRequests)
  if (n <= 0) return
  // Refill in batches (one write carries many requests) while enough are still in flight.
  if (n < REFILL_BATCH && picker.outstanding(peer) >= REFILL_BATCH) return
  const blocks = picker.pick(peer, peerBits(peer), n, {
    only: choked ? peer.allowedFast : undefined,
    prefer: peer.suggested,
    noNewPieces: s.buffered >= (s.opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES),
    exclusive: peer.parole,
  })
  // In endgame two peers may be sending the same block: those blocks are not written in place (the
  // first accepted one is copied in onBlock). Checked once per batch, after the pick that may start it.
  const inPlace = blocks.length > 0 && !picker.endgame
  for (const b of blocks) {
    const wait = s.download.unlimited ? 0 : s.download.reserve(b.length)
    if (wait > 0) setTimeout(() => request(s, peer, b.index, b.begin, b.length, inPlace), wait)
    else request(s, peer, b.index, b.begin, b.length, inPlace)
  }
}

function request(
  s: TorrentState,
  peer: Peer,
  index: number,
  begin: number,
  length: number,
  inPlace: boolean,
): void {
  if (s.destroyed || !s.peers.has(peer)) {
    s.picker?.release(peer, index, begin)
    return
  }
  try {
    // The block is copied straight from the socket into its piece's buffer.
    const into = inPlace ? pieceBuffer(s, index).data.subarray(begin, begin + length) : undefined
    let done = callbacks.get(peer)
    if (!done) {
      done = (err, data, req) => {
        if (err) s.picker?.release(peer, req.index, req.begin)
        else onBlock(s, peer, req.index, req.begin, data!)
      }
      callbacks.set(peer, done)
    }
    peer.wire.requestBlock(index, begin, length, into, done)
  } catch {
    s.picker?.release(peer, index, begin)
  }
}

/** Each peer's block callback (one function per peer, not a promise and closures per block). */
const callbacks = new WeakMap<Peer, BlockCallback>()

/** The buffer piece `index` is assembled in (counted against `maxBufferedBytes`), created when needed. */
function pieceBuffer(s: TorrentState, index: number): PieceBuffer {
  let buf = s.buffers.get(index)
  if (!buf) {
    s.buffered += s.specs[index]!.length
    s.pool ??= new PieceBufferPool(s.opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES)
    // Contents unspecified: every byte is overwritten by a block before the piece is written or hashed.
    buf = { data: s.pool.take(s.specs[index]!.length), from: new Set() }
    s.buffers.set(index, buf)
  }
  return buf
}

/** A requested block arrived: cancel duplicates (endgame), buffer it, verify a complete piece. */
function onBlock(s: TorrentState, peer: Peer, index: number, begin: number, data: Uint8Array): void {
  const picker = s.picker
  if (!picker) return
  peer.down.add(data.length)
  s.downMeter.add(data.length)
  s.downloaded += data.length
  const arrival = picker.received(peer, index, begin, data.length)
  if (arrival.accepted) {
    for (const other of arrival.cancel as Peer[]) {
      try {
        other.wire.cancel(index, begin, data.length)
      } catch {
        // the other wire may be closing
      }
    }
    const buf = pieceBuffer(s, index)
    // Already in place unless it came without `into` (endgame) or its piece buffer was dropped since.
    if (data.buffer !== buf.data.buffer || data.byteOffset !== buf.data.byteOffset + begin) {
      buf.data.set(data, begin)
    }
    // A restarted piece (see BlockArrival.first) owes nothing to its earlier senders.
    if (arrival.first) buf.from.clear()
    buf.from.add(peer)
    if (arrival.pieceComplete) void verify(s, index)
  }
  fill(s, peer)
}
