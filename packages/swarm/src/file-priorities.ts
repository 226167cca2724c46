import type { Metainfo } from '@p2p/metainfo'
import { SwarmError } from './errors.js'
import type { PeerSession } from './peer-session.js'
import { DEFAULT_PRIORITY, MAX_PRIORITY } from './piece-picker.js'
import type { Selection } from './selection.js'
import type { TorrentCore } from './torrent-core.js'
import type { AddOptions, EmitFn } from './torrent-types.js'
import type { TurnWork } from './turn-work.js'

/** What file priorities read of a torrent. */
export interface PrioritiesHost {
  readonly opts: Pick<AddOptions, 'files' | 'filePriorities'>
  readonly meta: Metainfo | undefined
  readonly core: TorrentCore | undefined
  readonly selection: Selection
  readonly destroyed: boolean
  readonly work: Pick<TurnWork<PeerSession>, 'interestAll' | 'topUpAll'>
  readonly emit: EmitFn
}

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
 * for the others. The selection overrides them with changes made before the metadata was known.
 */
export function initialFilePriorities(
  s: PrioritiesHost,
  meta: Metainfo,
  saved?: readonly number[],
): number[] {
  const wantedFiles = s.opts.files ? new Set(s.opts.files) : undefined
  return meta.files.map((f, i) => {
    if (f.pad) return 0
    const given = s.opts.filePriorities?.[i] ?? saved?.[i]
    if (given !== undefined) return checkPriority(given)
    return !wantedFiles || wantedFiles.has(i) ? DEFAULT_PRIORITY : 0
  })
}

/**
 * Changes file `index`'s priority at runtime (before the metadata is known, it is applied at setup).
 * A file leaving priority 0 gets the bytes of it that were kept in the part file; a finished torrent
 * that wants new pieces downloads again (`done` stays resolved; `done` is emitted again at the end).
 * @throws {SwarmError} `SWARM_INVALID_ARGUMENT` for a bad index or priority.
 */
export async function setFilePriority(s: PrioritiesHost, index: number, priority: number): Promise<void> {
  checkPriority(priority)
  const meta = s.meta
  if (!Number.isInteger(index) || index < 0 || (meta && index >= meta.files.length)) {
    throw new SwarmError('SWARM_INVALID_ARGUMENT', `no file ${index}`)
  }
  const { core, selection } = s
  if (!core) {
    selection.defer(index, priority)
    return
  }
  if (core.meta.files[index]!.pad || s.destroyed) return
  const old = selection.priorities[index] ?? 0
  if (old === priority) return
  const { picker, storage, specs } = core
  let moving: Promise<unknown> = Promise.resolve()
  if (old === 0) {
    // Bytes of this file that pieces we have (or are fetching) left in the part file move into it.
    const ranges = selection
      .piecesOf(index)
      .filter((i) => picker.have.get(i) || picker.isActive(i))
      .map((i) => ({ offset: specs[i]!.offset, length: specs[i]!.length }))
    moving = storage.select(index, ranges)
  } else if (priority === 0) {
    moving = storage.deselect(index)
  }
  core.resumeState.markDirty()
  selection.set(index, priority)
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
export function applyPending(s: PrioritiesHost): void {
  for (const [i, p] of s.selection.takeDeferred()) {
    setFilePriority(s, i, p).catch(() => {
      // reported as a warning
    })
  }
}
