import { formatPeer, type PeerAddress } from '@p2p/peer-address'
import { HolepunchError, rendezvousVerdict } from '@p2p/peer-wire'
import type { ClientContext } from './client-context.js'
import type { Dialer } from './dialer.js'
import { SwarmError } from './errors.js'
import type { PeerSession as Peer } from './peer-session.js'
import type { SwarmRuntime, SwarmTransport } from './runtime.js'
import type { Sessions } from './sessions.js'
import type { EmitFn } from './torrent-types.js'
import { UTP_CONNECT_TIMEOUT_MS } from './transports.js'

/** How long a relay that answered `connect` (or NoSupport) is not followed by another for the same address, ms. */
export const RENDEZVOUS_INTERVAL_MS = 30_000
/** Relays asked for one address per failed dial (the next after an error). */
const MAX_RELAYS_PER_ROUND = 3
/** Punches to one address that may fail and be asked for again, per failed dial. */
export const MAX_PUNCH_RETRIES = 2
/**
 * Pause before asking a relay again after a punch failed, ms: both sides' SYNs may have crossed
 * before either NAT had a mapping, and libtorrent too retries a failed connection soon.
 */
export const PUNCH_RETRY_MS = 1_000

/** What BEP 55 holepunching reads of a torrent. */
export interface HolepunchHost {
  readonly sessions: Sessions
  readonly dialer: Pick<
    Dialer,
    'book' | 'rendezvous' | 'openRendezvous' | 'closeRendezvous' | 'countHolepunch'
  >
  readonly ctx: Pick<ClientContext, 'isSelf'>
  readonly rt: Pick<SwarmRuntime, 'transport' | 'clock'>
  readonly destroyed: boolean
  readonly abort: { readonly signal: AbortSignal }
  readonly emit: EmitFn
}

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
export function useHolepunch(s: HolepunchHost, peer: Peer, punch: (addr: PeerAddress) => void): void {
  const hp = peer.useHolepunch()
  hp.on('rendezvous', (target) => relay(s, peer, target))
  hp.on('connect', (addr) => punch(addr))
  hp.on('error', (addr, code) => {
    s.emit('warning', {
      message: `holepunch to ${formatPeer(addr)} via ${formatPeer(peer.addr)}: ${ERROR_NAMES[code] ?? `error ${code}`}`,
      peer: addr,
    })
    rendezvousFailed(s, peer, addr, code)
  })
}

/** The address a peer accepts connections on, as we would tell others by PEX. */
const listenKey = (p: Peer) => formatPeer(p.listen ?? p.addr)

/**
 * The relay's side of a `rendezvous` from `from` for `target`: `connect` to both when we are connected
 * to a target that speaks ut_holepunch, else an `error` with the BEP 55 code.
 */
function relay(s: HolepunchHost, from: Peer, target: PeerAddress): void {
  const key = formatPeer(target)
  let to: Peer | undefined
  for (const p of s.sessions) {
    if (p === from || !p.handshaken || p.destroyed) continue
    if (listenKey(p) === key || formatPeer(p.addr) === key) to = p
  }
  const code = rendezvousVerdict(
    to && { connected: true, supportsHolepunch: to.supports('ut_holepunch') },
    s.ctx.isSelf(target),
    target.port,
  )
  if (code !== 0 || !to?.holepunch) {
    from.holepunch?.error(target, code || HolepunchError.noSupport)
    return
  }
  s.dialer.countHolepunch('relayed')
  to.holepunch.connect(from.listen ?? from.addr)
  from.holepunch?.connect(target)
}

/** Remembers that `relay` told us of `addr` by PEX: it can introduce us if a dial to `addr` fails. */
export function noteRelay(s: HolepunchHost, addr: PeerAddress, relay: Peer): void {
  const key = formatPeer(addr)
  relay.learnedByPex(key)
  // A dial to it failed before anyone told us of it: ask this peer now, not at the next failure.
  if (s.dialer.rendezvous(key)) requestRendezvous(s, addr)
}

/**
 * A dial to `addr` started: if it has not connected after the first transport's share of the dial
 * ({@link UTP_CONNECT_TIMEOUT_MS}), ask for a rendezvous while it goes on (a NAT drops unsolicited
 * SYNs and uTP SYNs, so a dial to a NATed peer only ends at its timeout). Returns the cancel.
 */
export function rendezvousWhenSlow(s: HolepunchHost, addr: PeerAddress): () => void {
  if (!s.rt.transport.punch) return () => {}
  const { clock } = s.rt
  const timer = clock.setTimeout(() => requestRendezvous(s, addr), UTP_CONNECT_TIMEOUT_MS)
  return () => clock.clearTimeout(timer)
}

/** `relay` told us by PEX that `addr` is gone: it cannot introduce us any more. */
export function forgetRelay(relay: Peer, addr: PeerAddress): void {
  relay.droppedByPex(formatPeer(addr))
}

/**
 * A dial to `addr` failed or hangs (`next`: a relay answered an error): when we can punch (uTP), ask
 * a connected peer that speaks ut_holepunch to introduce us (BEP 55 `rendezvous`), as libtorrent does
 * after a failed connection. A peer that told us of `addr` by PEX first, else one we dialed
 * (reachable: a NATed peer can be connected to it, and PEX news comes at most once a minute). One
 * relay at a time; after an error the next one, at most {@link MAX_RELAYS_PER_ROUND} per dial (the
 * book backs dials off); a relay that answered `connect` (or NoSupport) is not followed by another
 * for {@link RENDEZVOUS_INTERVAL_MS}.
 */
export function requestRendezvous(s: HolepunchHost, addr: PeerAddress, next = false): void {
  if (!s.rt.transport.punch || s.destroyed) return
  const key = formatPeer(addr)
  const { dialer } = s
  if (dialer.book.isConnected(addr) || dialer.book.isNever(addr)) {
    dialer.closeRendezvous(key)
    return
  }
  const now = s.rt.clock.now()
  const r = dialer.openRendezvous(key)
  const { pending } = r
  if (pending && s.sessions.has(pending) && !pending.destroyed && now - r.askedAt < RENDEZVOUS_INTERVAL_MS)
    return
  r.pending = undefined
  // A new failure: relays that said NotConnected may know the peer by now.
  if (!next) {
    r.tried.clear()
    r.punchFailures = 0
  }
  if (r.tried.size >= MAX_RELAYS_PER_ROUND) return
  const relay = pickRelay(s, key, r.tried)
  if (!relay?.holepunch?.rendezvous(addr)) return
  r.tried.add(relay)
  r.pending = relay
  r.askedAt = now
  s.dialer.countHolepunch('asked')
}

/** A relay for `key` not tried yet: one that told us of it by PEX, else one we dialed. */
function pickRelay(s: HolepunchHost, key: string, tried: Set<Peer>): Peer | undefined {
  let reachable: Peer | undefined
  for (const p of s.sessions) {
    if (tried.has(p) || !p.handshaken || p.destroyed || !p.supports('ut_holepunch')) continue
    if (listenKey(p) === key) continue // the target itself
    if (p.toldUsOf(key)) return p
    if (!reachable && !p.incoming) reachable = p
  }
  return reachable
}

/**
 * `relay` answered our rendezvous for `addr` with an error: it is not (or no longer) connected to it,
 * so ask the next relay; after NoSupport (the target cannot be punched to through anyone) none for
 * {@link RENDEZVOUS_INTERVAL_MS}.
 */
function rendezvousFailed(s: HolepunchHost, relay: Peer, addr: PeerAddress, code: number): void {
  forgetRelay(relay, addr)
  const r = s.dialer.rendezvous(formatPeer(addr))
  if (!r || r.pending !== relay || code === HolepunchError.noSupport) return
  r.pending = undefined
  requestRendezvous(s, addr, true)
}

/**
 * A punch to `addr` that a relay set up failed: ask again (the same relay may serve) after
 * {@link PUNCH_RETRY_MS}, at most {@link MAX_PUNCH_RETRIES} times per failed dial, instead of waiting
 * {@link RENDEZVOUS_INTERVAL_MS} for the relay that answered `connect`.
 */
export function punchFailed(s: HolepunchHost, addr: PeerAddress): void {
  const r = s.dialer.rendezvous(formatPeer(addr))
  if (!r || r.punchFailures >= MAX_PUNCH_RETRIES) return
  r.punchFailures++
  if (r.pending) r.tried.delete(r.pending)
  r.pending = undefined
  const { clock } = s.rt
  const timer = clock.setTimeout(() => {
    s.abort.signal.removeEventListener('abort', stop)
    requestRendezvous(s, addr, true)
  }, PUNCH_RETRY_MS)
  const stop = () => clock.clearTimeout(timer)
  s.abort.signal.addEventListener('abort', stop, { once: true })
}

/** `transport` dialing through its `punch` (uTP only, BEP 55). */
export function punchTransport(transport: SwarmTransport): SwarmTransport {
  const punch = transport.punch
  if (!punch) throw new SwarmError('SWARM_INVALID_ARGUMENT', 'transport cannot punch')
  return {
    listen: (...args) => transport.listen(...args),
    dial: (addr, _receive, done) => punch.call(transport, addr, done),
  }
}
