import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sharedFixturesDir } from '@p2p/test-utils'

/** The shared fixtures folder (`../shared/fixtures` beside the repository; required in CI). */
export const FIXTURES =
  sharedFixturesDir() ?? join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures')
export const LT_TORRENTS = join(FIXTURES, 'libtorrent-test-torrents')
export const REFERENCE = join(FIXTURES, 'reference-torrents')
export const haveFixtures = existsSync(join(LT_TORRENTS, 'MANIFEST.json'))

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
