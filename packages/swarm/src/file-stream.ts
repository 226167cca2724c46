import { Readable } from 'node:stream'
import type { TypedEmitter } from '@p2p/events'
import { SwarmError } from './errors.js'
import type { PeerSession } from './peer-session.js'
import type { SwarmRuntime } from './runtime.js'
import type { TorrentCore } from './torrent-core.js'
import type { TorrentEvents } from './torrent-types.js'
import type { TurnWork } from './turn-work.js'

/** Bytes read from disk at a time, and the stream's buffer (its memory bound is about twice this). */
export const READ_CHUNK = 1 << 20
/** Default read-ahead of a file stream: pieces within this many bytes of the read position get deadlines. */
export const DEFAULT_READAHEAD = 8 * 2 ** 20
/** Nominal time between the deadlines of consecutive pieces of a read-ahead window, ms. */
const DEADLINE_STEP_MS = 100

/** Options of `file.createReadStream`. */
export interface FileReadStreamOptions {
  /** First byte to read, relative to the file. Default 0. */
  start?: number
  /** Last byte to read (inclusive, as `fs.createReadStream`). Default the file's last byte. */
  end?: number
  /**
   * Bytes after the read position whose pieces get deadlines (downloaded first, earliest first).
   * Default {@link DEFAULT_READAHEAD}.
   */
  readahead?: number
}

/** What a file stream reads of its torrent: the signal that ends it, its clock, and the request top-ups. */
export interface StreamHost {
  readonly rt: Pick<SwarmRuntime, 'clock'>
  readonly abort: { readonly signal: AbortSignal }
  readonly work: Pick<TurnWork<PeerSession>, 'topUpAll'>
}

/**
 * @internal Reads a piece-space range `[from, to)` of a torrent in order as the consumer asks for it:
 * verified pieces are read from disk, missing ones get deadlines (the read position's first) and are
 * waited for through the torrent's `piece` events. Destroyed with `SWARM_ABORTED` when the torrent
 * is removed, with the torrent's error when its storage fails.
 */
export class FileReadStream extends Readable {
  readonly #s: StreamHost
  readonly #core: TorrentCore
  #pos: number
  readonly #end: number
  readonly #readahead: number
  /** The piece the stream waits for, if any. */
  #waiting = -1
  /** The piece the deadlines were set from. */
  #windowAt = -1
  #reading = false
  readonly #unsubscribe: (() => void)[] = []

  constructor(
    s: StreamHost,
    core: TorrentCore,
    events: Pick<TypedEmitter<TorrentEvents>, 'on'>,
    from: number,
    to: number,
    readahead: number,
  ) {
    super({ highWaterMark: READ_CHUNK })
    this.#s = s
    this.#core = core
    this.#pos = from
    this.#end = to
    this.#readahead = readahead
    const signal = s.abort.signal
    if (signal.aborted) {
      this.destroy(removed())
      return
    }
    const onAbort = () => this.destroy(removed())
    signal.addEventListener('abort', onAbort, { once: true })
    this.#unsubscribe.push(
      () => signal.removeEventListener('abort', onAbort),
      events.on('piece', (e) => {
        if (e.ok && e.index === this.#waiting) {
          this.#waiting = -1
          void this.#pump()
        }
      }),
      events.on('error', (e) => this.destroy(e)),
    )
  }

  override _read(): void {
    void this.#pump()
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    for (const off of this.#unsubscribe.splice(0)) off()
    this.#core.picker.clearDeadlines(this)
    callback(err)
  }

  /** Pushes verified bytes until the consumer's buffer is full, the range ends or a piece is missing. */
  async #pump(): Promise<void> {
    if (this.#reading || this.destroyed) return
    this.#reading = true
    try {
      const { picker, storage, meta } = this.#core
      const pl = meta.pieceLength
      while (this.#pos < this.#end) {
        const piece = Math.floor(this.#pos / pl)
        this.#setWindow(piece)
        if (!picker.have.get(piece)) {
          this.#waiting = piece
          this.#s.work.topUpAll()
          return
        }
        // As many verified bytes from here as one chunk holds.
        let len = Math.min(this.#end - this.#pos, READ_CHUNK)
        for (let p = piece + 1; p * pl < this.#pos + len; p++) {
          if (!picker.have.get(p)) {
            len = p * pl - this.#pos
            break
          }
        }
        const bytes = await storage.read(this.#pos, len)
        if (this.destroyed) return
        this.#pos += len
        if (!this.push(bytes)) return
      }
      picker.clearDeadlines(this)
      this.push(null)
    } catch (err) {
      this.destroy(
        err instanceof SwarmError ? err : new SwarmError('SWARM_STORAGE', String(err), { cause: err }),
      )
    } finally {
      this.#reading = false
    }
  }

  /** Deadlines for the missing pieces of the read-ahead window from `piece` (earliest first). */
  #setWindow(piece: number): void {
    if (piece === this.#windowAt) return
    this.#windowAt = piece
    const { picker, meta } = this.#core
    const pl = meta.pieceLength
    const last = Math.floor((Math.min(this.#end, this.#pos + this.#readahead) - 1) / pl)
    const keep = new Set<number>()
    const now = this.#s.rt.clock.now()
    for (let p = piece; p <= last; p++) {
      if (picker.have.get(p)) continue
      keep.add(p)
      picker.setDeadline(p, this, now + (p - piece) * DEADLINE_STEP_MS)
    }
    picker.clearDeadlines(this, keep)
  }
}

function removed(): SwarmError {
  return new SwarmError('SWARM_ABORTED', 'torrent removed while a file was being read')
}
