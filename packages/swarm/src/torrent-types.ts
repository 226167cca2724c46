import type { Metainfo } from '@p2p/metainfo'
import type { PeerAddress } from '@p2p/peer-address'
import type { Wire } from '@p2p/peer-wire'
import type { EncryptionOptions } from './encryption.js'
import type { SwarmError } from './errors.js'
import type { PickStrategy } from './piece-picker.js'
import type { Transport } from './transports.js'
import type { DisconnectEvent, NoPeersEvent, TrackerErrorEvent, TrackerReplyEvent } from './ui-event-types.js'

/** Default bound on peer connections per torrent. */
export const DEFAULT_MAX_PEERS_PER_TORRENT = 50
/**
 * Default bound on bytes of unfinished pieces held in memory per torrent (no new piece is started beyond
 * it; a piece longer than it is held alone). 4 MiB: a loopback transfer at 160+ MB/s keeps its speed,
 * with 4-6 MiB less peak RSS than with 8 MiB.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 2 ** 20
/**
 * Failed pieces a peer sent data for before it can be banned. The first puts it on parole (whole
 * pieces of its own from then on, as libtorrent's parole); a failed piece it then sent alone bans
 * it. A peer that only shared failed pieces with others is never banned for them.
 */
export const BAN_STRIKES = 2
/** Time allowed for a TCP connect, ms. */
export const CONNECT_TIMEOUT_MS = 10_000

/** Options of `client.add`. */
export interface AddOptions extends EncryptionOptions {
  /** Directory the torrent's files go below. Default: the current directory. */
  path?: string
  /** Stops (destroys) the torrent when aborted. */
  signal?: AbortSignal
  /** Peers to dial right away. */
  peers?: PeerAddress[]
  /** Tracker tiers (or one tracker URL) announced to before the torrent's own. */
  announce?: string[][] | string
  /** Piece choice. Default `rarest`. */
  strategy?: PickStrategy
  /**
   * Indexes (in `metainfo.files`) of the files to download; default all. Shorthand for
   * `filePriorities` with 4 for these files and 0 for the others.
   */
  files?: number[]
  /**
   * Priority of each file by index in `metainfo.files`, as libtorrent's: 0 = skip, 1 (low) to 7
   * (top), default 4. Pieces of higher-priority files are started first; a piece takes the highest
   * priority of the files it overlaps. Change later with `torrent.setFilePriority`.
   */
  filePriorities?: number[]
  /** Read and write a resume file. Default true for `add`, false for `seed`. */
  resume?: boolean
  /** Where the resume file goes. Default `<path>/.p2p-state/<infohash>.resume` (see `STATE_DIR`). */
  resumePath?: string
  /**
   * Hash every piece on disk, ignoring which pieces the resume file says we have (a resume file is
   * trusted while its files' sizes and mtimes are unchanged; see `torrent.resumedPieces`). Default false.
   */
  recheck?: boolean
  /** Bound on peer connections of this torrent. Default {@link DEFAULT_MAX_PEERS_PER_TORRENT}. */
  maxConnections?: number
  /**
   * Connections of this torrent from one IP address; more are refused. Default 1, as libtorrent
   * without `allow_multiple_connections_per_ip`. Loopback addresses are not limited unless
   * `limitLoopback` (a local swarm runs every client on 127.0.0.1).
   */
  maxConnectionsPerIp?: number
  /** Apply `maxConnectionsPerIp` to loopback addresses too. Default false. */
  limitLoopback?: boolean
  /**
   * At the connection limit, a connection that moved no payload either way for this long, ms
   * (since it opened, if it never did), gives its slot to a newcomer, those where neither side is
   * interested first (libtorrent's inactivity timeout). Default 60 000.
   */
  idleTimeout?: number
  /**
   * Share (0..1) of `maxConnections` kept for connections we dial: incoming connections may use
   * these slots while no dial needs them, and a dial takes them back, so a flood of incoming
   * connections cannot stop the torrent from reaching peers. Default 0.2.
   */
  outgoingReserve?: number
  /** Give each file its full (sparse) length when it is created. Default false. */
  preallocate?: boolean
  /** Bound on bytes of unfinished pieces in memory. Default {@link DEFAULT_MAX_BUFFERED_BYTES}. */
  maxBufferedBytes?: number
  /** Exchange peers with peers (ut_pex, BEP 11); always off on private torrents. Default true. */
  pex?: boolean
  /**
   * Least time between two ut_pex messages to one peer, ms. Default 60 000 (BEP 11 asks for at most
   * one a minute); shorter only for tests and private swarms.
   */
  pexInterval?: number
  /** Upload slots. Default 4. */
  uploadSlots?: number
  /** Upload rate limit of this torrent, bytes/s (0 = none). */
  uploadLimit?: number
  /** Download rate limit of this torrent, bytes/s (0 = none). */
  downloadLimit?: number
  /**
   * While complete, seed in BEP 16 super-seed mode (see `SuperSeeder`): new peers are shown a few
   * pieces at a time, the ones the swarm lacks, so an initial seed sends about one copy of the data.
   * Default false.
   */
  superSeed?: boolean
  /**
   * Web seeds (BEP 19) to download from besides the torrent's `url-list` and the magnet's `ws=`:
   * HTTP(S) URLs of the file (single-file torrent) or of the directory holding the torrent's folder.
   */
  webSeeds?: string[]
  /** Time one web seed request may take before it is abandoned and retried later, ms. Default 30 000. */
  webSeedTimeout?: number
  /** Time without a connected peer before the `noPeers` event, ms. Default 5 000. */
  noPeersTimeout?: number
}

/** Options of `client.seed`. */
export interface SeedOptions extends Omit<AddOptions, 'path' | 'files' | 'filePriorities' | 'strategy'> {
  /** The torrent of this content (it is verified against the files); default: created now. */
  torrent?: Uint8Array
  /** Torrent version when created. Default `'hybrid'`. */
  version?: 1 | 2 | 'hybrid'
  /** Piece length when created. */
  pieceLength?: number
  /** Tracker tiers (or one URL) to write into a created torrent and announce to. */
  announce?: string[][] | string
  /** Private flag of a created torrent. */
  private?: boolean
}

/** The `piece` event: one entry of the integrity log. */
export interface PieceEvent {
  /** Piece index. */
  index: number
  /** Whether it matched its hash. */
  ok: boolean
  /** Hash used. */
  algorithm: 'sha1' | 'sha256'
  /** Expected hash (hex). */
  expected?: string
  /** Computed hash (hex). */
  got?: string
  /** Peers that sent blocks of this piece. */
  peers: PeerAddress[]
}

/** The `ban` event. */
export interface BanEvent {
  /** The banned peer. */
  peer: PeerAddress
  /** Why. */
  reason: string
  /** The web seed's URL, when a web seed was banned (`peer` is then its host and port). */
  url?: string
}

/** The `warning` event: something failed that does not stop the torrent. */
export interface SwarmWarning {
  /** Human-readable text. */
  message: string
  /** The peer concerned, if any. */
  peer?: PeerAddress
  /** The underlying error, if any. */
  error?: unknown
}

/** Transfer numbers of a torrent. */
export interface TorrentStats {
  /** Fraction of the selected bytes verified, 0..1. */
  progress: number
  /** Payload bytes received. */
  downloaded: number
  /** Payload bytes sent. */
  uploaded: number
  /** Bytes/s received. */
  downloadSpeed: number
  /** Bytes/s sent. */
  uploadSpeed: number
  /** Connected peers (handshake done). */
  peers: number
  /** Connected peers by transport (uTP or TCP). */
  peersByTransport: Record<Transport, number>
  /** Uploaded / downloaded (uploaded / size when nothing was downloaded). */
  ratio: number
  /** Seconds to completion at the current speed, when known. */
  eta?: number
}

/**
 * Events of a torrent:
 * - `metadata` (metainfo): the info dictionary is known (at once for a .torrent, later for a magnet);
 * - `ready`: storage is open and existing data checked;
 * - `piece` ({@link PieceEvent}): a downloaded piece was verified (or failed);
 * - `done`: every selected piece is verified;
 * - `wire` (wire, address): a peer connection completed its handshake (observe only, see below);
 * - `warning` ({@link SwarmWarning}); `error` (SwarmError): a fatal storage failure;
 * - `ban` ({@link BanEvent}): a peer that sent bad data was disconnected for good;
 * - `checking` ({ checked, total }): `torrent.recheck()` is hashing the data on disk.
 * - `download`/`upload` (bytes): bytes moved since the last such event, at most one per 500 ms;
 * - `disconnect` ({@link DisconnectEvent}): a connection closed, with the reason;
 * - `trackerReply` ({@link TrackerReplyEvent}) / `trackerError` ({@link TrackerErrorEvent}): per tracker;
 * - `noPeers` ({@link NoPeersEvent}): no connected peer for a while, data still wanted.
 */
export type TorrentEvents = {
  /** The metainfo is known. */
  metadata: (metainfo: Metainfo) => void
  /** Storage open and checked. */
  ready: () => void
  /** A piece was verified. */
  piece: (event: PieceEvent) => void
  /** Every selected piece is verified. */
  done: () => void
  /**
   * A peer connection is up. The wire is the torrent's own live connection, handed out to observe
   * it (its events, `downloaded`, `uploaded`, `outstandingRequests`...): requesting, choking,
   * announcing or closing through it goes behind the torrent's back (the picker does not know of
   * such a request, and a block it brings is not written), so do not.
   */
  wire: (wire: Wire, address: PeerAddress) => void
  /** A peer that set the DHT handshake bit sent its DHT node's address (BEP 5 `port`; see `useDht`). */
  'dht-node': (address: PeerAddress) => void
  /** A non-fatal problem. */
  warning: (warning: SwarmWarning) => void
  /** A fatal problem. */
  error: (error: SwarmError) => void
  /** A peer was banned. */
  ban: (event: BanEvent) => void
  /** A recheck hashed one more piece: `checked` of `total` so far. */
  checking: (progress: { checked: number; total: number }) => void
  /** Payload bytes received since the last `download` event (at most one per 500 ms). */
  download: (bytes: number) => void
  /** Payload bytes sent since the last `upload` event (at most one per 500 ms). */
  upload: (bytes: number) => void
  /** A peer connection that had completed its handshake closed. */
  disconnect: (event: DisconnectEvent) => void
  /** One tracker answered an announce. */
  trackerReply: (event: TrackerReplyEvent) => void
  /** One tracker failed. */
  trackerError: (event: TrackerErrorEvent) => void
  /** No connected peer for `noPeersTimeout` while data is still wanted. */
  noPeers: (event: NoPeersEvent) => void
}

/** Emits one of the torrent's typed events. */
export type EmitFn = <E extends keyof TorrentEvents>(event: E, ...args: Parameters<TorrentEvents[E]>) => void
