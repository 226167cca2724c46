import type { Bitfield } from './bitfield.js'
import type { PeerWireError } from './errors.js'
import type { ExtendedHandshake } from './extended-handshake.js'
import type { Handshake } from './handshake.js'
import type { BlockRequest, HashRequest } from './messages.js'
import type { PexMessage } from './pex-message.js'

/** A BEP 52 'hashes' answer: the request fields and the hashes (base layer first, then uncles). */
export interface HashesMessage extends HashRequest {
  /** Concatenated 32-byte hashes. */
  hashes: Uint8Array
}

/** A received piece message. `block` is a view into the received bytes (not shared with later data). */
export interface PieceMessage {
  index: number
  begin: number
  block: Uint8Array
}

/** Events of a {@link Wire} and their listener signatures. */
export interface WireEvents {
  /** The peer's handshake arrived (before any other message of the peer is processed). */
  handshake: (handshake: Handshake) => void
  /** The peer's bitfield (for have-all see `'have-all'`; {@link Wire.peerPieces} is filled once the piece count is known). */
  bitfield: (bits: Bitfield) => void
  have: (index: number) => void
  'have-all': () => void
  'have-none': () => void
  choke: () => void
  unchoke: () => void
  interested: () => void
  uninterested: () => void
  /** The peer asks for a block; answer with {@link Wire.piece} or {@link Wire.rejectRequest}. */
  request: (request: BlockRequest) => void
  /** The peer cancelled a request it made (it is no longer queued). */
  cancel: (request: BlockRequest) => void
  /** A block we requested arrived (the {@link Wire.request} promise resolves with it too). */
  piece: (piece: PieceMessage) => void
  /** The peer rejected a request of ours. */
  reject: (request: BlockRequest) => void
  'allowed-fast': (index: number) => void
  suggest: (index: number) => void
  /** DHT port of the peer (BEP 5). */
  port: (port: number) => void
  'extended-handshake': (handshake: ExtendedHandshake) => void
  /** Peers from the peer's ut_pex message (BEP 11). */
  pex: (message: PexMessage) => void
  /** The peer asks for merkle hashes (BEP 52); answer with {@link Wire.hashes} or {@link Wire.hashReject}. */
  'hash-request': (request: HashRequest) => void
  hashes: (message: HashesMessage) => void
  'hash-reject': (request: HashRequest) => void
  /** The peer no longer has piece `index` (BEP 54). */
  donthave: (index: number) => void
  /** The ut_metadata exchange completed and verified. */
  metadata: (info: Uint8Array) => void
  /** The transport can take more data after a write returned false. */
  drain: () => void
  /** The wire closed; `err` says why when it was not a clean close. */
  close: (err?: PeerWireError) => void
}
