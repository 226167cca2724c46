import { Bitfield } from '@p2p/peer-wire'
import { isSeed, type Peer, peerBits, type TorrentState } from './torrent-state.js'

/** A peer's bitfield / have-all / have-none arrived (replacing what it said before when `replace`). */
export function onPieces(s: TorrentState, peer: Peer, replace = false): void {
  if (replace) uncount(s, peer)
  count(s, peer)
  s.work.interest(peer)
  // Both seeds: nothing to exchange (and no point in dialing it again soon).
  const { core } = s
  if (core?.selection.finished && isSeed(peer, core.picker.pieceCount)) {
    peer.bothSeeds = true
    peer.close()
  }
}

/** Adds the peer's pieces to the picker's availability counts (once). */
export function count(s: TorrentState, peer: Peer): void {
  const picker = s.core?.picker
  if (!picker || peer.counted) return
  peer.counted = true
  const bits = peerBits(peer)
  peer.countedBits = bits === 'all' ? 'all' : new Bitfield(picker.pieceCount, peer.peerPieces.buffer)
  picker.addAvailability(peer.countedBits)
}

/** The peer no longer has piece `i` (BEP 54): it stops counting, and we may lose interest. */
export function onDonthave(s: TorrentState, peer: Peer, i: number): void {
  const picker = s.core?.picker
  // After have-all the wire holds every piece but `i`: that is what counts from now on.
  peer.haveAll = false
  if (picker && peer.counted && i < picker.pieceCount) {
    let bits = peer.countedBits
    if (bits === 'all') {
      bits = new Bitfield(picker.pieceCount)
      bits.fill()
      peer.countedBits = bits
    }
    if (bits?.get(i)) {
      bits.set(i, false)
      picker.removeHave(i)
    }
  }
  s.work.interest(peer)
}

/** Removes exactly what {@link count} added. */
export function uncount(s: TorrentState, peer: Peer): void {
  if (!peer.counted) return
  peer.counted = false
  if (peer.countedBits) s.core?.picker.removeAvailability(peer.countedBits)
  peer.countedBits = undefined
}

/**
 * Sends interested / not interested as the peer's pieces and ours now stand, and marks its requests
 * for a top-up when interested (applied by the torrent's `TurnWork` flush; events call
 * `s.work.interest(peer)`).
 */
export function updateInterest(s: TorrentState, peer: Peer): void {
  const { core } = s
  if (!core || !peer.handshaken) return
  const want = !core.selection.finished && core.picker.interesting(peerBits(peer))
  peer.setInterested(want)
  if (want) s.work.topUp(peer)
}
