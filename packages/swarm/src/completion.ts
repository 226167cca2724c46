import { saveResume } from './resume.js'
import type { SelectionEvents } from './selection.js'
import type { TorrentCore } from './torrent-core.js'
import { isSeed, type TorrentState } from './torrent-state.js'

/**
 * What a torrent does when its selection becomes finished (tell trackers, save resume data, drop
 * seeds, resolve `done`) or unfinished (trackers hear it, the seeds it dropped are dialled again).
 */
export function completion(s: TorrentState, core: TorrentCore): SelectionEvents {
  return {
    finished: () => {
      core.store.release()
      s.trackers.complete()
      void saveResume(s, true)
      for (const p of s.sessions) {
        if (!p.handshaken) continue
        p.setInterested(false)
        if (isSeed(p, core.picker.pieceCount)) {
          p.bothSeeds = true
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
