import type { MseStream } from '@p2p/mse'
import { assertPort, formatPeer, normalizeIp, type PeerAddress } from '@p2p/peer-address'
import { encodeHandshake, Wire, type WireOptions } from '@p2p/peer-wire'
import { makeRoom, withinIpLimit } from './connection-slots.js'
import { DIAL_TICK_MS } from './dialer.js'
import { dialPeer, encryptionOf, resolveEncryption } from './encryption.js'
import {
  punchFailed,
  punchTransport,
  rendezvousWhenSlow,
  requestRendezvous,
  useHolepunch,
} from './holepunch.js'
import { uncount } from './peer-availability.js'
import type { PeerSource } from './peer-book.js'
import { peerEvents } from './peer-events.js'
import { PeerSession } from './peer-session.js'
import type { TransportStream } from './runtime.js'
import { type Peer, type TorrentState, wireGeometry } from './torrent-state.js'
import { CONNECT_TIMEOUT_MS } from './torrent-types.js'
import { transportOf } from './transports.js'

/** Delay before dialing a seed again that we closed because both of us were seeds. */
const SEED_RECONNECT_DELAY_MS = 10 * 60_000

/** Adds a peer to dial (bad addresses and our own are ignored). */
export function addPeer(s: TorrentState, addr: { host: string; port: number }, source: PeerSource): void {
  if (s.destroyed) return
  let peer: PeerAddress
  try {
    assertPort(addr.port)
    peer = { host: normalizeIp(addr.host), port: addr.port }
  } catch {
    s.emit('warning', { message: `ignoring bad peer address ${addr.host}:${addr.port}` })
    return
  }
  if (s.ctx.isSelf(peer)) return
  s.dialer.book.add(peer, source)
  s.dialer.schedule(0)
}

/** Dials `addr`; `punch`: over uTP only, answering a relay's BEP 55 `connect`. */
export function connectTo(s: TorrentState, addr: PeerAddress, punch = false): void {
  s.dialer.book.dialing(addr)
  s.dialer.dialStarted()
  s.ctx.connectionOpened()
  const transport = punch ? punchTransport(s.rt.transport) : s.rt.transport
  // BEP 55: a dial that hangs (a NAT drops it) asks a relay before it times out.
  const settled = punch ? () => {} : rendezvousWhenSlow(s, addr)
  const failed = () => {
    settled()
    dialFailed(s, addr, punch)
  }
  const enc = resolveEncryption(s.ctx.encryption, s.opts)
  if (enc.encryption !== 'disabled') {
    // Our handshake goes as MSE's initial payload (as libtorrent's): no round trip of its own.
    const rt = punch ? { ...s.rt, transport } : s.rt
    dialPeer(addr, s.infoHashBytes, ourHandshake(s), enc, rt, CONNECT_TIMEOUT_MS, s.abort.signal).then(
      (c) => {
        settled()
        connected(s, addr, c.socket, c.stream, punch)
      },
      failed,
    )
    return
  }
  let wire: Wire | undefined
  const { clock } = s.rt
  const timer = clock.setTimeout(() => {
    cancel()
    failed()
  }, CONNECT_TIMEOUT_MS)
  const cancel = transport.dial(
    addr,
    (chunk) => wire?.receive(chunk),
    (error, socket) => {
      clock.clearTimeout(timer)
      if (error || !socket) return failed()
      settled()
      wire = connected(s, addr, socket, undefined, punch)
    },
  )
}

/** A dial failed: back off, and (unless it was a punch) ask a relay to introduce us (BEP 55). */
function dialFailed(s: TorrentState, addr: PeerAddress, punch: boolean): void {
  const { dialer } = s
  dialer.dialEnded()
  s.ctx.connectionClosed()
  // A punch to it may have connected while this dial hung.
  if (!dialer.book.isConnected(addr)) dialer.book.failed(addr)
  if (punch) punchFailed(s, addr)
  else requestRendezvous(s, addr)
  dialer.schedule(DIAL_TICK_MS)
}

/** A relay's BEP 55 `connect`: dial `addr` over uTP now (it dials us at the same time). */
function punchTo(s: TorrentState, addr: PeerAddress): void {
  if (s.destroyed || !s.rt.transport.punch || s.ctx.isSelf(addr)) return
  const { book } = s.dialer
  if (book.isConnected(addr) || book.isNever(addr) || !s.ctx.canConnect()) return
  s.dialer.countHolepunch('started')
  connectTo(s, addr, true)
}

/**
 * A dial succeeded (`stream`: the plaintext side after MSE; `punch`: a BEP 55 punch): the wire starts,
 * room permitting.
 */
function connected(
  s: TorrentState,
  addr: PeerAddress,
  socket: TransportStream,
  stream?: MseStream,
  punch = false,
): Wire | undefined {
  const { dialer } = s
  dialer.dialEnded()
  if (punch) dialer.countHolepunch('connected')
  if (s.destroyed || s.paused || !withinIpLimit(s, addr.host) || !makeRoom(s, dialer.rank(addr), false)) {
    ;(stream ?? socket).destroy()
    s.ctx.connectionClosed()
    if (!s.destroyed) dialer.book.disconnected(addr)
    return undefined
  }
  dialer.book.connected(addr, 'manual')
  return attach(s, socket, addr, false, stream)
}

/** An incoming connection whose handshake names this torrent (the client counted it); `stream` after MSE. */
export function acceptIncoming(s: TorrentState, socket: TransportStream, stream?: MseStream): void {
  let addr: PeerAddress | undefined
  try {
    addr = { host: normalizeIp(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 }
  } catch {
    // no usable address
  }
  // At the limit, it may replace an idle connection or one of lower BEP 40 rank (ranked, as
  // libtorrent, by the address it came from: its listening port is not known yet).
  if (
    s.destroyed ||
    s.paused ||
    !addr ||
    !withinIpLimit(s, addr.host) ||
    !makeRoom(s, s.dialer.rank(addr), true)
  ) {
    ;(stream ?? socket).destroy()
    s.ctx.connectionClosed()
    return
  }
  attach(s, socket, addr, true, stream)
}

/**
 * The options of a torrent's wires; `infoHash` is the hash the connection goes by (an incoming MSE
 * connection's SKEY: the v1 hash or the truncated v2 hash of a hybrid torrent).
 */
function wireOptions(s: TorrentState, infoHash = s.infoHashBytes): WireOptions {
  const meta = s.meta
  return {
    infoHash,
    peerId: s.ctx.peerId,
    listenPort: s.ctx.port(),
    // BEP 5 + BEP 27: advertise the DHT, never on private torrents.
    dhtPort: meta?.private ? undefined : s.ctx.dhtPort(),
    signal: s.abort.signal,
    clock: s.rt.clock,
    ...s.rt.wire,
    // BEP 27: a private torrent's peers come from its trackers only, so no ut_pex either way.
    ...(meta?.private || s.opts.pex === false ? { extensions: { utPex: false } } : {}),
    ...(s.opts.pexInterval ? { pexInterval: s.opts.pexInterval } : {}),
    ...(meta ? wireGeometry(meta) : {}),
  }
}

/** The BitTorrent handshake a wire made with {@link wireOptions} sends first. */
function ourHandshake(s: TorrentState): Uint8Array {
  const o = wireOptions(s)
  return encodeHandshake({
    infoHash: o.infoHash!,
    peerId: o.peerId,
    fast: o.fast !== false,
    extended: o.extended !== false,
    dht: o.dhtPort !== undefined,
    v2Upgrade: o.v2 === true,
  })
}

function attach(
  s: TorrentState,
  socket: TransportStream,
  addr: PeerAddress,
  incoming: boolean,
  stream?: MseStream,
): Wire {
  socket.setNoDelay?.(true)
  if (socket.localAddress) s.dialer.learnLocalAddress(socket.localAddress)
  const wire = new Wire(stream ?? socket, wireOptions(s, stream?.skey))
  const peer = new PeerSession(
    wire,
    {
      addr,
      incoming,
      encryption: encryptionOf(stream),
      transport: transportOf(socket),
      now: () => s.rt.clock.now(),
    },
    (peer) =>
      peerEvents(s, peer, {
        learned: (addr) => addPeer(s, addr, 'pex'),
        closed: (err) => onClose(s, peer, err),
      }),
  )
  // BEP 55 goes with PEX (a relay introduces peers it told us of): none on private torrents.
  if (!s.meta?.private) useHolepunch(s, peer, (a) => punchTo(s, a))
  s.sessions.add(peer)
  wire.handshake()
  // Decrypted reads go straight to the parser, as a plain connection's reused read buffer does.
  stream?.setReceiver((chunk) => wire.receive(chunk))
  return wire
}

/** A connection closed: its requests go back to the pool and its address to the book. */
export function onClose(s: TorrentState, peer: Peer, err?: Error): void {
  if (!s.sessions.delete(peer)) return
  s.ctx.connectionClosed()
  const { core } = s
  if (core) {
    core.release(peer)
    uncount(core, peer)
  }
  s.superSeeding.gone(peer)
  s.work.unchoke()
  // Dropped before the handshake (the peer was not ready, or refused us): retry soon with back-off.
  if (peer.listen) {
    if (peer.handshaken) {
      s.dialer.book.disconnected(peer.listen, peer.bothSeeds ? SEED_RECONNECT_DELAY_MS : undefined)
    } else s.dialer.book.failed(peer.listen)
  }
  if (peer.handshaken)
    s.emit('disconnect', { peer: peer.listen ?? peer.addr, reason: closeReason(s, peer, err) })
  if (err && !s.destroyed && peer.handshaken) {
    s.emit('warning', {
      message: `peer ${formatPeer(peer.addr)} closed: ${err.message}`,
      peer: peer.addr,
      error: err,
    })
  }
  if (peer.handshaken) s.pex.soon()
  s.work.topUpAll()
  s.dialer.schedule(DIAL_TICK_MS)
}

/** Why a handshaken connection closed, for the `disconnect` event. */
function closeReason(s: TorrentState, peer: Peer, err?: Error): string {
  if (peer.banned) return 'banned'
  if (peer.bothSeeds) return 'both seeds'
  if (peer.evicted) return 'evicted'
  if (s.destroyed) return 'destroyed'
  if (s.paused) return 'paused'
  return err?.message ?? 'closed'
}
