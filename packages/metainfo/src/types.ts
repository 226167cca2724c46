/** Torrent format: BEP 3 (1), BEP 52 (2) or both in one info dictionary ('hybrid'). */
export type TorrentVersion = 1 | 2 | 'hybrid'

/** One file of a torrent, in torrent order. */
export interface FileEntry {
  /**
   * Sanitised path components, starting with the torrent name for multi-file torrents (libtorrent's
   * `file_path()` split at `/`); pad files of the v1 list live under `<name>/.pad/<size>` or where
   * the torrent puts them. Joining them under a directory never leaves it.
   */
  path: string[]
  /** Length in bytes. */
  length: number
  /** Offset of the first byte in the torrent's piece space. */
  offset: number
  /** A BEP 47 pad file (its bytes are zeros, never written to disk). */
  pad: boolean
  /** The raw BEP 47 attribute string (`x`, `h`, `l`, `p`), when present. */
  attr?: string
  /** BEP 52 merkle root of the file (v2 and hybrid, files of length > 0). */
  piecesRoot?: Uint8Array
  /** Sanitised target of a symlink (`attr` contains `l`), relative to the torrent root. */
  symlinkPath?: string[]
}

/** A parsed torrent: see {@link parseTorrent}. */
export interface Metainfo {
  /** Which formats the info dictionary carries. */
  version: TorrentVersion
  /** Hex SHA-1 of the raw info bytes (v1 and hybrid). */
  infoHash?: string
  /** Hex SHA-256 of the raw info bytes (v2 and hybrid). */
  infoHashV2?: string
  /** The 20 bytes for the handshake: the v1 hash, or the v2 hash truncated to 20 bytes (v2-only). */
  infoHashBytes: Uint8Array
  /** The raw info dictionary bytes, exactly as in the file (for ut_metadata). */
  info: Uint8Array
  /** Sanitised torrent name (libtorrent's rules; the hex info hash when nothing is left). */
  name: string
  /** Bytes per piece. */
  pieceLength: number
  /** Number of pieces. */
  pieceCount: number
  /** Total content bytes, pad files excluded. */
  length: number
  /** Total bytes of piece space, pad files included. */
  totalSize: number
  /** Files in torrent order, pad files included (v2-only torrents get synthesised pads, as libtorrent). */
  files: FileEntry[]
  /** v1 piece hashes, 20 bytes each, concatenated (v1 and hybrid). */
  pieces?: Uint8Array
  /** v2 piece layers by hex pieces root (files longer than one piece), 32 bytes per piece. */
  pieceLayers: Map<string, Uint8Array>
  /** Tracker tiers (BEP 12); a lone `announce` becomes `[[announce]]`. */
  announce: string[][]
  /** Web seeds (BEP 19), de-duplicated. */
  urlList: string[]
  /** BEP 27 private flag. */
  private: boolean
  /** `comment`, when present. */
  comment?: string
  /** `created by`, when present. */
  createdBy?: string
  /** `creation date` (Unix seconds), when present. */
  creationDate?: number
  /** `source` of the info dictionary, when present. */
  source?: string
}

/** What {@link pieceSpec} returns: where piece `index` sits and how to verify it. */
export interface PieceSpec {
  /** Piece index. */
  index: number
  /** Offset of the piece's first byte in piece space. */
  offset: number
  /** Piece length (the last piece may be shorter). */
  length: number
  /** Expected SHA-1 (v1 and hybrid). */
  sha1?: Uint8Array
  /**
   * Expected v2 hash (v2 and hybrid): `root` of a subtree of `leafCount` 16 KiB leaves over the
   * piece's bytes within its file (zero-hash padded). Absent for pieces that hold only pad bytes or
   * when the piece layer is not in the torrent.
   */
  sha256?: {
    /** Expected subtree root. */
    root: Uint8Array
    /** Power-of-two number of 16 KiB leaves of the subtree. */
    leafCount: number
    /** Bytes at the start of the piece that belong to the file (hash only these). */
    length: number
  }
  /** The file byte ranges that make up the piece, pad files included. */
  ranges: FileRange[]
}

/** A byte range of one file inside a piece. */
export interface FileRange {
  /** Index into `Metainfo.files`. */
  file: number
  /** Offset inside the file. */
  offset: number
  /** Number of bytes. */
  length: number
}

/** A parsed magnet link (BEP 9 / BEP 53). */
export interface MagnetLink {
  /** Hex v1 info hash (`xt=urn:btih:`, hex or base32). */
  infoHash?: string
  /** Hex v2 info hash (`xt=urn:btmh:1220...`). */
  infoHashV2?: string
  /** `dn`, the display name. */
  name?: string
  /** `tr` tracker URLs, in order, de-duplicated. */
  trackers: string[]
  /** `x.pe` peers. */
  peers: { host: string; port: number }[]
  /** `ws` web seeds. */
  urlList: string[]
  /** `so` selected file indices (BEP 53), expanded from ranges. */
  selectOnly?: number[]
}

/** One input file of {@link createTorrent}. */
export interface FileInput {
  /** Path inside the torrent, as components or `/`-separated. */
  path: string[] | string
  /** Length in bytes. */
  length: number
  /** The content, when in memory. */
  bytes?: Uint8Array
  /** The content as a stream (called once); one of `bytes` or `stream` is required. */
  stream?: () => AsyncIterable<Uint8Array>
  /** BEP 47 attributes: `x` executable, `h` hidden. */
  attr?: string
  /** Symlink target components (BEP 47 `l`); the entry then has length 0 and no content. */
  symlinkPath?: string[]
}

/** Options of {@link createTorrent}. */
export interface CreateOptions {
  /** Format; default `'hybrid'`, as libtorrent 2. */
  version?: TorrentVersion
  /** Bytes per piece: a power of two >= 16 KiB. Default: chosen from the total size like libtorrent. */
  pieceLength?: number
  /** Torrent name; default the file or directory name (required for `FileInput[]` and bytes input). */
  name?: string
  /** Trackers: one URL or BEP 12 tiers. */
  announce?: string[][] | string
  /** Web seeds (BEP 19). */
  urlList?: string[]
  /** BEP 27 private flag (written as `private: 1` only when true). */
  private?: boolean
  /** `comment`. */
  comment?: string
  /** `created by`; default none. */
  createdBy?: string
  /** `creation date` in Unix seconds; default now; `false` omits it (reproducible output). */
  creationDate?: number | false
  /** `source` key in the info dictionary (changes the info hash). */
  source?: string
  /** Hashing worker threads; default `os.availableParallelism()`. */
  threads?: number
  /**
   * Files on disk: the calling thread hashes too, next to `threads - 1` workers, starting at once
   * while the workers boot (saves one worker start; for one-shot processes such as a CLI). Its event
   * loop still turns between 4 MiB chunks. Ignored when `threads` is 1 or a `pool` is given.
   */
  hashOnCallingThread?: boolean
  /**
   * A pool to hash on (not closed when done). Default: a shared pool of `threads` workers kept idle
   * between calls (idle workers never keep the process alive).
   */
  pool?: import('./hash-pool.js').HashPool
  /** Called as bytes are hashed. */
  onProgress?: (bytesHashed: number, total: number) => void
  /** Aborts reading and hashing; the promise rejects with `METAINFO_ABORTED`. */
  signal?: AbortSignal
  /**
   * Whose torrents to reproduce bit for bit (same content and options => same info hash):
   * - `'libtorrent'` (default): libtorrent 2.0 and mktorrent (v1), libtorrent (v2, hybrid).
   * - `'transmission-3'`: transmission-create 3.00 (v1 only): files in its order (see
   *   `compareTransmission3`), empty files and dot-files left out, no `attr` keys, `private: 0`
   *   written when not private, and its default piece length (32 KiB below 50 MiB, ...).
   *   transmission 4.x is different again (case-folded order over unsigned bytes, empty files
   *   kept, `private` only when set, another piece length rule) and not reproduced.
   */
  compat?: 'libtorrent' | 'transmission-3'
  /**
   * Directory input: include hidden files (names starting with `.`). Default true, as libtorrent
   * (false with `compat: 'transmission-3'`).
   */
  includeHidden?: boolean
  /**
   * File order of v1 torrents: `'sorted'` (default: by UTF-8 bytes of each path component, as
   * libtorrent and mktorrent, or transmission-create's order with `compat: 'transmission-3'`) or
   * `'given'` (the order of a `FileInput[]`, e.g. to reproduce a torrent of another tool). v2 and
   * hybrid are always sorted.
   */
  order?: 'sorted' | 'given'
  /** Directory input: most files accepted. Default 1,000,000. */
  maxFiles?: number
  /** Bytes read and queued for hashing at most at once (bounded memory). Default 64 MiB. */
  maxBufferedBytes?: number
}
