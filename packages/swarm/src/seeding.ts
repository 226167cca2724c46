import type { PeerSession as Peer } from './peer-session.js'
import { every, type SwarmRuntime } from './runtime.js'
import { SuperSeeder } from './super-seed.js'
import type { TorrentCore } from './torrent-core.js'

/** How often stuck super-seeded peers are looked for (see `SUPER_SEED_STALL_MS`). */
const SUPER_SEED_REFRESH_MS = 1_000

/**
 * A torrent's BEP 16 super-seeding (the `superSeed` option): its `SuperSeeder`, created on first use
 * once the torrent has every piece, and the timer that looks for stuck peers. Peers connected before
 * the torrent became a seed are not part of it. Stopped with the torrent.
 */
export class SuperSeeding {
  readonly #enabled: boolean
  readonly #rt: Pick<SwarmRuntime, 'clock' | 'random'>
  #seeder: SuperSeeder<Peer> | undefined
  #stopRefresh: (() => void) | undefined
  #stopped = false

  /** `enabled`: the `superSeed` option. */
  constructor(enabled: boolean, rt: Pick<SwarmRuntime, 'clock' | 'random'>) {
    this.#enabled = enabled
    this.#rt = rt
  }

  /** The super-seeder while the torrent super-seeds (`core` finished), created on first use. */
  active(core: TorrentCore | undefined): SuperSeeder<Peer> | undefined {
    if (!this.#enabled || !core?.selection.finished || this.#stopped) return undefined
    if (!this.#seeder) {
      const { clock, random } = this.#rt
      const seeder = new SuperSeeder<Peer>({
        pieceCount: core.picker.pieceCount,
        random,
        now: () => clock.now(),
      })
      this.#seeder = seeder
      this.#stopRefresh = every(clock, SUPER_SEED_REFRESH_MS, () => show(seeder.refresh()))
    }
    return this.#seeder
  }

  /**
   * A new connection of a super-seeding torrent: it hears that we have nothing (have-none) and is
   * shown its first pieces. Returns false when the torrent does not super-seed.
   */
  start(core: TorrentCore | undefined, peer: Peer): boolean {
    const ss = this.active(core)
    if (!ss) return false
    if (peer.fast) peer.announceHaveNone()
    show(ss.addPeer(peer, peer.haveAll || peer.peerHasAll ? 'all' : peer.peerPieces))
    return true
  }

  /** A peer's bitfield / have-all arrived (super-seed bookkeeping). */
  pieces(peer: Peer): void {
    const ss = this.#seeder
    if (!ss?.hasPeer(peer)) return
    show(ss.addPeer(peer, peer.haveAll || peer.peerHasAll ? 'all' : peer.peerPieces))
  }

  /** A peer announced a piece (it may unlock pieces for the peer it came from). */
  have(peer: Peer, index: number): void {
    const ss = this.#seeder
    if (ss?.hasPeer(peer)) show(ss.peerHas(peer, index))
  }

  /** A connection closed. */
  gone(peer: Peer): void {
    this.#seeder?.removePeer(peer)
  }

  /** Whether a request for `index` may be served: when super-seeding, only pieces shown to the peer. */
  mayServe(peer: Peer, index: number): boolean {
    const ss = this.#seeder
    return !ss?.hasPeer(peer) || ss.shown(peer, index)
  }

  /** Whether every interested peer is unchoked (super-seeding: what a peer gets is bounded by what it is shown). */
  unchokeAll(core: TorrentCore | undefined): boolean {
    return this.active(core) !== undefined
  }

  /** The torrent stopped: no super-seeder is made and the refresh timer stops. */
  stop(): void {
    this.#stopped = true
    this.#stopRefresh?.()
  }
}

/** Sends `have` for the pieces the super-seeder decided to show. */
function show(m: Map<Peer, number[]>): void {
  for (const [p, pieces] of m) {
    for (const i of pieces) {
      p.announceHave(i)
    }
  }
}
