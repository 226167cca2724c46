import type { Dialer } from './dialer.js'
import type { PeerSession as Peer } from './peer-session.js'
import type { PiecePicker } from './piece-picker.js'
import type { SwarmRuntime } from './runtime.js'
import { type AddOptions, DEFAULT_MAX_PEERS_PER_TORRENT } from './torrent-types.js'

/**
 * Default of `AddOptions.idleTimeout`: a connection that moved no payload either way for this long
 * (since it opened, when it never did) gives its slot to a newcomer when the torrent is full.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000
/** Default of `AddOptions.maxConnectionsPerIp` (libtorrent without `allow_multiple_connections_per_ip`). */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 1
/** Default share of connection slots kept for connections we dial (`outgoingReserve`). */
export const DEFAULT_OUTGOING_RESERVE = 0.2

/** What the connection limits read of a torrent. */
export interface SlotsHost {
  readonly opts: Pick<
    AddOptions,
    'maxConnections' | 'maxConnectionsPerIp' | 'limitLoopback' | 'idleTimeout' | 'outgoingReserve'
  >
  readonly sessions: Iterable<Peer>
  readonly rt: Pick<SwarmRuntime, 'clock'>
  /** Requests out per peer, once the torrent phase exists. */
  readonly core: { readonly picker: Pick<PiecePicker, 'outstanding'> } | undefined
  readonly dialer: Pick<Dialer, 'rank'>
}

/** Whether `host` (normalized) is a loopback address (127.0.0.0/8 or ::1). */
export function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1'
}

/** Slots a share `share` (0..1) of `max` keeps for outgoing connections. */
export function reservedSlots(max: number, share: number | undefined): number {
  return Math.floor(max * Math.min(1, Math.max(0, share ?? DEFAULT_OUTGOING_RESERVE)))
}

function maxConnections(s: SlotsHost): number {
  return s.opts.maxConnections ?? DEFAULT_MAX_PEERS_PER_TORRENT
}

function open(s: SlotsHost): Peer[] {
  return [...s.sessions].filter((p) => !p.evicted && !p.destroyed)
}

/**
 * Whether one more connection from `host` stays within `maxConnectionsPerIp` (loopback addresses
 * are not counted unless `limitLoopback`: a local swarm runs every client on 127.0.0.1).
 */
export function withinIpLimit(s: SlotsHost, host: string): boolean {
  if (!s.opts.limitLoopback && isLoopback(host)) return true
  const max = s.opts.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP
  let n = 0
  for (const p of open(s)) if (p.addr.host === host) n++
  return n < max
}

/** Milliseconds since payload last moved either way on the connection (since it opened, if never). */
function idleFor(s: SlotsHost, p: Peer): number {
  return s.rt.clock.now() - Math.max(p.down.last, p.up.last)
}

/**
 * The connection idle longest past `idleTimeout` (those where neither side is interested first),
 * as libtorrent's inactivity timeout closes peers that are useless while the slots are full.
 */
function mostIdle(s: SlotsHost, among: Peer[]): Peer | undefined {
  const limit = s.opts.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS
  let best: { peer: Peer; score: number } | undefined
  for (const p of among) {
    const idle = idleFor(s, p)
    if (idle < limit) continue
    const score = (p.amInterested || p.peerInterested ? 0 : Number.MAX_SAFE_INTEGER / 2) + idle
    if (!best || score > best.score) best = { peer: p, score }
  }
  return best?.peer
}

/**
 * The lowest BEP 40 rank among `among`, as libtorrent's `find_lowest_ranking_peer`, except that
 * peers we are downloading from right now (requests out and data arriving) are kept.
 */
export function lowestRanked(
  s: SlotsHost,
  among: Peer[] = open(s),
): { peer: Peer; rank: number } | undefined {
  let lowest: { peer: Peer; rank: number } | undefined
  for (const p of among) {
    if ((s.core?.picker.outstanding(p) ?? 0) > 0 && p.down.rate() > 0) continue
    const rank = s.dialer.rank(p.listen ?? p.addr)
    if (!lowest || rank < lowest.rank) lowest = { peer: p, rank }
  }
  return lowest
}

/**
 * The connections a newcomer may replace: an incoming one does not take the slots kept for
 * connections we dialled (`outgoingReserve`), and an outgoing one takes them back from incoming
 * connections (`forced`: whatever their rank).
 */
function replaceable(s: SlotsHost, incoming: boolean): { among: Peer[]; forced: boolean } {
  const all = open(s)
  const max = maxConnections(s)
  const reserve = reservedSlots(max, s.opts.outgoingReserve)
  const ins = all.filter((p) => p.incoming)
  if (incoming && all.length - ins.length <= reserve) return { among: ins, forced: false }
  if (!incoming && ins.length > max - reserve) return { among: ins, forced: true }
  return { among: all, forced: false }
}

/**
 * Whether a dial may go out while the torrent is full: a connection has been idle past
 * `idleTimeout`, or incoming connections hold slots kept for ours.
 */
export function mayDialWhenFull(s: SlotsHost): boolean {
  const { among, forced } = replaceable(s, false)
  return forced || mostIdle(s, among) !== undefined
}

/**
 * At the connection limit, makes room for a newcomer of BEP 40 rank `rank`: a connection idle past
 * `idleTimeout` goes first, then (as libtorrent's `attach_peer`) the lowest-ranked connection if it
 * ranks below the newcomer. Returns whether the newcomer may stay.
 */
export function makeRoom(s: SlotsHost, rank: number, incoming: boolean): boolean {
  if (open(s).length < maxConnections(s)) return true
  const { among, forced } = replaceable(s, incoming)
  let victim = mostIdle(s, among)
  if (!victim) {
    const lowest = lowestRanked(s, among)
    if (lowest && (forced || lowest.rank < rank)) victim = lowest.peer
  }
  if (!victim) return false
  victim.markEvicted()
  victim.close()
  return true
}
