import { realpath, rm, rmdir } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import type { Metainfo } from '@p2p/metainfo'
import type { Trackers } from './announce.js'
import type { TorrentSource } from './client-context.js'
import type { Dialer } from './dialer.js'
import { SwarmError } from './errors.js'
import type { Sessions } from './sessions.js'
import { STATE_DIR, statePath } from './state-dir.js'
import { confinedPath } from './storage.js'
import type { TorrentPhase } from './torrent-phase.js'

/** Transfer limits, bytes/s (0 = none; an omitted one is left as it is). */
export interface Limits {
  /** Download limit, bytes/s. */
  download?: number
  /** Upload limit, bytes/s. */
  upload?: number
}

/** Sets the rates of a pair of token buckets at runtime. @throws {SwarmError} `SWARM_INVALID_ARGUMENT` */
export function setBucketRates(
  buckets: { download: { rate: number }; upload: { rate: number } },
  limits: Limits,
): void {
  for (const key of ['download', 'upload'] as const) {
    const rate = limits[key]
    if (rate === undefined) continue
    if (!(Number.isFinite(rate) && rate >= 0))
      throw new SwarmError('SWARM_INVALID_ARGUMENT', `expected a ${key} limit >= 0 bytes/s, got ${rate}`)
    buckets[key].rate = rate
  }
}

/** What pausing and resuming change: the phase, and the owners that stop and start. */
export interface PauseHost {
  readonly phase: Pick<TorrentPhase, 'pause' | 'resume'>
  readonly dialer: Pick<Dialer, 'start' | 'stop' | 'schedule' | 'book'>
  readonly sessions: Pick<Sessions, 'closeAll'>
  readonly trackers: Pick<Trackers, 'start' | 'stop'>
}

/**
 * Pauses a torrent: its connections are closed, its trackers told `stopped`, no peer is dialed or
 * accepted and no web seed asked; pieces, file priorities and the peers it knows stay.
 */
export async function pause(s: PauseHost): Promise<void> {
  if (!s.phase.pause()) return
  s.dialer.stop()
  s.sessions.closeAll()
  await s.trackers.stop()
}

/**
 * Resumes a paused torrent: trackers and known peers are used again at once. Returns whether it was
 * paused (the caller then asks its web seeds again).
 */
export function resume(s: PauseHost): boolean {
  if (!s.phase.resume()) return false
  s.dialer.start()
  s.trackers.start()
  s.dialer.book.retryAll()
  s.dialer.schedule(0)
  return true
}

/**
 * Deletes a (destroyed) torrent's own files: each file of the torrent, its part file and resume file
 * (the default one), then the directories of the torrent left empty. Every path is confined to the
 * torrent's directory, through links too; nothing else is touched.
 * @throws {SwarmError} `SWARM_STORAGE` when a file cannot be deleted
 */
export async function deleteTorrentFiles(s: {
  readonly src: Pick<TorrentSource, 'dir' | 'rootName'>
  readonly infoHash: string
  readonly meta: Metainfo | undefined
}): Promise<void> {
  const dir = s.src.dir
  const realDir = await realpath(dir).catch(() => undefined)
  if (!realDir) return
  const dirs = new Set<string>()
  const paths = [statePath(dir, s.infoHash, 'parts'), statePath(dir, s.infoHash, 'resume')]
  for (const f of s.meta?.files ?? []) {
    if (f.pad) continue
    const parts = s.src.rootName !== undefined ? [s.src.rootName, ...f.path.slice(1)] : f.path
    const path = confinedPath(dir, parts)
    paths.push(path)
    for (let d = dirname(path); d !== dir && inside(dir, d); d = dirname(d)) dirs.add(d)
  }
  for (const path of paths) {
    // A directory on the way that is a link to elsewhere: what it points to is not ours.
    const parent = await realpath(dirname(path)).catch(() => undefined)
    if (!parent || !(parent === realDir || inside(realDir, parent))) continue
    try {
      await rm(path, { force: true })
    } catch (err) {
      throw new SwarmError('SWARM_STORAGE', `cannot delete ${path}`, { cause: err })
    }
  }
  // Deepest first; a directory that still holds something (not ours) stays.
  const byDepth = [...dirs].sort((a, b) => b.split(sep).length - a.split(sep).length)
  for (const d of [...byDepth, join(dir, STATE_DIR)]) await rmdir(d).catch(() => {})
}

/** Whether `path` lies below `dir`. */
function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path)
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep)
}
