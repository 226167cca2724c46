import { formatPeer } from '@p2p/peer-address'
import type { ClientContext } from './client-context.js'
import type { Dialer } from './dialer.js'
import { SwarmError } from './errors.js'
import { cancelOnPeer, type PeerSession as Peer } from './peer-session.js'
import type { Sessions } from './sessions.js'
import type { TorrentCore } from './torrent-core.js'
import { BAN_STRIKES, type EmitFn, type PieceEvent } from './torrent-types.js'
import type { TurnWork } from './turn-work.js'
import { verifyPiece } from './verifier.js'

/** What verifying a piece (and banning those who sent a bad one) reads of a torrent. */
export interface VerifyHost {
  readonly destroyed: boolean
  readonly sessions: Sessions
  readonly dialer: Pick<Dialer, 'book'>
  readonly ctx: Pick<ClientContext, 'hashPool'>
  readonly work: Pick<TurnWork<Peer>, 'have' | 'topUpAll'>
  readonly emit: EmitFn
}

/**
 * Writes a complete piece, hashes it, and marks it had (or failed, penalizing its senders). The caller
 * tops up requests once it settles (a piece fewer in memory, maybe pieces to fetch again). Resolves
 * to whether the piece matched its hash (undefined when it was not hashed).
 */
export async function verify(s: VerifyHost, core: TorrentCore, index: number): Promise<boolean | undefined> {
  const { picker, storage, store, selection } = core
  // Counts against maxBufferedBytes until settled (written and hashed).
  const buf = store.take(index)
  if (!buf) return undefined
  const spec = core.specs[index]!
  // Written before the check; only a verified piece counts as had (and goes into the resume file),
  // a bad one is simply rewritten.
  try {
    await storage.write(spec.offset, buf.data)
  } catch (err) {
    picker.failed(index)
    store.settle(index, buf.data)
    const e = err instanceof SwarmError ? err : new SwarmError('SWARM_STORAGE', String(err), { cause: err })
    // A failing disk (full, read-only...) stops the download: no point fetching what cannot be kept.
    if (!s.destroyed && !core.halted) {
      core.halt()
      for (const p of s.sessions) core.release(p)
      s.emit('error', e)
    }
    return undefined
  }
  let event: PieceEvent
  try {
    // Hashed from the buffer (the piece was written with O_DIRECT: hashing it from its file would
    // read the disk); a buffer moved to a hash worker is detached, any other one is reused.
    const check = await verifyPiece(s.ctx.hashPool(), spec, buf.data, { transfer: true })
    store.settle(index, buf.data)
    event = { index, ...check, peers: [...buf.from].map((p) => p.listen ?? p.addr) }
  } catch (err) {
    store.settle(index)
    if (s.destroyed) return undefined
    picker.failed(index)
    s.emit('warning', {
      message: `hashing piece ${index} failed: ${(err as Error).message}`,
      error: err,
    })
    return undefined
  }
  if (s.destroyed) return undefined
  if (!event.ok) {
    s.emit('piece', event)
    picker.failed(index)
    s.emit('warning', {
      message: `piece ${index} failed ${event.algorithm} check (expected ${event.expected}, got ${event.got}) from ${event.peers.map(formatPeer).join(', ')}`,
    })
    penalize(s, core, buf.from)
    return false
  }
  // Counted once, whatever happened meanwhile (a piece had already adds nothing).
  const had = picker.have.get(index)
  picker.verified(index)
  core.resumeState.markDirty()
  selection.verified(index, had)
  // Heard after the piece is counted, so a listener's stats() include it (the last one reads 100 %).
  s.emit('piece', event)
  if (s.destroyed) return true
  s.work.have(index)
  selection.settle()
  return true
}

/**
 * Deals with the peers that sent a failed piece: each goes on parole (whole pieces of its own from
 * then on, see `PiecePicker.pick`), so its next bad piece names it for certain; a peer already on
 * parole that sent a failed piece alone is banned (at {@link BAN_STRIKES} failed pieces at the
 * earliest). Sharing failed pieces never gets a peer banned, nor does one bad piece.
 */
function penalize(s: VerifyHost, core: TorrentCore, from: ReadonlySet<Peer>): void {
  const alone = from.size === 1
  for (const p of from) {
    if (p.banned) continue
    p.addStrike()
    const ban = alone && p.parole && p.strikes >= BAN_STRIKES
    p.putOnParole()
    if (ban) {
      const addr = p.listen ?? p.addr
      s.sessions.ban(p)
      s.dialer.book.never(addr)
      s.emit('ban', {
        peer: addr,
        reason: `sent data for ${p.strikes} failed piece${p.strikes === 1 ? '' : 's'}, the last one alone`,
      })
      p.close()
      // Unfinished pieces it contributed to are suspect: drop them rather than hash bad data.
      for (const index of core.store.dropFrom(p)) {
        // Blocks still coming from other peers would be copied into the dropped buffer, which the
        // pool hands to another piece: cancel them first.
        for (const { peer, request: r } of core.picker.failed(index))
          cancelOnPeer(peer, r.index, r.begin, r.length)
      }
      s.work.topUpAll()
    }
  }
}
