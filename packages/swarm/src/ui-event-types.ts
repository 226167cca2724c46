/** The `noPeers` event: the torrent had no connected peer for a while. */
export interface NoPeersEvent {
  /** Trackers the torrent announces to. */
  trackers: number
  /** Peer addresses known (dialed or waiting to be). */
  knownPeers: number
  /** Web seeds still in use. */
  webSeeds: number
  /** How long there has been no peer, ms. */
  sinceMs: number
}

/** The `disconnect` event: a peer connection that had completed its handshake closed. */
export interface DisconnectEvent {
  /** The peer (its listening address when known). */
  peer: { host: string; port: number }
  /**
   * Why: `banned`, `both seeds`, `evicted` (room for a better-ranked peer), `paused`, `destroyed`,
   * or the error that closed it (`closed` when none).
   */
  reason: string
}

/** The `trackerReply` event: one tracker answered an announce. */
export interface TrackerReplyEvent {
  /** The tracker. */
  url: string
  /** Peers in the answer. */
  peers: number
  /** Seeders it reported, when given. */
  complete?: number
  /** Leechers it reported, when given. */
  incomplete?: number
  /** Seconds until the next regular announce. */
  interval: number
}

/** The `trackerError` event: one tracker failed (others may still answer). */
export interface TrackerErrorEvent {
  /** The tracker. */
  url: string
  /** Human-readable text. */
  message: string
  /** The failure. */
  error?: unknown
}
