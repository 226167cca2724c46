import { PieceReadCache } from './piece-read-cache.js'
import { mayServe, unchokeAllInterested } from './seeding.js'
import type { Peer, TorrentState } from './torrent-state.js'

/** Bytes of whole pieces kept in memory for uploads (each read once, served block by block). */
const READ_CACHE_BYTES = 8 * 2 ** 20

/** The torrent's upload read cache, created on first use. */
function readCache(s: TorrentState): PieceReadCache {
  if (!s.readCache) {
    let bufferSize = 0
    for (const spec of s.specs) bufferSize = Math.max(bufferSize, spec.length)
    const cacheBytes = s.rt.readCacheBytes ?? READ_CACHE_BYTES
    s.readCache = new PieceReadCache({
      bufferSize,
      maxPieces: Math.max(1, Math.floor(cacheBytes / bufferSize)),
      maxFree: Math.max(1, Math.floor(cacheBytes / 2 / bufferSize)),
      length: (i) => s.specs[i]!.length,
      read: (i, into) => {
        const spec = s.specs[i]!
        return s.storage!.read(spec.offset, spec.length, into)
      },
    })
  }
  return s.readCache
}

/**
 * Answers a peer's request (rejects what we do not have), within the upload rate limit. No promise
 * per block: a cached piece is served at once; requests for a piece being read wait for that read.
 */
export function serve(
  s: TorrentState,
  peer: Peer,
  req: { index: number; begin: number; length: number },
): void {
  const picker = s.picker
  const spec = s.specs[req.index]
  if (
    !picker ||
    !spec ||
    !picker.have.get(req.index) ||
    req.begin + req.length > spec.length ||
    !mayServe(s, peer, req.index)
  ) {
    peer.reject(req)
    return
  }
  if (s.upload.unlimited) return send(s, peer, req)
  s.upload.take(req.length, s.abort.signal).then(
    () => send(s, peer, req),
    () => {}, // aborted: the torrent is closing
  )
}

function send(s: TorrentState, peer: Peer, req: { index: number; begin: number; length: number }): void {
  if (s.destroyed) return
  const cache = readCache(s)
  cache.get(req.index, (err, piece) => {
    if (s.destroyed || !s.peers.has(peer)) return
    if (!piece) {
      s.emit('warning', { message: `serving piece ${req.index}: ${err?.message}`, error: err })
      peer.reject(req)
      return
    }
    const before = peer.uploaded
    cache.hold(piece)
    // The socket keeps a view of the block until written: the buffer goes back to the pool after.
    peer.sendBlock(req.index, req.begin, piece.bytes.subarray(req.begin, req.begin + req.length), () =>
      cache.release(piece),
    )
    const sent = peer.uploaded - before // 0 when the request was cancelled or dropped by a choke
    if (sent === 0) return
    peer.up.add(sent)
    s.upMeter.add(sent)
    s.uploaded += sent
  })
}

/**
 * Fills free upload slots at once instead of at the next choke round: when a peer asks, loses
 * interest or leaves, interested choked peers are unchoked (those sending us the most first) while
 * fewer interested peers than the choker's slots are unchoked (every one of them when super-seeding).
 */
export function unchokeSpare(s: TorrentState): void {
  if (s.destroyed) return
  const all = unchokeAllInterested(s)
  const peers = [...s.peers].filter((p) => p.handshaken && p.peerInterested)
  let used = peers.filter((p) => !p.amChoking).length
  const waiting = peers.filter((p) => p.amChoking).sort((a, b) => b.down.rate() - a.down.rate())
  for (const p of waiting) {
    if (!all && used >= s.choker.slots) break
    p.unchoke()
    used++
  }
}

/** One choker round: unchokes the peers the `Choker` picks, chokes the others. */
export function chokeRound(s: TorrentState): void {
  const peers = [...s.peers].filter((p) => p.handshaken)
  const unchoke = unchokeAllInterested(s)
    ? new Set<unknown>(peers.filter((p) => p.peerInterested))
    : s.choker.round(
        peers.map((p) => ({
          id: p,
          interested: p.peerInterested,
          downloadRate: p.down.rate(),
          uploadRate: p.up.rate(),
          seed: s.selection.finished ? false : undefined,
        })),
        s.selection.finished,
      )
  for (const p of peers) {
    if (unchoke.has(p) && p.amChoking) p.unchoke()
    else if (!unchoke.has(p) && !p.amChoking) p.choke()
  }
}
