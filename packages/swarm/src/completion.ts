import type { Trackers } from './announce.js'
import type { Dialer } from './dialer.js'
import type { Selection, SelectionEvents } from './selection.js'
import type { Sessions } from './sessions.js'
import type { TorrentCore } from './torrent-core.js'
import { isSeed } from './torrent-state.js'
import type { EmitFn } from './torrent-types.js'
import type { Transfer } from './transfer.js'

/** What finishing (and unfinishing) does to a torrent. */
export interface CompletionHost {
  readonly trackers: Pick<Trackers, 'complete' | 'update'>
  readonly sessions: Sessions
  readonly dialer: Pick<Dialer, 'book' | 'schedule'>
  readonly transfer: Pick<Transfer, 'uploaded' | 'downloaded'>
  readonly selection: Pick<Selection, 'left'>
  readonly emit: EmitFn
  /** Resolves the torrent's `done`. */
  resolveDone(): void
}

/**
 * What a torrent does when its selection becomes finished (tell trackers, save resume data, drop
 * seeds, resolve `done`; `saveResume` writes the resume file) or unfinished (trackers hear it, the seeds it dropped are dialled again).
 */
export function completion(s: CompletionHost, core: TorrentCore, saveResume: () => void): SelectionEvents {
  return {
    finished: () => {
      core.store.release()
      s.trackers.complete()
      saveResume()
      for (const p of s.sessions) {
        if (!p.handshaken) continue
        p.setInterested(false)
        if (isSeed(p, core.picker.pieceCount)) {
          p.markBothSeeds()
          p.close()
        }
      }
      s.emit('done')
      s.resolveDone()
    },
    unfinished: () => {
      s.trackers.update({
        uploaded: s.transfer.uploaded,
        downloaded: s.transfer.downloaded,
        left: s.selection.left(),
      })
      s.dialer.book.retryAll()
      s.dialer.schedule(0)
    },
  }
}
