import type { PeerAddress } from '@p2p/peer-address'

/** ut_pex peer flags (BEP 11). */
export const PexFlag = {
  /** Prefers encryption. */
  encryption: 0x01,
  /** Seed / upload only. */
  seed: 0x02,
  /** Supports uTP. */
  utp: 0x04,
  /** Supports ut_holepunch. */
  holepunch: 0x08,
  /** Reachable: we made an outgoing connection to it. */
  reachable: 0x10,
} as const

/** A peer in a ut_pex `added` list, with its BEP 11 flags. */
export interface PexPeer extends PeerAddress {
  flags: number
}

/** A decoded ut_pex message. */
export interface PexMessage {
  added: PexPeer[]
  dropped: PeerAddress[]
}

/** What to tell the peer: connections made and lost since the last update. */
export interface PexUpdate {
  added?: Array<PeerAddress & { flags?: number }>
  dropped?: PeerAddress[]
}

/** Most contacts per list in a ut_pex message after the first one (BEP 11). */
export const PEX_MAX_PER_MESSAGE = 50
