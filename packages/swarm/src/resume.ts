import type { Metainfo } from '@p2p/metainfo'
import type { ClientContext } from './client-context.js'
import { SwarmError } from './errors.js'
import { type ResumeData, readResumeFile, trustedPieces, writeResumeFile } from './resume-file.js'
import { ensureStateDir, statePath } from './state-dir.js'
import type { FileState } from './storage.js'
import type { TorrentCore } from './torrent-core.js'
import type { TorrentState } from './torrent-state.js'
import { verifyPiece } from './verifier.js'

/**
 * Reads the torrent's resume file once the metainfo is known (`resume` undefined when resume is off,
 * for a trusted seed, or when there is none). A malformed file, or an invalid optional field in it,
 * is ignored and returned in `warnings` (code `SWARM_BAD_RESUME`) for {@link warnLater}.
 */
export async function loadResume(
  s: TorrentState,
  meta: Metainfo,
): Promise<{ resume?: ResumeData; warnings: { message: string; error: unknown }[] }> {
  const warnings: { message: string; error: unknown }[] = []
  if (s.opts.resume === false || s.src.trustAll) return { warnings }
  try {
    const resume = await readResumeFile(resumePath(s), {
      infoHash: s.infoHashBytes,
      pieceCount: meta.pieceCount,
      fileCount: meta.files.length,
    })
    for (const message of resume?.ignored ?? []) {
      warnings.push({ message, error: new SwarmError('SWARM_BAD_RESUME', message) })
    }
    return { resume, warnings }
  } catch (err) {
    warnings.push({ message: (err as Error).message, error: err })
    return { warnings }
  }
}

/**
 * Emits `warnings` on the next turn of the event loop: setup of a .torrent runs inside `client.add`,
 * so the caller attaches its listeners only once add has returned (call this at the end of setup).
 */
export function warnLater(s: TorrentState, warnings: { message: string; error: unknown }[]): void {
  if (warnings.length)
    setImmediate(() => {
      for (const w of warnings) s.emit('warning', w)
    })
}

/**
 * The saved file priorities to start with: those of the resume file unless the add options chose
 * files (`filePriorities` or `files`), which win.
 */
export function savedPriorities(s: TorrentState, resume: ResumeData | undefined): number[] | undefined {
  if (s.opts.filePriorities || s.opts.files) return undefined
  return resume?.filePriorities
}

/** Trusts the resume file where files are unchanged, and hashes whatever else exists on disk. */
export async function checkExisting(
  s: TorrentState,
  core: TorrentCore,
  selected: boolean[],
  resume: ResumeData | undefined,
): Promise<void> {
  const { picker, storage, specs, meta } = core
  const n = picker.pieceCount
  if (s.src.trustAll) {
    for (let i = 0; i < n; i++) picker.verified(i)
    return
  }
  const states = await storage.fileStates()
  const pieceFiles = (i: number) =>
    storage.filesIn(specs[i]!.offset, specs[i]!.length).filter((f) => !meta.files[f]!.pad)
  let trusted: Set<number> = new Set()
  if (resume && !s.opts.recheck) {
    trusted = new Set(trustedPieces(resume, states, pieceFiles).ones())
    // A piece whose bytes of some file are not in that file (they were in the part file while the
    // file was skipped, and the file is wanted now) is hashed again rather than trusted.
    for (const i of trusted) if (!bytesInPlace(core, states, i)) trusted.delete(i)
  }
  core.resumeState.trusted(trusted.size)
  const toCheck: number[] = []
  for (let i = 0; i < n; i++) {
    if (trusted.has(i)) {
      picker.verified(i)
      continue
    }
    if (worthHashing(core, states, (f) => selected[f]!, i)) toCheck.push(i)
  }
  await hashPieces(s, core, toCheck, (i, ok) => {
    if (ok) picker.verified(i)
  })
}

/** Whether some file of piece `i` has bytes on disk (or in the part file, `selected` false). */
export function worthHashing(
  { meta, specs, storage }: TorrentCore,
  states: readonly (FileState | undefined)[],
  selected: (file: number) => boolean,
  i: number,
): boolean {
  const spec = specs[i]!
  return storage
    .filesIn(spec.offset, spec.length)
    .some((f) => !meta.files[f]!.pad && ((states[f]?.size ?? 0) > 0 || !selected(f)))
}

/** Pieces read and hashed at once when checking data on disk (each holds one piece buffer). */
const CHECK_CONCURRENCY = 4

/** What hashing pieces from storage reads of a torrent: the hash pool, and whether to stop. */
export interface HashHost {
  readonly ctx: Pick<ClientContext, 'hashPool'>
  readonly destroyed: boolean
}

/** Hashes pieces `indexes` from storage, `CHECK_CONCURRENCY` at a time, telling `onResult` each outcome. */
export async function hashPieces(
  s: HashHost,
  { specs, storage }: TorrentCore,
  indexes: readonly number[],
  onResult: (index: number, ok: boolean) => void,
): Promise<void> {
  const pool = s.ctx.hashPool()
  let next = 0
  const worker = async () => {
    // Pieces are read into one reused buffer (v1: SHA-1-checked here; v2: a worker gets a copy).
    let buf: Uint8Array | undefined
    while (next < indexes.length && !s.destroyed) {
      const i = indexes[next++]!
      const spec = specs[i]!
      if (!buf || buf.length < spec.length) buf = new Uint8Array(Buffer.allocUnsafeSlow(spec.length).buffer)
      const check = await verifyPiece(pool, spec, await storage.read(spec.offset, spec.length, buf))
      onResult(i, check.ok)
    }
  }
  await Promise.all(Array.from({ length: CHECK_CONCURRENCY }, worker))
}

/** Whether each file that holds part of piece `i` in place is long enough to hold that part. */
function bytesInPlace(
  { meta, specs, storage }: TorrentCore,
  states: (FileState | undefined)[],
  i: number,
): boolean {
  const spec = specs[i]!
  for (const f of storage.filesIn(spec.offset, spec.length)) {
    const file = meta.files[f]!
    if (file.pad || !storage.isSelected(f)) continue
    const end = Math.min(spec.offset + spec.length, file.offset + file.length) - file.offset
    if ((states[f]?.size ?? 0) < end) return false
  }
  return true
}

/** Where the torrent's resume file lives. */
export function resumePath(s: TorrentState): string {
  return s.opts.resumePath ?? statePath(s.src.dir, s.infoHash, 'resume')
}

/** Each torrent's resume write in progress: writes run one after another, never overlapping. */
const writing = new WeakMap<TorrentState, Promise<void>>()

/**
 * Writes the resume file if something changed since the last write (or always with `force`). Writes
 * are serialized, so one started earlier (when the download finished) never lands after a later one
 * (the one `destroy` awaits).
 */
export async function saveResume(s: TorrentState, force: boolean): Promise<void> {
  const { core } = s
  if (!core || s.opts.resume === false) return
  if (!core.resumeState.takeDirty() && !force) return
  const next = (writing.get(s) ?? Promise.resolve()).then(() => writeResume(s, core))
  writing.set(s, next)
  await next
}

async function writeResume(s: TorrentState, core: TorrentCore): Promise<void> {
  try {
    if (s.opts.resumePath === undefined) await ensureStateDir(s.src.dir)
    await writeResumeFile(resumePath(s), {
      infoHash: s.infoHashBytes,
      have: core.picker.have,
      files: await core.storage.fileStates(),
      filePriorities: [...core.selection.priorities],
    })
  } catch (err) {
    s.emit('warning', { message: (err as Error).message, error: err })
  }
}
