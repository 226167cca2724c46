import { join } from 'node:path'
import { FIXTURES_DIR } from '@p2p/test-utils'

/** libtorrent's test torrents with their expected outcomes (`MANIFEST.json`). */
export const LT_TORRENTS = join(FIXTURES_DIR, 'libtorrent-test-torrents')
/** Torrents made by libtorrent, mktorrent and transmission-create (`index.json`, `<case>/case.json`). */
export const REFERENCE = join(FIXTURES_DIR, 'reference-torrents')

/** libtorrent error name -> our code. */
export const LT_ERRORS: Record<string, string> = {
  invalid_bencoding: 'METAINFO_INVALID_BENCODING',
  depth_exceeded: 'METAINFO_DEPTH_EXCEEDED',
  torrent_is_no_dict: 'METAINFO_NOT_A_DICT',
  torrent_missing_info: 'METAINFO_MISSING_INFO',
  torrent_missing_name: 'METAINFO_MISSING_NAME',
  torrent_invalid_name: 'METAINFO_INVALID_NAME',
  torrent_missing_piece_length: 'METAINFO_INVALID_PIECE_LENGTH',
  torrent_missing_pieces: 'METAINFO_MISSING_PIECES',
  torrent_invalid_hashes: 'METAINFO_INVALID_PIECES',
  torrent_invalid_length: 'METAINFO_INVALID_LENGTH',
  no_files_in_torrent: 'METAINFO_NO_FILES',
  too_many_pieces_in_torrent: 'METAINFO_TOO_MANY_PIECES',
  too_many_duplicate_filenames: 'METAINFO_TOO_MANY_DUPLICATES',
  torrent_inconsistent_files: 'METAINFO_INCONSISTENT_FILES',
  torrent_file_parse_failed: 'METAINFO_INVALID_FILE_TREE',
  torrent_invalid_pad_file: 'METAINFO_INVALID_PAD_FILE',
  torrent_missing_pieces_root: 'METAINFO_MISSING_PIECES_ROOT',
  torrent_invalid_piece_layer: 'METAINFO_INVALID_PIECE_LAYER',
}
