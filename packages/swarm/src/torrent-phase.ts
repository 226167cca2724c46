import type { Metainfo } from '@p2p/metainfo'
import type { TorrentCore } from './torrent-core.js'

/**
 * The one owner of a torrent's phase and lifecycle flags: the metainfo once known, the setup run with
 * it, the torrent phase (`core`) once the storage is checked, and whether the torrent is paused or
 * destroyed. Each is set through one method here; every other file only reads them.
 */
export class TorrentPhase {
  #meta: Metainfo | undefined
  #settingUp: Promise<void> | undefined
  #core: TorrentCore | undefined
  #destroyed = false
  #paused = false

  /**
   * The metainfo once known: from the .torrent, or fetched (a magnet). Set when setup starts, before
   * the storage is checked and the {@link TorrentCore} exists.
   */
  get meta(): Metainfo | undefined {
    return this.#meta
  }

  /** Setup with the metainfo (storage opened and checked), once started. */
  get settingUp(): Promise<void> | undefined {
    return this.#settingUp
  }

  /** The torrent phase: set once the metadata is known and the storage is checked, never unset. */
  get core(): TorrentCore | undefined {
    return this.#core
  }

  /** Whether the torrent was destroyed (never undone). */
  get destroyed(): boolean {
    return this.#destroyed
  }

  /** Paused: no connections, no trackers, no web seeds (see lifecycle.ts). */
  get paused(): boolean {
    return this.#paused
  }

  /**
   * Setup with `meta`: the first call records the metainfo and starts `open`; later calls join that
   * first run (their `meta` and `open` are not used).
   */
  setUp(meta: Metainfo, open: () => Promise<void>): Promise<void> {
    if (!this.#settingUp) {
      this.#meta = meta
      this.#settingUp = open()
    }
    return this.#settingUp
  }

  /** The storage is checked: the torrent phase begins (a second call keeps the first core). */
  ready(core: TorrentCore): void {
    this.#core ??= core
  }

  /** Marks the torrent destroyed. */
  destroy(): void {
    this.#destroyed = true
  }

  /** Pauses; returns false (nothing to do) when paused or destroyed already. */
  pause(): boolean {
    if (this.#paused || this.#destroyed) return false
    this.#paused = true
    return true
  }

  /** Resumes; returns false (nothing to do) when not paused, or destroyed. */
  resume(): boolean {
    if (!this.#paused || this.#destroyed) return false
    this.#paused = false
    return true
  }
}
