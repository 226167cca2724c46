import type { Metainfo } from '@p2p/metainfo'
import { SwarmError } from './errors.js'
import { DEFAULT_PRIORITY, MAX_PRIORITY, type PiecePicker } from './piece-picker.js'
import { finish } from './piece-verification.js'
import type { TorrentState } from './torrent-state.js'
import { unfinish } from './unfinish.js'

/**
 * Checks a file priority: an integer 0 (skip) to {@link MAX_PRIORITY}.
 * @throws {SwarmError} `SWARM_INVALID_ARGUMENT`.
 */
export function checkPriority(priority: number): number {
  if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
    throw new SwarmError(
      'SWARM_INVALID_ARGUMENT',
      `file priority must be an integer 0..${MAX_PRIORITY}, got ${priority}`,
    )
  }
  return priority
}

/**
 * Each file's priority at setup: `filePriorities` of the add options, else `saved` (from the resume
 * file, already checked), else {@link DEFAULT_PRIORITY} for the files in `files` (all when absent) and 0
 * for the others, then changes made before the metadata was known. Pad files are always 0.
 */
export function initialFilePriorities(s: TorrentState, meta: Metainfo, saved?: readonly number[]): number[] {
  const wantedFiles = s.opts.files ? new Set(s.opts.files) : undefined
  const out = meta.files.map((f, i) => {
    if (f.pad) return 0
    const given = s.opts.filePriorities?.[i] ?? saved?.[i]
    if (given !== undefined) return checkPriority(given)
    return !wantedFiles || wantedFiles.has(i) ? DEFAULT_PRIORITY : 0
  })
  for (const [i, p] of s.pendingPriorities) if (i < out.length && !meta.files[i]!.pad) out[i] = p
  s.pendingPriorities.clear()
  return out
}

/** A piece's priority: the highest of the files it overlaps (libtorrent's rule), 0 when all are skipped. */
function piecePriority(s: TorrentState, index: number): number {
  const spec = s.specs[index]!
  let p = 0
  for (const f of s.storage!.filesIn(spec.offset, spec.length)) p = Math.max(p, s.filePriorities[f] ?? 0)
  return p
}

/** Sets the priority of the given pieces (all when omitted) from the file priorities; recounts wanted bytes. */
export function applyPiecePriorities(s: TorrentState, picker: PiecePicker, pieces?: Iterable<number>): void {
  const all = pieces ?? s.specs.keys()
  for (const i of all) picker.setPriority(i, piecePriority(s, i))
  s.wantedBytes = 0
  s.haveBytes = 0
  for (let i = 0; i < s.specs.length; i++) {
    if (!picker.isWanted(i)) continue
    s.wantedBytes += s.specs[i]!.length
    if (picker.have.get(i)) s.haveBytes += s.specs[i]!.length
  }
}

/** Pieces overlapping file `index`. */
function piecesOf(s: TorrentState, index: number): number[] {
  const f = s.meta!.files[index]!
  const pl = s.meta!.pieceLength
  if (f.length === 0) return []
  const out: number[] = []
  for (let i = Math.floor(f.offset / pl); i * pl < f.offset + f.length && i < s.specs.length; i++) out.push(i)
  return out
}

/**
 * Changes file `index`'s priority at runtime (before the metadata is known, it is applied at setup).
 * A file leaving priority 0 gets the bytes of it that were kept in the part file; a finished torrent
 * that wants new pieces downloads again (`done` stays resolved; `done` is emitted again at the end).
 * @throws {SwarmError} `SWARM_INVALID_ARGUMENT` for a bad index or priority.
 */
export async function setFilePriority(s: TorrentState, index: number, priority: number): Promise<void> {
  checkPriority(priority)
  const meta = s.meta
  if (!Number.isInteger(index) || index < 0 || (meta && index >= meta.files.length)) {
    throw new SwarmError('SWARM_INVALID_ARGUMENT', `no file ${index}`)
  }
  if (!meta || !s.picker || !s.storage) {
    s.pendingPriorities.set(index, priority)
    return
  }
  if (meta.files[index]!.pad || s.destroyed) return
  const old = s.filePriorities[index] ?? 0
  if (old === priority) return
  s.filePriorities[index] = priority
  const picker = s.picker
  const storage = s.storage
  const pieces = piecesOf(s, index)
  let moving: Promise<unknown> = Promise.resolve()
  if (old === 0) {
    // Bytes of this file that pieces we have (or are fetching) left in the part file move into it.
    const ranges = pieces
      .filter((i) => picker.have.get(i) || picker.isActive(i))
      .map((i) => ({ offset: s.specs[i]!.offset, length: s.specs[i]!.length }))
    moving = storage.select(index, ranges)
  } else if (priority === 0) {
    moving = storage.deselect(index)
  }
  applyPiecePriorities(s, picker, pieces)
  s.dirty = true
  if (picker.complete()) {
    if (!s.finished) finish(s)
  } else unfinish(s)
  s.work.interestAll()
  s.work.topUpAll()
  try {
    await moving
  } catch (err) {
    const e = err instanceof SwarmError ? err : new SwarmError('SWARM_STORAGE', String(err), { cause: err })
    s.emit('warning', { message: `moving file ${index} out of the part file: ${e.message}`, error: e })
    throw e
  }
}

/** Applies priorities changed while the storage was being checked (after setup's own pass). */
export function applyPending(s: TorrentState): void {
  const pending = [...s.pendingPriorities]
  s.pendingPriorities.clear()
  for (const [i, p] of pending) {
    setFilePriority(s, i, p).catch(() => {
      // reported as a warning
    })
  }
}
