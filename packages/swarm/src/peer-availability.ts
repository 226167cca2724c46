import { Bitfield } from '@p2p/peer-wire'
import type { TorrentCore } from './torrent-core.js'
import { isSeed, type Peer, peerBits } from './torrent-state.js'
import type { TurnWork } from './turn-work.js'

// What a peer has, as the picker counts it. These run in the torrent phase only: before the metadata
// a peer's pieces stay on its wire and are counted when the core exists (torrent-setup.ts).

/**
 * What was added to the availability counts for each counted peer (removed exactly on close or a new
 * bitfield); a peer not in it is not counted. Only the functions below change it.
 */
const counted = new WeakMap<Peer, Bitfield | 'all'>()

/** A peer's bitfield / have-all / have-none arrived (replacing what it said before when `replace`). */
export function onPieces(core: TorrentCore, peer: Peer, replace = false): void {
  if (replace) uncount(core, peer)
  count(core, peer)
  // Both seeds: nothing to exchange (and no point in dialing it again soon).
  if (core.selection.finished && isSeed(peer, core.picker.pieceCount)) {
    peer.markBothSeeds()
    peer.close()
  }
}

/** Adds the peer's pieces to the picker's availability counts (once). */
export function count({ picker }: TorrentCore, peer: Peer): void {
  if (counted.has(peer)) return
  const bits = peerBits(peer)
  const added = bits === 'all' ? 'all' : new Bitfield(picker.pieceCount, peer.peerPieces.buffer)
  counted.set(peer, added)
  picker.addAvailability(added)
}

/** The peer announced piece `i`: it counts once. */
export function onHave({ picker }: TorrentCore, peer: Peer, i: number): void {
  const bits = counted.get(peer)
  if (bits instanceof Bitfield && !bits.get(i) && i < bits.length) {
    bits.set(i)
    picker.addHave(i)
  }
}

/**
 * The peer no longer has piece `i` (BEP 54): it stops counting. The caller has cleared the peer's
 * have-all (after have-all the wire holds every piece but `i`: that is what counts from now on).
 */
export function onDonthave({ picker }: TorrentCore, peer: Peer, i: number): void {
  let bits = counted.get(peer)
  if (!bits || i >= picker.pieceCount) return
  if (bits === 'all') {
    bits = new Bitfield(picker.pieceCount)
    bits.fill()
    counted.set(peer, bits)
  }
  if (bits.get(i)) {
    bits.set(i, false)
    picker.removeHave(i)
  }
}

/** Removes exactly what {@link count} added. */
export function uncount({ picker }: TorrentCore, peer: Peer): void {
  const bits = counted.get(peer)
  if (!bits) return
  counted.delete(peer)
  picker.removeAvailability(bits)
}

/**
 * Sends interested / not interested as the peer's pieces and ours now stand, and marks its requests
 * for a top-up when interested (applied by the torrent's `TurnWork` flush; events call
 * `work.interest(peer)`).
 */
export function updateInterest(core: TorrentCore, work: TurnWork<Peer>, peer: Peer): void {
  if (!peer.handshaken) return
  const want = !core.selection.finished && core.picker.interesting(peerBits(peer))
  peer.setInterested(want)
  if (want) work.topUp(peer)
}
