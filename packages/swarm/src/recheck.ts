import { SwarmError } from './errors.js'
import type { PeerSession } from './peer-session.js'
import { type HashHost, hashPieces, worthHashing } from './resume.js'
import type { Sessions } from './sessions.js'
import type { TorrentCore } from './torrent-core.js'
import type { EmitFn } from './torrent-types.js'
import type { TurnWork } from './turn-work.js'

/** What a recheck reads of a torrent (besides hashing from storage). */
export interface RecheckHost extends HashHost {
  readonly core: TorrentCore | undefined
  readonly sessions: Sessions
  readonly work: Pick<TurnWork<PeerSession>, 'interestAll' | 'topUpAll'>
  readonly emit: EmitFn
}

/**
 * Hashes every piece on disk again while the torrent runs (libtorrent's `force_recheck`): requests
 * stop meanwhile, `checking` events report progress, and then what we have is what the disk holds.
 * Peers hear of pieces gained with `have`, of pieces lost with lt_donthave (BEP 54); a peer without
 * lt_donthave is disconnected, as libtorrent's recheck disconnects every peer (it gets a fresh
 * bitfield when it connects again). A torrent that lost pieces downloads them again.
 * A recheck already running is joined.
 * @throws {SwarmError} `SWARM_INVALID_ARGUMENT` before the metadata is known.
 */
export function recheck(s: RecheckHost): Promise<void> {
  const { core } = s
  if (!core)
    return Promise.reject(new SwarmError('SWARM_INVALID_ARGUMENT', 'no metadata yet: nothing to check'))
  return core.check(() => run(s, core))
}

async function run(s: RecheckHost, core: TorrentCore): Promise<void> {
  const { picker, storage } = core
  // Requests out are cancelled; no top-up sends any while `checking` is set.
  for (const p of s.sessions) core.release(p, p.fast)
  const states = await storage.fileStates()
  const toCheck = [...core.specs.keys()].filter((i) =>
    worthHashing(core, states, (f) => storage.isSelected(f), i),
  )
  const good = new Set<number>()
  let checked = 0
  await hashPieces(s, core, toCheck, (i, ok) => {
    if (ok) good.add(i)
    s.emit('checking', { checked: ++checked, total: toCheck.length })
  })
  if (s.destroyed) return
  const gained: number[] = []
  const lost: number[] = []
  for (let i = 0; i < picker.pieceCount; i++) {
    if (picker.have.get(i) === good.has(i)) continue
    if (good.has(i)) {
      picker.verified(i)
      gained.push(i)
    } else {
      picker.lost(i)
      lost.push(i)
    }
  }
  core.resumeState.rechecked()
  core.selection.recount()
  for (const p of [...s.sessions]) {
    if (!p.handshaken) continue
    if (!lost.every((i) => p.announceDonthave(i))) {
      p.close()
      continue
    }
    for (const i of gained) p.announceHave(i)
  }
  core.selection.settle()
  s.work.interestAll()
  s.work.topUpAll()
}
