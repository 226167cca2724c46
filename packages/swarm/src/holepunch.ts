import { formatPeer, type PeerAddress } from '@p2p/peer-address'
import { HolepunchError, rendezvousVerdict, UtHolepunch } from '@p2p/peer-wire'
import type { SwarmTransport } from './runtime.js'
import type { Peer, TorrentState } from './torrent-state.js'

/** Least time between two rendezvous requests for one address, ms. */
export const RENDEZVOUS_INTERVAL_MS = 30_000
/** Bound on remembered relays (which peer told us of which address by PEX). */
const MAX_RELAY_HINTS = 1_000

const ERROR_NAMES: Record<number, string> = {
  [HolepunchError.noSuchPeer]: 'NoSuchPeer',
  [HolepunchError.notConnected]: 'NotConnected',
  [HolepunchError.noSupport]: 'NoSupport',
  [HolepunchError.noSelf]: 'NoSelf',
}

/**
 * Offers ut_holepunch (BEP 55) on a new connection, before the extended handshake: the peer may use
 * us as a relay, we may use it as one, and its `connect` messages start a uTP dial through `punch`.
 */
export function useHolepunch(s: TorrentState, peer: Peer, punch: (addr: PeerAddress) => void): void {
  const hp = peer.wire.use(new UtHolepunch(peer.wire))
  peer.holepunch = hp
  hp.on('rendezvous', (target) => relay(s, peer, target))
  hp.on('connect', (addr) => punch(addr))
  hp.on('error', (addr, code) =>
    s.emit('warning', {
      message: `holepunch to ${formatPeer(addr)} via ${formatPeer(peer.addr)}: ${ERROR_NAMES[code] ?? `error ${code}`}`,
      peer: addr,
    }),
  )
}

/** The address a peer accepts connections on, as we would tell others by PEX. */
const listenKey = (p: Peer) => formatPeer(p.listen ?? p.addr)

/**
 * The relay's side of a `rendezvous` from `from` for `target`: `connect` to both when we are connected
 * to a target that speaks ut_holepunch, else an `error` with the BEP 55 code.
 */
function relay(s: TorrentState, from: Peer, target: PeerAddress): void {
  const key = formatPeer(target)
  let to: Peer | undefined
  for (const p of s.peers) {
    if (p === from || !p.handshaken || p.wire.destroyed) continue
    if (listenKey(p) === key || formatPeer(p.addr) === key) to = p
  }
  const code = rendezvousVerdict(
    to && { connected: true, supportsHolepunch: to.wire.peerSupports('ut_holepunch') },
    s.ctx.isSelf(target),
    target.port,
  )
  if (code !== 0 || !to?.holepunch) {
    from.holepunch?.error(target, code || HolepunchError.noSupport)
    return
  }
  s.holepunchesRelayed++
  to.holepunch.connect(from.listen ?? from.addr)
  from.holepunch?.connect(target)
}

/** Remembers that `relay` told us of `addr` by PEX: it can introduce us if a dial to `addr` fails. */
export function noteRelay(s: TorrentState, addr: PeerAddress, relay: Peer): void {
  const key = formatPeer(addr)
  if (!s.relayHints.has(key) && s.relayHints.size >= MAX_RELAY_HINTS) {
    const oldest = s.relayHints.keys().next().value
    if (oldest !== undefined) s.relayHints.delete(oldest)
  }
  s.relayHints.set(key, { relay, askedAt: s.relayHints.get(key)?.askedAt ?? Number.NEGATIVE_INFINITY })
}

/**
 * A dial to `addr` failed: when a connected peer told us of it by PEX and we can punch (uTP), ask that
 * peer to introduce us (BEP 55 `rendezvous`), at most once per {@link RENDEZVOUS_INTERVAL_MS}.
 */
export function requestRendezvous(s: TorrentState, addr: PeerAddress): void {
  const hint = s.relayHints.get(formatPeer(addr))
  if (!hint || !s.rt.transport.punch || s.destroyed) return
  const now = s.rt.clock.now()
  const { relay } = hint
  if (now - hint.askedAt < RENDEZVOUS_INTERVAL_MS || !s.peers.has(relay) || relay.wire.destroyed) return
  if (relay.holepunch?.rendezvous(addr)) hint.askedAt = now
}

/** `transport` dialing through its `punch` (uTP only, BEP 55). */
export function punchTransport(transport: SwarmTransport): SwarmTransport {
  const punch = transport.punch
  if (!punch) throw new Error('transport cannot punch')
  return {
    listen: (...args) => transport.listen(...args),
    dial: (addr, _receive, done) => punch.call(transport, addr, done),
  }
}
