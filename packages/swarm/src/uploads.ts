import type { Choker } from './choker.js'
import type { PeerSession as Peer } from './peer-session.js'
import type { SuperSeeding } from './seeding.js'
import type { Sessions } from './sessions.js'
import type { TorrentCore } from './torrent-core.js'
import type { EmitFn } from './torrent-types.js'
import type { Transfer } from './transfer.js'

/** What serving peers and unchoking them read of a torrent. */
export interface UploadsHost {
  readonly core: TorrentCore | undefined
  readonly destroyed: boolean
  readonly sessions: Sessions
  readonly superSeeding: Pick<SuperSeeding, 'mayServe' | 'unchokeAll'>
  readonly transfer: Pick<Transfer, 'upload' | 'sent'>
  readonly choker: Pick<Choker, 'slots' | 'round'>
  readonly selection: { readonly finished: boolean }
  readonly abort: { readonly signal: AbortSignal }
  readonly emit: EmitFn
}

/**
 * Answers a peer's request (rejects what we do not have), within the upload rate limit. No promise
 * per block: a cached piece is served at once; requests for a piece being read wait for that read.
 */
export function serve(
  s: UploadsHost,
  peer: Peer,
  req: { index: number; begin: number; length: number },
): void {
  const { core } = s
  const spec = core?.specs[req.index]
  if (
    !core ||
    !spec ||
    !core.picker.have.get(req.index) ||
    req.begin + req.length > spec.length ||
    !s.superSeeding.mayServe(peer, req.index)
  ) {
    peer.reject(req)
    return
  }
  const { upload } = s.transfer
  if (upload.unlimited) return send(s, core, peer, req)
  upload.take(req.length, s.abort.signal).then(
    () => send(s, core, peer, req),
    () => {}, // aborted: the torrent is closing
  )
}

function send(
  s: UploadsHost,
  core: TorrentCore,
  peer: Peer,
  req: { index: number; begin: number; length: number },
): void {
  if (s.destroyed) return
  const cache = core.readCache
  cache.get(req.index, (err, piece) => {
    if (s.destroyed || !s.sessions.has(peer)) return
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
    s.transfer.sent(sent)
  })
}

/**
 * Fills free upload slots at once instead of at the next choke round: when a peer asks, loses
 * interest or leaves, interested choked peers are unchoked (those sending us the most first) while
 * fewer interested peers than the choker's slots are unchoked (every one of them when super-seeding).
 */
export function unchokeSpare(s: UploadsHost): void {
  if (s.destroyed) return
  const all = s.superSeeding.unchokeAll(s.core)
  const peers = [...s.sessions].filter((p) => p.handshaken && p.peerInterested)
  let used = peers.filter((p) => !p.amChoking).length
  const waiting = peers.filter((p) => p.amChoking).sort((a, b) => b.down.rate() - a.down.rate())
  for (const p of waiting) {
    if (!all && used >= s.choker.slots) break
    p.unchoke()
    used++
  }
}

/** One choker round: unchokes the peers the `Choker` picks, chokes the others. */
export function chokeRound(s: UploadsHost): void {
  const peers = [...s.sessions].filter((p) => p.handshaken)
  const unchoke = s.superSeeding.unchokeAll(s.core)
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
