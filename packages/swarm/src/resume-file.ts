import { open, rename, rm } from 'node:fs/promises'
import { type BencodeDict, decode, encode } from '@p2p/bencode'
import { equalBytes } from '@p2p/bytes'
import { Bitfield } from '@p2p/peer-wire'
import { SwarmError } from './errors.js'
import { MAX_PRIORITY } from './piece-picker.js'
import type { FileState } from './storage.js'

/** Marker of our resume files. */
export const RESUME_FORMAT = 'p2p-swarm resume v1'
/** Default interval between two resume writes while downloading, ms. */
export const DEFAULT_RESUME_INTERVAL_MS = 10_000
/** Largest resume file read, bytes (a hostile file cannot make us buffer more). */
export const MAX_RESUME_BYTES = 64 * 2 ** 20

/** What a resume file records: only verified pieces, and the files as they were when it was written. */
export interface ResumeData {
  /** The torrent's 20-byte info hash (the handshake hash). */
  infoHash: Uint8Array
  /** Verified pieces. */
  have: Bitfield
  /** Size and mtime of each file when written (`undefined` for pad or missing files). */
  files: (FileState | undefined)[]
  /**
   * Each file's priority (0 = skip .. 7) when written. Optional: resume files written before
   * priorities were saved have none.
   */
  filePriorities?: number[]
}

/** What {@link readResumeFile} returns: the data, and why optional fields were ignored (if they were). */
export interface ReadResumeData extends ResumeData {
  /** One message per optional field that was present but invalid and is ignored (e.g. `file-priorities`). */
  ignored: string[]
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory, then a rename. A crash
 * of the process or a full disk leaves the previous resume file intact.
 *
 * Not synced to disk: on a journaling file system any fsync commits the journal and flushes the
 * device's write cache, so it waited for every byte of the download, not just this file (0.7 s per
 * GiB just downloaded with `O_DIRECT` on our test VM, and the download's own writes slowed while it
 * ran). Transmission saves its resume files the same way (temp file, rename, no fsync), and
 * libtorrent does not fsync downloaded data. After a power loss the previous resume file, or an
 * empty one, may be found: pieces it does not vouch for are hashed again, and a piece whose file
 * changed size or mtime is never trusted.
 * @throws {SwarmError} `SWARM_STORAGE`
 *
 * @example
 * ```ts
 * const have = new Bitfield(metainfo.pieceCount)
 * have.set(0) // piece 0 verified
 * await writeResumeFile('./downloads/.resume', {
 *   infoHash: metainfo.infoHashBytes,
 *   have,
 *   files: metainfo.files.map(() => undefined), // or each file's { size, mtimeMs }
 * })
 * ```
 */
export async function writeResumeFile(path: string, data: ResumeData): Promise<void> {
  const bytes = encode({
    format: RESUME_FORMAT,
    'info-hash': data.infoHash,
    'piece-count': data.have.length,
    pieces: data.have.buffer,
    files: data.files.map((f) => (f ? [f.size, Math.floor(f.mtimeMs)] : [])),
    ...(data.filePriorities ? { 'file-priorities': data.filePriorities } : {}),
  })
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  try {
    const fh = await open(tmp, 'wx') // exclusive: never through a link planted under that name
    try {
      let done = 0
      while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done)).bytesWritten
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {})
    throw new SwarmError(
      'SWARM_STORAGE',
      `writing resume file ${path} failed: ${(err as NodeJS.ErrnoException).code ?? err}`,
      {
        cause: err,
      },
    )
  }
}

/**
 * Reads a resume file. `undefined` when there is none. An invalid optional field (`file-priorities` of
 * the wrong length or out of range) is left out and named in `ignored`; the rest still loads.
 * @throws {SwarmError} `SWARM_BAD_RESUME` when it is malformed, too large, or for another torrent.
 *
 * @example
 * ```ts
 * const resume = await readResumeFile(`./downloads/.${torrent.infoHash}.resume`, {
 *   infoHash: torrent.infoHashBytes,
 *   pieceCount: metainfo.pieceCount,
 *   fileCount: metainfo.files.length,
 * })
 * console.log(resume ? `${resume.have.count()} pieces verified` : 'no resume file')
 * ```
 */
export async function readResumeFile(
  path: string,
  expect: { infoHash: Uint8Array; pieceCount: number; fileCount: number },
): Promise<ReadResumeData | undefined> {
  let bytes: Uint8Array
  try {
    const fh = await open(path, 'r')
    try {
      const { size } = await fh.stat()
      if (size > MAX_RESUME_BYTES)
        throw new SwarmError('SWARM_BAD_RESUME', `resume file larger than ${MAX_RESUME_BYTES} bytes`)
      bytes = new Uint8Array(size)
      let done = 0
      while (done < size) {
        const { bytesRead } = await fh.read(bytes, done, size - done, done)
        if (bytesRead === 0) break
        done += bytesRead
      }
    } finally {
      await fh.close()
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    if (err instanceof SwarmError) throw err
    throw new SwarmError('SWARM_BAD_RESUME', `cannot read resume file ${path}`, { cause: err })
  }
  let d: BencodeDict
  try {
    d = decode(bytes, { maxDepth: 4 }) as BencodeDict
  } catch (err) {
    throw new SwarmError('SWARM_BAD_RESUME', `resume file ${path} is not valid bencode`, { cause: err })
  }
  const bad = (why: string) => new SwarmError('SWARM_BAD_RESUME', `resume file ${path}: ${why}`)
  if (typeof d !== 'object' || d instanceof Uint8Array || Array.isArray(d)) throw bad('not a dictionary')
  const format = d.format
  if (!(format instanceof Uint8Array) || new TextDecoder().decode(format) !== RESUME_FORMAT)
    throw bad('unknown format')
  const ih = d['info-hash']
  if (!(ih instanceof Uint8Array) || !equalBytes(ih, expect.infoHash)) throw bad('for another torrent')
  if (d['piece-count'] !== expect.pieceCount) throw bad('piece count differs')
  const pieces = d.pieces
  if (!(pieces instanceof Uint8Array) || pieces.length !== Math.ceil(expect.pieceCount / 8))
    throw bad('bad bitfield')
  const files = d.files
  if (!Array.isArray(files) || files.length !== expect.fileCount) throw bad('file count differs')
  const states = files.map((f): FileState | undefined => {
    if (!Array.isArray(f)) throw bad('bad file entry')
    if (f.length === 0) return undefined
    const [size, mtime] = f
    if (typeof size !== 'number' || typeof mtime !== 'number') throw bad('bad file entry')
    return { size, mtimeMs: mtime }
  })
  const out: ReadResumeData = {
    infoHash: ih,
    have: new Bitfield(expect.pieceCount, pieces),
    files: states,
    ignored: [],
  }
  const prios = d['file-priorities']
  if (prios !== undefined) {
    const why = badPriorities(prios, expect.fileCount)
    if (why) out.ignored.push(`resume file ${path}: file-priorities ignored (${why})`)
    else out.filePriorities = prios as number[]
  }
  return out
}

/** Why a saved `file-priorities` value is unusable, or `undefined` when it is a list of `fileCount` priorities. */
function badPriorities(v: unknown, fileCount: number): string | undefined {
  if (!Array.isArray(v)) return 'not a list'
  if (v.length !== fileCount) return `${v.length} entries for ${fileCount} files`
  for (const p of v) {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > MAX_PRIORITY)
      return `priority out of range 0..${MAX_PRIORITY}`
  }
  return undefined
}

/**
 * The pieces of a resume file still trusted now: those whose files all have the recorded size and
 * mtime. `pieceFiles(i)` lists the (non-pad) files piece `i` touches.
 *
 * @example
 * ```ts
 * // each file's size and mtime now (undefined when missing), as the resume file records them
 * const now = await Promise.all(paths.map((p) => stat(p).then((s) => ({ size: s.size, mtimeMs: s.mtimeMs }), () => undefined)))
 * const trusted = trustedPieces(resume, now, (i) => filesOfPiece(i))
 * // pieces not in `trusted` must be hashed again
 * ```
 */
export function trustedPieces(
  resume: ResumeData,
  now: readonly (FileState | undefined)[],
  pieceFiles: (i: number) => number[],
): Bitfield {
  const changed = new Set<number>()
  for (let f = 0; f < resume.files.length; f++) {
    const a = resume.files[f]
    const b = now[f]
    if (!a && !b) continue
    if (!a || !b || a.size !== b.size || Math.floor(a.mtimeMs) !== Math.floor(b.mtimeMs)) changed.add(f)
  }
  const out = new Bitfield(resume.have.length)
  for (const i of resume.have.ones()) {
    if (!pieceFiles(i).some((f) => changed.has(f))) out.set(i)
  }
  return out
}
