import { every } from './runtime.js'
import { SuperSeeder } from './super-seed.js'
import type { Peer, TorrentState } from './torrent-state.js'

/** How often stuck super-seeded peers are looked for (see `SUPER_SEED_STALL_MS`). */
const SUPER_SEED_REFRESH_MS = 1_000

/**
 * The torrent's super-seeder when it super-seeds (the `superSeed` option and every piece had),
 * created on first use. Peers connected before the torrent became a seed are not part of it.
 */
export function superSeeder(s: TorrentState): SuperSeeder<Peer> | undefined {
  const { core } = s
  if (!s.opts.superSeed || !core?.selection.finished || s.destroyed) return undefined
  if (!s.superSeeder) {
    const { clock, random } = s.rt
    s.superSeeder = new SuperSeeder<Peer>({
      pieceCount: core.picker.pieceCount,
      random,
      now: () => clock.now(),
    })
    s.timers.push(
      every(clock, SUPER_SEED_REFRESH_MS, () => {
        if (s.superSeeder) show(s.superSeeder.refresh())
      }),
    )
  }
  return s.superSeeder
}

/** Sends `have` for the pieces the super-seeder decided to show. */
function show(m: Map<Peer, number[]>): void {
  for (const [p, pieces] of m) {
    for (const i of pieces) {
      p.announceHave(i)
    }
  }
}

/**
 * A new connection of a super-seeding torrent: it hears that we have nothing (have-none) and is
 * shown its first pieces. Returns false when the torrent does not super-seed.
 */
export function startSuperSeeding(s: TorrentState, peer: Peer): boolean {
  const ss = superSeeder(s)
  if (!ss) return false
  if (peer.fast) peer.announceHaveNone()
  show(ss.addPeer(peer, peer.haveAll || peer.peerHasAll ? 'all' : peer.peerPieces))
  return true
}

/** A peer's bitfield / have-all arrived (super-seed bookkeeping). */
export function superSeedPieces(s: TorrentState, peer: Peer): void {
  const ss = s.superSeeder
  if (!ss?.hasPeer(peer)) return
  show(ss.addPeer(peer, peer.haveAll || peer.peerHasAll ? 'all' : peer.peerPieces))
}

/** A peer announced a piece (super-seed bookkeeping: it may unlock pieces for the peer it came from). */
export function superSeedHave(s: TorrentState, peer: Peer, index: number): void {
  const ss = s.superSeeder
  if (ss?.hasPeer(peer)) show(ss.peerHas(peer, index))
}

/** A connection closed. */
export function superSeedGone(s: TorrentState, peer: Peer): void {
  s.superSeeder?.removePeer(peer)
}

/** Whether a request for `index` may be served: when super-seeding, only pieces shown to the peer. */
export function mayServe(s: TorrentState, peer: Peer, index: number): boolean {
  const ss = s.superSeeder
  return !ss?.hasPeer(peer) || ss.shown(peer, index)
}

/** Whether every interested peer is unchoked (super-seeding: what a peer gets is bounded by what it is shown). */
export function unchokeAllInterested(s: TorrentState): boolean {
  return superSeeder(s) !== undefined
}
