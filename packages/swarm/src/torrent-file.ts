import type { Readable } from 'node:stream'
import type { TypedEmitter } from '@p2p/events'
import { SwarmError } from './errors.js'
import { type PrioritiesHost, setFilePriority } from './file-priorities.js'
import {
  DEFAULT_READAHEAD,
  FileReadStream,
  type FileReadStreamOptions,
  type StreamHost,
} from './file-stream.js'
import { DEFAULT_PRIORITY } from './piece-picker.js'
import type { TorrentCore } from './torrent-core.js'
import type { TorrentEvents } from './torrent-types.js'

/** What a torrent's files read of it: their priorities and read streams. */
export type FilesHost = PrioritiesHost & StreamHost

/**
 * One real file of a torrent (pad files are not listed): see `torrent.files`.
 *
 * @example
 * ```ts
 * const [video] = torrent.files.filter((f) => f.name.endsWith('.webm'))
 * await video.select(7)
 * video.createReadStream({ start: 1_000_000 }).pipe(process.stdout)
 * ```
 * @group Client
 */
export class TorrentFile {
  /** Index in `metainfo.files` (the index `setFilePriority` takes). */
  readonly index: number
  /** Path inside the download directory, `/`-separated (starts with the torrent name for multi-file torrents). */
  readonly path: string
  /** File name (last path component). */
  readonly name: string
  /** Length in bytes. */
  readonly length: number
  /** Offset of the file's first byte in the torrent's piece space. */
  readonly offset: number
  readonly #s: FilesHost
  readonly #core: TorrentCore
  readonly #events: Pick<TypedEmitter<TorrentEvents>, 'on'>

  /** @internal */
  constructor(
    s: FilesHost,
    core: TorrentCore,
    events: Pick<TypedEmitter<TorrentEvents>, 'on'>,
    index: number,
  ) {
    const f = core.meta.files[index]!
    this.#s = s
    this.#core = core
    this.#events = events
    this.index = index
    this.path = f.path.join('/')
    this.name = f.path[f.path.length - 1] ?? ''
    this.length = f.length
    this.offset = f.offset
  }

  /** Fraction of the file's bytes in verified pieces, 0..1 (1 for an empty file). */
  get progress(): number {
    const { picker, meta } = this.#core
    if (this.length === 0) return 1
    const pl = meta.pieceLength
    const end = this.offset + this.length
    let have = 0
    for (let p = Math.floor(this.offset / pl); p * pl < end; p++) {
      if (picker.have.get(p)) have += Math.min(end, (p + 1) * pl) - Math.max(this.offset, p * pl)
    }
    return have / this.length
  }

  /** The file's priority: 0 (skipped) to 7. */
  get priority(): number {
    return this.#core.selection.priorities[this.index] ?? 0
  }

  /**
   * Downloads the file, at `priority` 1 (low) to 7 (top), default 4 (see `torrent.setFilePriority`).
   * @throws {SwarmError} `SWARM_INVALID_ARGUMENT` for a bad priority.
   */
  async select(priority: number = DEFAULT_PRIORITY): Promise<void> {
    if (priority === 0) throw new SwarmError('SWARM_INVALID_ARGUMENT', 'select needs a priority 1..7')
    return setFilePriority(this.#s, this.index, priority)
  }

  /** Skips the file (priority 0): its pieces are no longer fetched unless another file needs them. */
  deselect(): Promise<void> {
    return setFilePriority(this.#s, this.index, 0)
  }

  /**
   * Reads bytes `start..end` (inclusive) of the file in order, while it downloads: the pieces under
   * the read position and a read-ahead window get deadlines (fetched first, earliest first), and the
   * stream waits for each piece to be verified. A skipped file is selected (priority 1) first. The
   * stream holds at most about 2 MiB however slowly it is read; open a new one to seek. It is
   * destroyed with a `SWARM_ABORTED` error if the torrent is removed before the range is read.
   * @throws {SwarmError} `SWARM_INVALID_ARGUMENT` for a range outside the file.
   */
  createReadStream(options: FileReadStreamOptions = {}): Readable {
    const start = options.start ?? 0
    const end = options.end ?? this.length - 1
    const readahead = options.readahead ?? DEFAULT_READAHEAD
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(end) ||
      start < 0 ||
      end >= this.length ||
      end < start - 1 ||
      !(readahead >= 0)
    ) {
      throw new SwarmError(
        'SWARM_INVALID_ARGUMENT',
        `bad range ${start}..${end} of ${this.path} (${this.length} bytes)`,
      )
    }
    if (this.priority === 0 && !this.#s.destroyed) void this.select(1).catch(() => {})
    return new FileReadStream(
      this.#s,
      this.#core,
      this.#events,
      this.offset + start,
      this.offset + end + 1,
      readahead,
    )
  }
}

/** @internal The real files of a torrent whose metadata is known. */
export function torrentFiles(
  s: FilesHost,
  core: TorrentCore,
  events: Pick<TypedEmitter<TorrentEvents>, 'on'>,
): TorrentFile[] {
  return core.meta.files.flatMap((f, i) => (f.pad ? [] : [new TorrentFile(s, core, events, i)]))
}
