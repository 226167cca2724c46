import { mayServe, unchokeAllInterested } from './seeding.js'
import type { Peer, TorrentState } from './torrent-state.js'

/** Bytes of whole pieces kept in memory for uploads. */
const READ_CACHE_BYTES = 8 * 2 ** 20

/**
 * A verified piece's bytes for uploads: read once whole and kept in a small LRU, since peers ask
 * for a piece block by block (one read per piece instead of one per 16 KiB).
 */
function readPiece(s: TorrentState, index: number): Promise<Uint8Array> {
  let p = s.readCache.get(index)
  if (p) {
    s.readCache.delete(index)
    s.readCache.set(index, p)
    return p
  }
  const spec = s.specs[index]!
  p = s.storage!.read(spec.offset, spec.length)
  s.readCache.set(index, p)
  p.catch(() => s.readCache.delete(index))
  let bytes = 0
  for (const i of s.readCache.keys()) bytes += s.specs[i]!.length
  for (const i of s.readCache.keys()) {
    if (bytes <= READ_CACHE_BYTES || s.readCache.size <= 1) break
    s.readCache.delete(i)
    bytes -= s.specs[i]!.length
  }
  return p
}

/** Answers a peer's request (rejects what we do not have), within the upload rate limit. */
export async function serve(
  s: TorrentState,
  peer: Peer,
  req: { index: number; begin: number; length: number },
): Promise<void> {
  const { wire } = peer
  const picker = s.picker
  const spec = s.specs[req.index]
  if (
    !picker ||
    !spec ||
    !picker.have.get(req.index) ||
    req.begin + req.length > spec.length ||
    !mayServe(s, peer, req.index)
  ) {
    wire.rejectRequest(req)
    return
  }
  try {
    if (!s.upload.unlimited) await s.upload.take(req.length, s.abort.signal)
    const piece = await readPiece(s, req.index)
    const data = piece.subarray(req.begin, req.begin + req.length)
    if (s.destroyed || !s.peers.has(peer)) return
    wire.piece(req.index, req.begin, data)
    peer.up.add(data.length)
    s.upMeter.add(data.length)
    s.uploaded += data.length
  } catch (err) {
    if (!s.destroyed)
      s.emit('warning', { message: `serving piece ${req.index}: ${(err as Error).message}`, error: err })
  }
}

/**
 * Fills free upload slots at once instead of at the next choke round: when a peer asks, loses
 * interest or leaves, interested choked peers are unchoked (those sending us the most first) while
 * fewer interested peers than the choker's slots are unchoked (every one of them when super-seeding).
 */
export function unchokeSpare(s: TorrentState): void {
  if (s.destroyed) return
  const all = unchokeAllInterested(s)
  const peers = [...s.peers].filter((p) => p.handshaken && p.wire.peerInterested)
  let used = peers.filter((p) => !p.wire.amChoking).length
  const waiting = peers.filter((p) => p.wire.amChoking).sort((a, b) => b.down.rate() - a.down.rate())
  for (const p of waiting) {
    if (!all && used >= s.choker.slots) break
    try {
      p.wire.unchoke()
      used++
    } catch {
      // closing
    }
  }
}

/** One choker round: unchokes the peers the `Choker` picks, chokes the others. */
export function chokeRound(s: TorrentState): void {
  const peers = [...s.peers].filter((p) => p.handshaken)
  const unchoke = unchokeAllInterested(s)
    ? new Set<unknown>(peers.filter((p) => p.wire.peerInterested))
    : s.choker.round(
        peers.map((p) => ({
          id: p,
          interested: p.wire.peerInterested,
          downloadRate: p.down.rate(),
          uploadRate: p.up.rate(),
          seed: s.finished ? false : undefined,
        })),
        s.finished,
      )
  for (const p of peers) {
    try {
      if (unchoke.has(p) && p.wire.amChoking) p.wire.unchoke()
      else if (!unchoke.has(p) && !p.wire.amChoking) p.wire.choke()
    } catch {
      // closing
    }
  }
}
