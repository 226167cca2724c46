import { BencodeError } from '@p2p/bencode'

/**
 * Stable error codes of `@p2p/metainfo`. Codes are public API: changing one is a breaking change.
 * The comment names the libtorrent error each one matches, where there is one.
 */
export type MetainfoErrorCode =
  /** Not valid bencode (`invalid_bencoding`); the `BencodeError` of `@p2p/bencode` is the `cause`. */
  | 'METAINFO_INVALID_BENCODING'
  /** Nesting deeper than the decoder's limit (`depth_exceeded`). */
  | 'METAINFO_DEPTH_EXCEEDED'
  /** The input is larger than `maxSize` (`metadata_too_large`). */
  | 'METAINFO_TOO_LARGE'
  /** A .torrent path that is not a regular file (a directory, device, FIFO or socket). */
  | 'METAINFO_NOT_A_FILE'
  /** The root value is not a dictionary (`torrent_is_no_dict`). */
  | 'METAINFO_NOT_A_DICT'
  /** No `info` dictionary (`torrent_missing_info`). */
  | 'METAINFO_MISSING_INFO'
  /** No usable `name`, or a file without a path (`torrent_missing_name`). */
  | 'METAINFO_MISSING_NAME'
  /** A path or symlink list that holds something other than strings, or a second top-level file (`torrent_invalid_name`). */
  | 'METAINFO_INVALID_NAME'
  /** `piece length` missing, not positive, too large, or (v2) not a power of two >= 16 KiB (`torrent_missing_piece_length`). */
  | 'METAINFO_INVALID_PIECE_LENGTH'
  /** A v1 torrent without `pieces` (`torrent_missing_pieces`). */
  | 'METAINFO_MISSING_PIECES'
  /** `pieces` is not 20 bytes per piece (`torrent_invalid_hashes`). */
  | 'METAINFO_INVALID_PIECES'
  /** A file length that is missing, negative or too large, or a total of 0 bytes (`torrent_invalid_length`). */
  | 'METAINFO_INVALID_LENGTH'
  /** The torrent lists no files (`no_files_in_torrent`). */
  | 'METAINFO_NO_FILES'
  /** More pieces than `maxPieces` (`too_many_pieces_in_torrent`). */
  | 'METAINFO_TOO_MANY_PIECES'
  /** More duplicate file names than `maxDuplicateNames` (`too_many_duplicate_filenames`). */
  | 'METAINFO_TOO_MANY_DUPLICATES'
  /** The v1 and v2 file lists of a hybrid torrent differ (`torrent_inconsistent_files`). */
  | 'METAINFO_INCONSISTENT_FILES'
  /** A malformed v2 `file tree` or v1 `files` list (`torrent_file_parse_failed`). */
  | 'METAINFO_INVALID_FILE_TREE'
  /** `meta version` 2 without a `file tree` (`torrent_missing_file_tree`). */
  | 'METAINFO_MISSING_FILE_TREE'
  /** A `file tree` without `meta version` 2 (`torrent_missing_meta_version`). */
  | 'METAINFO_MISSING_META_VERSION'
  /** A `meta version` above 2 (`torrent_unknown_version`). */
  | 'METAINFO_UNKNOWN_VERSION'
  /** A v2 file marked as a pad file (`torrent_invalid_pad_file`). */
  | 'METAINFO_INVALID_PAD_FILE'
  /** A non-empty v2 file without a valid `pieces root` (`torrent_missing_pieces_root`). */
  | 'METAINFO_MISSING_PIECES_ROOT'
  /** A `piece layers` entry of the wrong size, for no file, or not hashing to its root (`torrent_invalid_piece_layer`). */
  | 'METAINFO_INVALID_PIECE_LAYER'
  /** A path that would resolve outside the target directory (from {@link resolveFilePath}). */
  | 'METAINFO_PATH_TRAVERSAL'
  /** A magnet link that cannot be parsed, or has no info hash. */
  | 'METAINFO_INVALID_MAGNET'
  /** Bad input to `createTorrent` (no files, empty content, bad file entry). */
  | 'METAINFO_INVALID_INPUT'
  /** An option outside its allowed range. */
  | 'METAINFO_INVALID_OPTION'
  /** Reading the content failed (the `cause` is the system error). */
  | 'METAINFO_IO'
  /** The operation was aborted through its `AbortSignal`. */
  | 'METAINFO_ABORTED'
  /** The {@link HashPool} was closed, or a worker died. */
  | 'METAINFO_POOL_CLOSED'

/**
 * The one error class of `@p2p/metainfo`: every rejection carries a stable {@link MetainfoErrorCode}.
 *
 * @example
 * ```ts
 * try { parseTorrent(bytes) } catch (err) {
 *   if (err instanceof MetainfoError && err.code === 'METAINFO_MISSING_NAME') console.error('no name')
 * }
 * ```
 */
export class MetainfoError extends Error {
  /** Stable machine-readable error code. */
  readonly code: MetainfoErrorCode

  constructor(code: MetainfoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'MetainfoError'
    this.code = code
  }
}

/** @internal Throws a {@link MetainfoError}. */
export function fail(code: MetainfoErrorCode, message: string, cause?: unknown): never {
  throw new MetainfoError(code, message, cause === undefined ? undefined : { cause })
}

/** @internal Turns a bencode error into the matching {@link MetainfoError}; rethrows anything else. */
export function mapDecodeError(err: unknown): never {
  if (err instanceof BencodeError) {
    if (err.code === 'BENCODE_DEPTH_EXCEEDED')
      fail('METAINFO_DEPTH_EXCEEDED', 'bencoded nesting depth exceeded', err)
    fail('METAINFO_INVALID_BENCODING', `invalid bencoding: ${err.message}`, err)
  }
  throw err
}
