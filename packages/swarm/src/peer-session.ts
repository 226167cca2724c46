import { formatPeer, type PeerAddress } from '@p2p/peer-address'
import {
  type Bitfield,
  type BlockRequest,
  type ExtensionContext,
  type Handshake,
  type HashesMessage,
  type HashRequest,
  type PexUpdate,
  UtHolepunch,
  type Wire,
  type WireEvents,
  type WireExtension,
} from '@p2p/peer-wire'
import type { ConnectionEncryption } from './encryption.js'
import { RateMeter } from './rate-meter.js'
import type { Transport } from './transports.js'

/** Bound on the addresses a peer told us of by PEX that we remember. */
const MAX_PEX_KNOWN = 1_000

/** Suggestions (BEP 6) kept per peer; later ones are ignored. */
const MAX_SUGGESTED = 64

/** The wire events a torrent listens to on a connection. */
type SessionEvent =
  | 'extended-handshake'
  | 'bitfield'
  | 'have-all'
  | 'have-none'
  | 'have'
  | 'donthave'
  | 'unchoke'
  | 'choke'
  | 'allowed-fast'
  | 'suggest'
  | 'interested'
  | 'uninterested'
  | 'request'
  | 'hash-request'
  | 'pex'
  | 'port'
  | 'close'

/**
 * What a {@link PeerSession} reports up to its torrent: the peer's messages, by wire event name, and
 * its handshake (with the wire, for the public `wire` event only).
 */
export type PeerSessionEvents = Pick<WireEvents, SessionEvent> & {
  /** The peer's handshake arrived; `wire` is handed out only to the torrent's public `wire` event. */
  handshake: (handshake: Handshake, wire: Wire) => void
}

/** How a connection was made and how to time it (see {@link PeerSession}). */
export interface PeerSessionInit {
  /** The remote address. */
  addr: PeerAddress
  /** It dialed us. */
  incoming: boolean
  /** RC4, plaintext after MSE, or plain. */
  encryption: ConnectionEncryption
  /** What carries the connection (under MSE, if any). */
  transport: Transport
  /** The torrent's clock (ms), for the rate meters. */
  now: () => number
}

/**
 * One connection of a torrent, the only object that talks to its {@link Wire}: the wire holds the
 * protocol state (choking and interest both ways, what the peer has, our requests in flight, its
 * requests to us), the session reads it out, sends what the torrent intends, keeps the torrent's own
 * record of the peer, and reports the peer's messages through the {@link PeerSessionEvents} it is given.
 */
export class PeerSession {
  readonly #wire: Wire
  /** The remote address. */
  readonly addr: PeerAddress
  /** It dialed us. */
  readonly incoming: boolean
  /** RC4, plaintext after MSE, or plain. */
  readonly encryption: ConnectionEncryption
  /** What carries the connection (under MSE, if any). */
  readonly transport: Transport
  /** Payload bytes received from it. */
  readonly down: RateMeter
  /** Payload bytes sent to it. */
  readonly up: RateMeter
  #listen: PeerAddress | undefined
  #handshaken = false
  #haveAll = false
  #strikes = 0
  #parole = false
  #snubbedUntil: number | undefined
  #banned = false
  #bothSeeds = false
  #evicted = false
  #dhtPort: number | undefined
  #holepunch: UtHolepunch | undefined
  readonly #allowedFast = new Set<number>()
  readonly #suggested: number[] = []
  readonly #pexSent = new Map<string, PeerAddress>()
  #pexKnown: Set<string> | undefined

  /**
   * @param wire the connection's wire, owned by the session from now on
   * @param events what to tell the torrent of the peer's messages (made once the session exists)
   */
  constructor(wire: Wire, init: PeerSessionInit, events: (session: PeerSession) => PeerSessionEvents) {
    this.#wire = wire
    this.addr = init.addr
    this.#listen = init.incoming ? undefined : init.addr
    this.incoming = init.incoming
    this.encryption = init.encryption
    this.transport = init.transport
    this.down = new RateMeter(init.now)
    this.up = new RateMeter(init.now)
    const on = events(this)
    wire.on('handshake', (h) => on.handshake(h, wire))
    for (const name of Object.keys(on) as (keyof PeerSessionEvents)[]) {
      if (name !== 'handshake') wire.on(name, on[name] as WireEvents[typeof name])
    }
  }

  /** The address it accepts connections on (dialed address, or remote ip + extended handshake `p`). */
  get listen(): PeerAddress | undefined {
    return this.#listen
  }

  /** It dialed us and its extended handshake gave the port it listens on: returns its listen address. */
  learnListenPort(port: number): PeerAddress {
    this.#listen = { host: this.addr.host, port }
    return this.#listen
  }

  /** Its handshake passed our checks (not ourselves, not banned, not a duplicate). */
  get handshaken(): boolean {
    return this.#handshaken
  }

  /** Its handshake passed our checks (sessions.ts `admit`). */
  markHandshaken(): void {
    this.#handshaken = true
  }

  /** It sent have-all (until its first donthave, or a have-none). */
  get haveAll(): boolean {
    return this.#haveAll
  }

  /** It sent have-all (`true`), or have-none or a donthave (`false`). */
  setHaveAll(haveAll: boolean): void {
    this.#haveAll = haveAll
  }

  /** Failed pieces it sent blocks of. */
  get strikes(): number {
    return this.#strikes
  }

  /** It sent part of a failed piece: one strike more. */
  addStrike(): void {
    this.#strikes++
  }

  /** It sent part of a failed piece: it gets whole pieces of its own (see `PiecePicker.pick`). */
  get parole(): boolean {
    return this.#parole
  }

  /** Puts it on parole (see {@link PeerSession.parole}). */
  putOnParole(): void {
    this.#parole = true
  }

  /**
   * Until when (clock ms) the peer is snubbed: a request of ours to it timed out. A snubbed peer gets
   * only endgame duplicates, so the blocks it sits on are served by others (libtorrent's snubbing).
   */
  get snubbedUntil(): number | undefined {
    return this.#snubbedUntil
  }

  /** A request of ours to it timed out: snubbed until `until` (clock ms). */
  snub(until: number): void {
    this.#snubbedUntil = until
  }

  /** A block of it arrived: no longer snubbed. */
  unsnub(): void {
    this.#snubbedUntil = undefined
  }

  /** It sent bad data and is closed for good. */
  get banned(): boolean {
    return this.#banned
  }

  /** It is banned (sessions.ts `ban`, which remembers its address and id). */
  markBanned(): void {
    this.#banned = true
  }

  /** Closed because we are both seeds. */
  get bothSeeds(): boolean {
    return this.#bothSeeds
  }

  /** We are both seeds: the connection is closed for that reason (the caller closes it). */
  markBothSeeds(): void {
    this.#bothSeeds = true
  }

  /** Closed to make room for a peer of higher BEP 40 rank. */
  get evicted(): boolean {
    return this.#evicted
  }

  /** It makes room for a peer of higher BEP 40 rank (the caller closes it). */
  markEvicted(): void {
    this.#evicted = true
  }

  /** The DHT port its last BEP 5 `port` message gave. */
  get dhtPort(): number | undefined {
    return this.#dhtPort
  }

  /** Its BEP 5 `port` message gave `port`. */
  learnDhtPort(port: number): void {
    this.#dhtPort = port
  }

  /** Pieces it allows us to request while choked (BEP 6). */
  get allowedFast(): ReadonlySet<number> {
    return this.#allowedFast
  }

  /** It allows us to request piece `index` while choked (BEP 6 allowed fast). */
  addAllowedFast(index: number): void {
    this.#allowedFast.add(index)
  }

  /** Pieces it suggested (BEP 6), oldest first. */
  get suggested(): readonly number[] {
    return this.#suggested
  }

  /** It suggested piece `index` (BEP 6); beyond {@link MAX_SUGGESTED} suggestions it is ignored. */
  addSuggested(index: number): void {
    if (this.#suggested.length < MAX_SUGGESTED) this.#suggested.push(index)
  }

  /** Addresses told to it by PEX (by `formatPeer`), reported dropped once they are gone. */
  get pexSent(): ReadonlyMap<string, PeerAddress> {
    return this.#pexSent
  }

  /** Its ut_holepunch extension (BEP 55), absent on private torrents. */
  get holepunch(): UtHolepunch | undefined {
    return this.#holepunch
  }

  /** Adds ut_holepunch (BEP 55) to the connection (before the extended handshake). */
  useHolepunch(): UtHolepunch {
    this.#holepunch = this.use((context) => new UtHolepunch(context))
    return this.#holepunch
  }

  /** Whether it told us of address `key` (by `formatPeer`) by PEX and has not dropped it: it can introduce us (BEP 55). */
  toldUsOf(key: string): boolean {
    return this.#pexKnown?.has(key) === true
  }

  /** It told us of address `key` (by `formatPeer`) by PEX (at most {@link MAX_PEX_KNOWN} are remembered). */
  learnedByPex(key: string): void {
    this.#pexKnown ??= new Set()
    if (this.#pexKnown.size < MAX_PEX_KNOWN) this.#pexKnown.add(key)
  }

  /** It told us by PEX that address `key` (by `formatPeer`) is gone. */
  droppedByPex(key: string): void {
    this.#pexKnown?.delete(key)
  }

  /** The connection is closed. */
  get destroyed(): boolean {
    return this.#wire.destroyed
  }
  /** Both sides speak the fast extension (BEP 6). */
  get fast(): boolean {
    return this.#wire.fast
  }
  /** We are interested in it. */
  get amInterested(): boolean {
    return this.#wire.amInterested
  }
  /** We choke it. */
  get amChoking(): boolean {
    return this.#wire.amChoking
  }
  /** It chokes us. */
  get peerChoking(): boolean {
    return this.#wire.peerChoking
  }
  /** It is interested in us. */
  get peerInterested(): boolean {
    return this.#wire.peerInterested
  }
  /** The pieces it announced (bitfield and haves). */
  get peerPieces(): Bitfield {
    return this.#wire.peerPieces
  }
  /** It sent have-all and no donthave since. */
  get peerHasAll(): boolean {
    return this.#wire.peerHasAll
  }
  /** Its peer id, once its handshake arrived. */
  get peerId(): Uint8Array | undefined {
    return this.#wire.peerHandshake?.peerId
  }
  /** Its handshake set the DHT bit (BEP 5). */
  get peerDht(): boolean {
    return this.#wire.peerHandshake?.dht === true
  }
  /** Most requests the wire keeps open with it. */
  get maxOutstandingRequests(): number {
    return this.#wire.maxOutstandingRequests
  }
  /** Our requests to it waiting for an answer. */
  get outstandingRequests(): number {
    return this.#wire.outstandingRequests
  }
  /** Payload bytes the wire has sent it. */
  get uploaded(): number {
    return this.#wire.uploaded
  }
  /** Whether it announced extension `name` in its extended handshake. */
  supports(name: string): boolean {
    return this.#wire.peerSupports(name)
  }

  /** Adds an extension to the connection (before the extended handshake). */
  use<T extends WireExtension>(make: (context: ExtensionContext) => T): T {
    return this.#wire.use(make)
  }
  /** Gives the wire the torrent's geometry once the metadata is known (a bad one closes it). */
  setTorrent(geometry: Parameters<Wire['setTorrent']>[0]): void {
    this.#wire.setTorrent(geometry)
  }
  /** Fetches the info dictionary from it (ut_metadata). */
  fetchMetadata(): Promise<Uint8Array> {
    return this.#wire.fetchMetadata()
  }

  /** Requests a block (see `Wire.requestBlock` for what throws). */
  request(...block: Parameters<Wire['requestBlock']>): void {
    this.#wire.requestBlock(...block)
  }
  /** Cancels a request of ours. */
  cancel(index: number, begin: number, length: number): void {
    this.#wire.cancel(index, begin, length)
  }
  /** Chokes it (nothing when already choked). */
  choke(): void {
    this.#wire.choke()
  }
  /** Unchokes it (nothing when already unchoked). */
  unchoke(): void {
    this.#wire.unchoke()
  }
  /** Tells it whether we are interested (sent only on a change). */
  setInterested(interested: boolean): void {
    if (interested) this.#wire.interested()
    else this.#wire.uninterested()
  }

  /** Tells it we have a new piece. */
  announceHave(index: number): void {
    this.#wire.have(index)
  }
  /** Tells it we lost a piece (BEP 54); false when it does not speak lt_donthave. */
  announceDonthave(index: number): boolean {
    return this.#wire.donthave(index)
  }
  /** Sends our bitfield. */
  announceBitfield(bits: Uint8Array, pieceCount: number): void {
    this.#wire.bitfield(bits, pieceCount)
  }
  /** Sends have-all (or a full bitfield without the fast extension). */
  announceHaveAll(): void {
    this.#wire.haveAll()
  }
  /** Sends have-none (fast extension; without it nothing). */
  announceHaveNone(): void {
    this.#wire.haveNone()
  }
  /** Lets it request `index` while choked (fast extension). */
  allowFast(index: number): void {
    this.#wire.allowedFast(index)
  }

  /** Sends a block it asked for; `onWritten` runs once the transport took it. */
  sendBlock(index: number, begin: number, block: Uint8Array, onWritten: () => void): void {
    this.#wire.piece(index, begin, block, onWritten)
  }
  /** Refuses a request of its (fast extension; dropped without it). */
  reject(req: BlockRequest): void {
    this.#wire.rejectRequest(req)
  }
  /** Queues a PEX update (sent only if it speaks ut_pex) and remembers what it was told (`pexSent`). */
  sendPex(update: PexUpdate): void {
    this.#wire.sendPex(update)
    for (const a of update.added ?? []) this.#pexSent.set(formatPeer(a), a)
    for (const a of update.dropped ?? []) this.#pexSent.delete(formatPeer(a))
  }
  /** Asks it for merkle hashes (BEP 52). */
  requestHashes(req: HashRequest): Promise<HashesMessage> {
    return this.#wire.hashRequest(req)
  }
  /** Answers its hash request. */
  sendHashes(req: HashRequest, hashes: Uint8Array | Uint8Array[]): void {
    this.#wire.hashes(req, hashes)
  }
  /** Refuses its hash request. */
  rejectHashes(req: HashRequest): void {
    this.#wire.hashReject(req)
  }

  /** Closes the connection (its `close` event follows). */
  close(): void {
    this.#wire.destroy()
  }
}

/** Cancels a request of ours held by `holder`, when it is a peer (a web seed's copy is dropped when it comes). */
export function cancelOnPeer(holder: unknown, index: number, begin: number, length: number): void {
  if (holder instanceof PeerSession) holder.cancel(index, begin, length)
}
