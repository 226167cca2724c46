import type { HashPool, Metainfo } from '@p2p/metainfo'
import type { PeerAddress } from '@p2p/peer-address'
import type { EncryptionOptions } from './encryption.js'
import type { TokenBucket } from './rate-limiter.js'
import type { SwarmRuntime } from './runtime.js'

/** What a torrent needs from its client (internal). */
export interface ClientContext {
  /** Clock, randomness, transport and storage. */
  runtime: SwarmRuntime
  peerId: Uint8Array
  port(): number
  /** The UDP port of the client's DHT node, if it runs one (BEP 5 handshake bit and `port` message). */
  dhtPort(): number | undefined
  hashPool(): HashPool
  upload: TokenBucket
  download: TokenBucket
  /** Whether one more connection fits the client's global limit. */
  canConnect(): boolean
  connectionOpened(): void
  connectionClosed(): void
  /** The client's encryption defaults. */
  encryption: EncryptionOptions
  /** Whether the address is this client's own listening address. */
  isSelf(addr: PeerAddress): boolean
  /** Called once the torrent is destroyed. */
  removed(): void
}

/** Where a torrent's identity comes from before metadata is known. */
export interface TorrentSource {
  metainfo?: Metainfo
  infoHashBytes: Uint8Array
  infoHash: string
  name?: string
  trackers: string[][]
  peers: PeerAddress[]
  /** Root directory that file paths are placed below. */
  dir: string
  /** Map the torrent's root name to another (seeding a file or folder under another name). */
  rootName?: string
  /** Every piece on disk is known good (we just created the torrent from these files). */
  trustAll?: boolean
  magnet?: string
  /** Files selected by the magnet's `so=` (BEP 53), when no selection is given at add time. */
  selectOnly?: number[]
  /** Web seeds from the magnet's `ws=` (used once the metadata is known). */
  webSeeds?: string[]
}
