/** The protocol string of the BitTorrent handshake (BEP 3). */
export const PROTOCOL = 'BitTorrent protocol'
/** Handshake size: 1 + 19 protocol + 8 reserved + 20 info hash + 20 peer id (BEP 3). */
export const HANDSHAKE_LENGTH = 68
/** The usual (and maximum accepted by default) block size: 16 KiB (BEP 3, BEP 52). */
export const BLOCK_LENGTH = 16384
/** Size of one ut_metadata piece (BEP 9). */
export const METADATA_PIECE_LENGTH = 16384

/** Message ids of the peer wire protocol. */
export const MessageId = {
  /** BEP 3 */
  choke: 0,
  unchoke: 1,
  interested: 2,
  notInterested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  /** BEP 5: DHT port */
  port: 9,
  /** BEP 6 (fast extension) */
  suggest: 13,
  haveAll: 14,
  haveNone: 15,
  reject: 16,
  allowedFast: 17,
  /** BEP 10 */
  extended: 20,
  /** BEP 52 */
  hashRequest: 21,
  hashes: 22,
  hashReject: 23,
} as const

/** Reserved-byte positions and masks of the handshake extension bits. */
export const ReservedBit = {
  /** BEP 10: reserved[5] & 0x10. */
  extended: { byte: 5, mask: 0x10 },
  /** BEP 6: reserved[7] & 0x04. */
  fast: { byte: 7, mask: 0x04 },
  /** BEP 5: reserved[7] & 0x01. */
  dht: { byte: 7, mask: 0x01 },
  /** BEP 52: reserved[7] & 0x10 (the 4th most significant bit of the last byte). */
  v2Upgrade: { byte: 7, mask: 0x10 },
} as const
