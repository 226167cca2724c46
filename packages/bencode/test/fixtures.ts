import { fileURLToPath } from 'node:url'

/** Torrents copied into this package (small, always present): see fixtures/hashes.json. */
export const VENDORED_DIR = fileURLToPath(new URL('./fixtures/', import.meta.url))

/** The repository's full fixture sets (libtorrent's test torrents, the reference torrents). */
export { FIXTURES_DIR } from '@p2p/test-utils'
