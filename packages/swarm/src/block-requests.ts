import type { BlockCallback } from '@p2p/peer-wire'
import type { InvariantChecks } from './invariant-checks.js'
import { cancelOnPeer } from './peer-session.js'
import type { PeerPieces } from './piece-picker.js'
import { type VerifyHost, verify } from './piece-verification.js'
import { type PeerRequestView, planRequests } from './request-policy.js'
import type { SwarmRuntime } from './runtime.js'
import type { TorrentCore } from './torrent-core.js'
import { type Peer, peerBits } from './torrent-state.js'
import type { Transfer } from './transfer.js'
import type { TurnWork } from './turn-work.js'

/** What requesting blocks (and verifying the pieces they complete) reads of a torrent. */
export interface RequestsHost extends VerifyHost {
  readonly core: TorrentCore | undefined
  readonly transfer: Pick<Transfer, 'download' | 'received'>
  readonly rt: Pick<SwarmRuntime, 'clock'>
  readonly checks: Pick<InvariantChecks, 'enabled' | 'record'>
  readonly work: Pick<TurnWork<Peer>, 'have' | 'topUp' | 'topUpAll'>
}

/** Longest a block request is held back by the download limit, ms (later ones are picked later). */
export const MAX_RATE_WAIT_MS = 1_000

/** Tops up one peer's request pipeline with the blocks the request policy chooses (rate-limited). */
export function fill(s: RequestsHost, peer: Peer): void {
  const { core } = s
  if (!core || s.destroyed || core.halted || core.checking || core.selection.finished || !peer.handshaken)
    return
  const { picker, store } = core
  const { download } = s.transfer
  const { blocks, inPlace } = planRequests(picker, peer, requestView(s, peer), { room: store.room })
  for (let k = 0; k < blocks.length; k++) {
    const b = blocks[k]!
    const wait = download.unlimited ? 0 : download.reserve(b.length)
    // Never booked far ahead: a limit raised (or lifted) at runtime then takes effect at once. The
    // blocks held back get no buffer: their pieces may be active for them alone.
    if (wait > MAX_RATE_WAIT_MS) {
      download.refund(b.length)
      for (const r of blocks.slice(k)) picker.release(peer, r.index, r.begin)
      return
    }
    // A piece started gets its buffer now (also when its request waits for the limit): the bound
    // counts it before the next pick.
    store.bufferFor(b.index)
    if (wait > 0)
      s.rt.clock.setTimeout(() => request(s, core, peer, b.index, b.begin, b.length, inPlace), wait)
    else request(s, core, peer, b.index, b.begin, b.length, inPlace)
  }
}

/** What the request policy reads of a peer: live getters over its wire and record (one per peer). */
class RequestView implements PeerRequestView {
  readonly #peer: Peer
  readonly #now: () => number
  constructor(peer: Peer, now: () => number) {
    this.#peer = peer
    this.#now = now
  }
  get bits(): PeerPieces | 'all' {
    return peerBits(this.#peer)
  }
  get interested(): boolean {
    return this.#peer.amInterested
  }
  get choked(): boolean {
    return this.#peer.peerChoking
  }
  get allowedFast(): ReadonlySet<number> {
    return this.#peer.allowedFast
  }
  get suggested(): readonly number[] {
    return this.#peer.suggested
  }
  get parole(): boolean {
    return this.#peer.parole
  }
  get snubbed(): boolean {
    const until = this.#peer.snubbedUntil
    return until !== undefined && until > this.#now()
  }
  get rate(): number {
    return this.#peer.down.rate()
  }
  get maxOutstanding(): number {
    return this.#peer.maxOutstandingRequests
  }
  get inFlight(): number {
    return this.#peer.outstandingRequests
  }
}

const views = new WeakMap<Peer, RequestView>()

function requestView(s: RequestsHost, peer: Peer): RequestView {
  let v = views.get(peer)
  if (!v) {
    v = new RequestView(peer, () => s.rt.clock.now())
    views.set(peer, v)
  }
  return v
}

function request(
  s: RequestsHost,
  core: TorrentCore,
  peer: Peer,
  index: number,
  begin: number,
  length: number,
  inPlace: boolean,
): void {
  const { picker, store } = core
  // A request held back by the rate limit may have been released since (a choke, a failed piece).
  if (!picker.isRequested(peer, index, begin)) return
  if (s.destroyed || !s.sessions.has(peer)) {
    picker.release(peer, index, begin)
    return
  }
  if (s.checks.enabled) {
    const bits = peerBits(peer)
    if (bits !== 'all' && !bits.get(index)) s.checks.record(`requested piece ${index} of a peer without it`)
  }
  try {
    // The block is copied straight from the socket into its piece's buffer.
    const into = inPlace && !picker.endgame ? store.blockView(index, begin, length) : undefined
    let done = callbacks.get(peer)
    if (!done) {
      done = (err, data, req) => {
        if (!err) onBlock(s, core, peer, req.index, req.begin, data!)
        else if (err.code === 'PEER_WIRE_REQUEST_TIMEOUT') snub(s, core, peer)
        else {
          picker.release(peer, req.index, req.begin)
          // Another peer may fetch the block now.
          s.work.topUpAll()
        }
      }
      callbacks.set(peer, done)
    }
    peer.request(index, begin, length, into, done)
  } catch {
    picker.release(peer, index, begin)
  }
}

/** How long a peer whose request timed out gets no requests but endgame duplicates, ms. */
export const SNUB_MS = 60_000

/**
 * A request to `peer` timed out: it is snubbed for {@link SNUB_MS} (or until a block of it arrives),
 * and every block it owes is cancelled and goes back to the picker for the other peers.
 */
function snub(s: RequestsHost, core: TorrentCore, peer: Peer): void {
  peer.snub(s.rt.clock.now() + SNUB_MS)
  if (s.sessions.has(peer)) core.release(peer, true)
  s.work.topUpAll()
}

/** Each peer's block callback (one function per peer, not a promise and closures per block). */
const callbacks = new WeakMap<Peer, BlockCallback>()

/** A requested block arrived: cancel duplicates (endgame), buffer it, verify a complete piece. */
function onBlock(
  s: RequestsHost,
  core: TorrentCore,
  peer: Peer,
  index: number,
  begin: number,
  data: Uint8Array,
): void {
  const { picker, store } = core
  peer.down.add(data.length)
  peer.unsnub()
  s.transfer.received(data.length)
  const arrival = picker.received(peer, index, begin, data.length)
  if (arrival.accepted) {
    for (const other of arrival.cancel) cancelOnPeer(other, index, begin, data.length)
    if (s.checks.enabled) {
      const holder = store.holder(data)
      if (holder !== undefined && holder !== index) {
        s.checks.record(`a block of piece ${index} was written into the buffer of piece ${holder}`)
      }
    }
    // Already in place unless it came without `into` (endgame) or its piece buffer was dropped since;
    // a restarted piece (see BlockArrival.first) owes nothing to its earlier senders.
    store.put(index, begin, data, peer, arrival.first)
    if (arrival.pieceComplete) void verify(s, core, index).then(() => s.work.topUpAll())
  }
  s.work.topUp(peer)
}
