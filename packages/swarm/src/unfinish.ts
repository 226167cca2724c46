import type { TorrentState } from './torrent-state.js'

/** A finished torrent wants pieces again: trackers hear it, and the seeds it dropped are dialled again. */
export function unfinish(s: TorrentState): void {
  if (!s.finished) return
  s.finished = false
  s.tracker?.update({ uploaded: s.uploaded, downloaded: s.downloaded, left: s.left() })
  s.book.retryAll()
  s.dialSoon()
}
