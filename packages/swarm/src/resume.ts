import { join } from 'node:path'
import type { PiecePicker } from './piece-picker.js'
import { readResumeFile, trustedPieces, writeResumeFile } from './resume-file.js'
import type { FileState, Storage } from './storage.js'
import type { TorrentState } from './torrent-state.js'
import { verifyPiece } from './verifier.js'

/** Trusts the resume file where files are unchanged, and hashes whatever else exists on disk. */
export async function checkExisting(
  s: TorrentState,
  picker: PiecePicker,
  storage: Storage,
  selected: boolean[],
): Promise<void> {
  const n = picker.pieceCount
  if (s.src.trustAll) {
    for (let i = 0; i < n; i++) picker.verified(i)
    return
  }
  const states = await storage.fileStates()
  const pieceFiles = (i: number) =>
    storage.filesIn(s.specs[i]!.offset, s.specs[i]!.length).filter((f) => !s.meta!.files[f]!.pad)
  let trusted: Set<number> = new Set()
  if (s.opts.resume !== false) {
    try {
      const r = await readResumeFile(resumePath(s), {
        infoHash: s.infoHashBytes,
        pieceCount: n,
        fileCount: s.meta!.files.length,
      })
      if (r) trusted = new Set(trustedPieces(r, states, pieceFiles).ones())
      // A piece whose bytes of some file are not in that file (they were in the part file while the
      // file was skipped, and the file is wanted now) is hashed again rather than trusted.
      for (const i of trusted) if (!bytesInPlace(s, storage, states, i)) trusted.delete(i)
    } catch (err) {
      s.emit('warning', { message: (err as Error).message, error: err })
    }
  }
  const toCheck: number[] = []
  for (let i = 0; i < n; i++) {
    if (trusted.has(i)) {
      picker.verified(i)
      continue
    }
    // Worth hashing only when some file of the piece has bytes on disk (or in the part file).
    const fs = pieceFiles(i)
    if (fs.some((f) => (states[f]?.size ?? 0) > 0 || !selected[f])) toCheck.push(i)
  }
  const pool = s.ctx.hashPool()
  let next = 0
  const worker = async () => {
    while (next < toCheck.length && !s.destroyed) {
      const i = toCheck[next++]!
      const spec = s.specs[i]!
      const data = await storage.read(spec.offset, spec.length)
      const check = await verifyPiece(pool, spec, data)
      if (check.ok) picker.verified(i)
    }
  }
  await Promise.all(Array.from({ length: 4 }, worker))
}

/** Whether each file that holds part of piece `i` in place is long enough to hold that part. */
function bytesInPlace(
  s: TorrentState,
  storage: Storage,
  states: (FileState | undefined)[],
  i: number,
): boolean {
  const spec = s.specs[i]!
  for (const f of storage.filesIn(spec.offset, spec.length)) {
    const file = s.meta!.files[f]!
    if (file.pad || !storage.isSelected(f)) continue
    const end = Math.min(spec.offset + spec.length, file.offset + file.length) - file.offset
    if ((states[f]?.size ?? 0) < end) return false
  }
  return true
}

/** Where the torrent's resume file lives. */
export function resumePath(s: TorrentState): string {
  return s.opts.resumePath ?? join(s.src.dir, `.${s.infoHash}.resume`)
}

/** Writes the resume file if something changed since the last write (or always with `force`). */
export async function saveResume(s: TorrentState, force: boolean): Promise<void> {
  if (!s.picker || !s.storage || s.opts.resume === false) return
  if (!s.dirty && !force) return
  s.dirty = false
  try {
    await writeResumeFile(resumePath(s), {
      infoHash: s.infoHashBytes,
      have: s.picker.have,
      files: await s.storage.fileStates(),
    })
  } catch (err) {
    s.emit('warning', { message: (err as Error).message, error: err })
  }
}
