import { formatPeer, type PeerAddress } from '@p2p/peer-address'
import { PEX_MAX_PER_MESSAGE, PexFlag } from '@p2p/peer-wire'
import type { Peer, TorrentState } from './torrent-state.js'

/** Interval between PEX rounds. */
export const PEX_INTERVAL_MS = 60_000
/** Delay of the PEX round that follows a connection or a disconnection (changes come in bursts). */
const PEX_SOON_MS = 500

/** Tells peers about each other soon after a connection or a disconnection (the wire paces ut_pex itself). */
export function pexSoon(s: TorrentState): void {
  if (s.pexTimer || s.destroyed) return
  s.pexTimer = s.rt.clock.setTimeout(() => {
    s.pexTimer = undefined
    if (!s.destroyed) sendPex(s)
  }, PEX_SOON_MS)
}

/**
 * Sends each peer the connected peers it has not been told about yet, and the ones it was told about
 * that are gone (BEP 11 `dropped`), at most {@link PEX_MAX_PER_MESSAGE} of each a round.
 */
export function sendPex(s: TorrentState): void {
  if (s.meta?.private) return // BEP 27 (a magnet learns it with the metadata)
  const all = new Map<string, PeerAddress & { flags?: number }>()
  const flags = new Map<string, number>()
  for (const p of s.sessions) if (p.handshaken) flags.set(formatPeer(p.listen ?? p.addr), pexFlags(p))
  for (const a of s.dialer.book.connectedPeers()) {
    const key = formatPeer(a)
    const f = flags.get(key)
    all.set(key, f ? { ...a, flags: f } : a)
  }
  for (const p of s.sessions) {
    if (!p.handshaken) continue
    const self = formatPeer(p.listen ?? p.addr)
    const added: (PeerAddress & { flags?: number })[] = []
    for (const [key, a] of all) {
      if (added.length === PEX_MAX_PER_MESSAGE) break
      if (key !== self && !p.pexSent.has(key)) added.push(a)
    }
    const dropped: PeerAddress[] = []
    for (const [key, a] of p.pexSent) {
      if (dropped.length === PEX_MAX_PER_MESSAGE) break
      if (!all.has(key)) dropped.push(a)
    }
    if (!added.length && !dropped.length) continue
    // Queued on the wire, which sends it only if the peer speaks ut_pex.
    p.sendPex({ added, dropped })
    for (const a of added) p.pexSent.set(formatPeer(a), a)
    for (const a of dropped) p.pexSent.delete(formatPeer(a))
  }
}

/** BEP 11 flags of a connected peer: uTP when it is connected over uTP, holepunch when it speaks ut_holepunch. */
function pexFlags(p: Peer): number {
  return (
    (p.transport === 'utp' ? PexFlag.utp : 0) |
    (p.supports('ut_holepunch') ? PexFlag.holepunch : 0) |
    (p.incoming ? 0 : PexFlag.reachable)
  )
}
