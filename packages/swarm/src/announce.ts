import type { PeerAddress } from '@p2p/peer-address'
import { TrackerClient, type TransferStats } from '@p2p/tracker-client'
import type { EmitFn } from './torrent-types.js'

/** What a torrent's {@link Trackers} read of it, and where the peers they return go. */
export interface TrackersHost {
  readonly infoHashBytes: Uint8Array
  /** Our peer id, as announced. */
  readonly peerId: Uint8Array
  /** The port we listen on. */
  port(): number
  /** The `announce` option: extra tiers, or one URL. */
  readonly announce: string[][] | string | undefined
  /** The torrent's own tiers (the metainfo's, else the magnet's). */
  ownTiers(): string[][]
  /** Bytes still wanted. */
  left(): number
  readonly emit: EmitFn
  /** Peers a tracker returned (to dial). */
  peers(peers: PeerAddress[]): void
}

/**
 * The one owner of a torrent's tracker client: alone creates it (at start and on resume), stops it
 * (pause, destroy) and passes transfer numbers and completion on to it.
 */
export class Trackers {
  readonly #host: TrackersHost
  #client: TrackerClient | undefined

  constructor(host: TrackersHost) {
    this.#host = host
  }

  /** Whether a tracker client is announcing (started, not stopped since). */
  get running(): boolean {
    return this.#client !== undefined
  }

  /** The distinct tracker URLs of the extra and own tiers. */
  get count(): number {
    return new Set(this.#tiers().flat()).size
  }

  /**
   * Starts announcing to the extra tiers given at add time, then the torrent's own (each URL once).
   * Peers the trackers return are dialed.
   */
  start(): void {
    const seen = new Set<string>()
    const tiers = this.#tiers()
      .map((tier) => tier.filter((u) => !seen.has(u) && seen.add(u)))
      .filter((tier) => tier.length)
    if (!tiers.length) return
    const h = this.#host
    let client: TrackerClient
    try {
      client = new TrackerClient({
        infoHash: h.infoHashBytes,
        peerId: h.peerId,
        port: h.port(),
        announce: tiers,
        left: h.left(),
        stopTimeout: 2_000,
      })
    } catch (err) {
      h.emit('warning', { message: `trackers unusable: ${(err as Error).message}`, error: err })
      return
    }
    this.#client = client
    client.on('peers', (peers) => h.peers(peers))
    client.on('warning', (w) => {
      h.emit('warning', { message: `tracker ${w.url}: ${w.message}`, error: w.error })
      if (w.error) h.emit('trackerError', { url: w.url, message: w.message, error: w.error })
    })
    client.on('update', (u) =>
      h.emit('trackerReply', {
        url: u.url,
        peers: u.peers.length,
        complete: u.complete,
        incomplete: u.incomplete,
        interval: u.interval,
      }),
    )
    client.on('error', (e) => h.emit('warning', { message: `trackers failed: ${e.message}`, error: e }))
    client.start()
  }

  /** Records transfer numbers for the next announce. */
  update(stats: TransferStats): void {
    this.#client?.update(stats)
  }

  /** Announces `completed`. */
  complete(): void {
    this.#client?.complete()
  }

  /** Stops announcing (trackers told `stopped`; never rejects); {@link Trackers.start} starts anew. */
  async stop(): Promise<void> {
    const client = this.#client
    this.#client = undefined
    await client?.stop().catch(() => {})
  }

  #tiers(): string[][] {
    return [...announceTiers(this.#host.announce), ...this.#host.ownTiers()]
  }
}

/** Tracker tiers from the `announce` option: tiers as they are, one URL as a tier of its own. */
function announceTiers(announce: string[][] | string | undefined): string[][] {
  return typeof announce === 'string' ? [[announce]] : (announce ?? [])
}
