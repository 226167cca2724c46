import {
  type BlockRequest,
  MIN_PIPELINE,
  type PeerPieces,
  type PiecePicker,
  pipelineDepth,
} from './piece-picker.js'

/** @internal Requests sent together when refilling a pipeline that still has at least this many in flight. */
export const REFILL_BATCH = 64

/** @internal What the request policy reads of one peer (a snapshot; the policy writes nothing to it). */
export interface PeerRequestView {
  /** What the peer has. */
  readonly bits: PeerPieces | 'all'
  /** We told it we are interested. */
  readonly interested: boolean
  /** It chokes us. */
  readonly choked: boolean
  /** Pieces it lets us fetch while it chokes us (BEP 6). */
  readonly allowedFast: ReadonlySet<number>
  /** Pieces it suggested (BEP 6), tried first. */
  readonly suggested: readonly number[]
  /** It sent part of a piece that failed its hash check. */
  readonly parole: boolean
  /** A request to it timed out lately (see `Peer.snubbedUntil`): only endgame duplicates for it. */
  readonly snubbed: boolean
  /** Bytes/s it sends us. */
  readonly rate: number
  /** Most requests the wire keeps open with it. */
  readonly maxOutstanding: number
  /** Requests open on the wire now (including ones the picker may have released). */
  readonly inFlight: number
}

/** @internal The torrent-wide part of the request policy. */
export interface RequestLimits {
  /** Bytes the piece buffers' bound leaves for new pieces (0: only pieces already started continue). */
  readonly room: number
}

/** @internal Blocks to request from one peer (see {@link planRequests}). */
export interface RequestPlan {
  /** The blocks, already marked requested from the peer in the picker. */
  readonly blocks: readonly BlockRequest[]
  /**
   * Whether each block may be written straight into its piece's buffer (false in endgame, where two
   * peers may be sending the same block: the first accepted one is copied in).
   */
  readonly inPlace: boolean
}

/** The plan when there is nothing to send (shared: callers only read it). */
const NOTHING: RequestPlan = Object.freeze({ blocks: Object.freeze([]), inPlace: false })

/**
 * @internal The request policy (libtorrent's `request_a_block`): which blocks to ask `peer` (the
 * picker's key) for now, given what it has, whether it chokes us, its rate and its queue. It reads
 * the view, and changes nothing but the picker (which records the blocks as requested).
 *
 * - Nothing unless we are interested, nor while it chokes us outside its allowed-fast set.
 * - The pipeline covers a few seconds of its rate ({@link pipelineDepth}), within the wire's limit;
 *   a peer on parole gets {@link MIN_PIPELINE} requests and whole pieces of its own.
 * - A snubbed peer gets one endgame duplicate at most (never a block only it would then hold).
 * - While {@link REFILL_BATCH} requests are still open, it waits until a whole batch is free (one
 *   write then carries many requests).
 * - A peer with nothing in flight and no free block to fetch races one block another peer holds
 *   (libtorrent's busy block): a stalled peer holding every piece the buffer bound lets start does not
 *   hold the download until its requests time out.
 */
export function planRequests(
  picker: PiecePicker,
  peer: unknown,
  view: PeerRequestView,
  limits: RequestLimits,
): RequestPlan {
  if (!view.interested) return NOTHING
  if (view.choked && view.allowedFast.size === 0) return NOTHING
  // A snubbed peer takes no block that nobody else may then fetch: one endgame duplicate at most.
  if (view.snubbed && (picker.outstanding(peer) > 0 || !picker.endgame)) return NOTHING
  const max = view.maxOutstanding
  const depth = view.parole ? Math.min(MIN_PIPELINE, max) : pipelineDepth(view.rate, { max })
  const outstanding = picker.outstanding(peer)
  const n = Math.min(view.snubbed ? 1 : depth - outstanding, max - view.inFlight)
  if (n <= 0) return NOTHING
  if (n < REFILL_BATCH && outstanding >= REFILL_BATCH) return NOTHING
  const only = view.choked ? view.allowedFast : undefined
  const blocks = picker.pick(peer, view.bits, n, {
    only,
    prefer: view.suggested,
    room: limits.room,
    exclusive: view.parole,
  })
  if (blocks.length === 0) {
    if (outstanding > 0 || view.parole) return NOTHING
    const busy = picker.pickBusy(peer, view.bits, { only })
    // Not in place: the block's first copy is the one kept.
    return busy.length === 0 ? NOTHING : { blocks: busy, inPlace: false }
  }
  // Checked once per batch, after the pick that may have started the endgame.
  return { blocks, inPlace: !picker.endgame }
}
