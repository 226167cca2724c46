/**
 * The one owner of what the resume file needs to know of a torrent's pieces (internal): whether it
 * is out of date (pieces or priorities changed since it was last written), and how many pieces it
 * let us take as had without hashing them.
 */
export class ResumeState {
  #dirty = false
  #resumedPieces = 0

  /** Pieces taken as had from the resume file without being hashed. */
  get resumedPieces(): number {
    return this.#resumedPieces
  }

  /** `count` pieces were taken as had from the resume file without being hashed. */
  trusted(count: number): void {
    this.#resumedPieces = count
  }

  /** A piece was verified or a file priority changed: the resume file is out of date. */
  markDirty(): void {
    this.#dirty = true
  }

  /** Every piece was hashed again: none is had on the resume file's word, and the file is out of date. */
  rechecked(): void {
    this.#resumedPieces = 0
    this.#dirty = true
  }

  /** Whether the resume file was out of date; it counts as written from now on. */
  takeDirty(): boolean {
    const dirty = this.#dirty
    this.#dirty = false
    return dirty
  }
}
