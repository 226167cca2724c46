import type { FileEntry, PieceSpec } from '@p2p/metainfo'
import type { PiecePicker } from './piece-picker.js'
import type { TorrentStorage } from './runtime.js'

/** What a {@link Selection} tells its torrent (given to {@link Selection.attach}). */
export interface SelectionEvents {
  /** Every wanted piece is verified now (it was not). */
  finished(): void
  /** A finished torrent wants pieces again. */
  unfinished(): void
}

/** What a {@link Selection} reads once the metadata is known: the files, their pieces, the picker. */
export interface SelectionLayout {
  /** The metainfo's files (pad files included). */
  readonly files: readonly FileEntry[]
  /** The metainfo's piece length. */
  readonly pieceLength: number
  /** Each piece's place in the piece space. */
  readonly specs: readonly PieceSpec[]
  /** Takes the piece priorities; tells which pieces are wanted and had. */
  readonly picker: PiecePicker
  /** Which files a byte range overlaps. */
  readonly storage: Pick<TorrentStorage, 'filesIn'>
}

/**
 * The one owner of what the user selected and how much of it we have: file priorities (also those
 * set before the metadata was known), the picker's piece priorities derived from them, wanted and
 * verified bytes, and whether every wanted piece is verified. A verified piece costs O(1); the
 * torrent hears "finished" and "unfinished" through {@link SelectionEvents}.
 */
export class Selection {
  #events: SelectionEvents | undefined
  /** Priorities set before {@link Selection.begin} or while the torrent was being set up. */
  readonly #deferred = new Map<number, number>()
  #layout: SelectionLayout | undefined
  #priorities: number[] = []
  #wantedBytes = 0
  #haveBytes = 0
  #finished = false

  /** Whether every wanted piece is verified. */
  get finished(): boolean {
    return this.#finished
  }

  /** Bytes of the wanted pieces (0 before the metadata is known). */
  get wantedBytes(): number {
    return this.#wantedBytes
  }

  /** Bytes of the wanted pieces that are verified. */
  get haveBytes(): number {
    return this.#haveBytes
  }

  /** Each file's priority, 0 (skip) to 7; empty before the metadata is known. */
  get priorities(): readonly number[] {
    return this.#priorities
  }

  /** Bytes still wanted (1 before the pieces are known, so trackers do not count us as a seed). */
  left(): number {
    return this.#layout ? Math.max(0, this.#wantedBytes - this.#haveBytes) : 1
  }

  /** Remembers a priority set before the torrent can apply it (see {@link Selection.takeDeferred}). */
  defer(file: number, priority: number): void {
    this.#deferred.set(file, priority)
  }

  /** The priorities deferred while the torrent was being set up (forgotten here). */
  takeDeferred(): [file: number, priority: number][] {
    const out = [...this.#deferred]
    this.#deferred.clear()
    return out
  }

  /**
   * The metadata is known: each file starts at `initial` unless a priority was set for it before
   * (pad files always 0). Returns the priorities, for the storage to know which files to create.
   */
  begin(files: readonly FileEntry[], initial: readonly number[]): readonly number[] {
    this.#priorities = files.map((f, i) => (f.pad ? 0 : (this.#deferred.get(i) ?? initial[i] ?? 0)))
    this.#deferred.clear()
    return this.#priorities
  }

  /**
   * The storage and the picker exist: gives the picker its piece priorities and counts the bytes.
   * From now on the torrent hears "finished" and "unfinished" through `events` (never before: with
   * no pieces known there is nothing to finish).
   */
  attach(layout: SelectionLayout, events: SelectionEvents): void {
    this.#layout = layout
    this.#events = events
    for (const i of layout.specs.keys()) layout.picker.setPriority(i, this.#piecePriority(layout, i))
    this.recount()
  }

  /** Counts the bytes again after pieces were gained or lost in bulk (a check of the data on disk). */
  recount(): void {
    if (!this.#layout) return
    const { picker, specs } = this.#layout
    this.#wantedBytes = 0
    this.#haveBytes = 0
    for (let i = 0; i < specs.length; i++) {
      if (!picker.isWanted(i)) continue
      this.#wantedBytes += specs[i]!.length
      if (picker.have.get(i)) this.#haveBytes += specs[i]!.length
    }
  }

  /**
   * Sets file `file`'s priority (attached only, not a pad file) and the priority of its pieces, then
   * settles (see {@link Selection.settle}). Costs the file's pieces, not the torrent's.
   */
  set(file: number, priority: number): void {
    const layout = this.#layout
    if (!layout || layout.files[file]?.pad || this.#priorities[file] === priority) return
    this.#priorities[file] = priority
    const { picker, specs } = layout
    for (const i of this.piecesOf(file)) {
      const was = picker.isWanted(i)
      picker.setPriority(i, this.#piecePriority(layout, i))
      if (picker.isWanted(i) === was) continue
      const bytes = was ? -specs[i]!.length : specs[i]!.length
      this.#wantedBytes += bytes
      if (picker.have.get(i)) this.#haveBytes += bytes
    }
    this.settle()
  }

  /** Pieces overlapping file `file` (none before the metadata is known). */
  piecesOf(file: number): number[] {
    const layout = this.#layout
    const f = layout?.files[file]
    if (!layout || !f || f.length === 0) return []
    const pl = layout.pieceLength
    const out: number[] = []
    for (let i = Math.floor(f.offset / pl); i * pl < f.offset + f.length && i < layout.specs.length; i++)
      out.push(i)
    return out
  }

  /**
   * Counts piece `index`, just verified (`had`: it was had before, which adds nothing). O(1); the
   * caller settles once it has told listeners of the piece.
   */
  verified(index: number, had: boolean): void {
    const layout = this.#layout
    if (!layout || had || !layout.picker.isWanted(index)) return
    this.#haveBytes += layout.specs[index]!.length
  }

  /** Reports "finished" when every wanted piece is verified and "unfinished" when that stops being so. */
  settle(): void {
    const events = this.#events
    if (!events) return
    const complete = this.#haveBytes === this.#wantedBytes
    if (complete === this.#finished) return
    this.#finished = complete
    if (complete) events.finished()
    else events.unfinished()
  }

  /** A piece's priority: the highest of the files it overlaps (libtorrent's rule), 0 when all are skipped. */
  #piecePriority({ specs, storage }: SelectionLayout, i: number): number {
    const spec = specs[i]!
    let p = 0
    for (const f of storage.filesIn(spec.offset, spec.length)) p = Math.max(p, this.#priorities[f] ?? 0)
    return p
  }
}
