import { fileURLToPath } from 'node:url'

/** Torrents copied into this package (small, always present): see fixtures/hashes.json. */
export const VENDORED_DIR = fileURLToPath(new URL('./fixtures/', import.meta.url))

/** The workspace's shared fixtures, or undefined outside CI when this checkout has none. */
export { sharedFixturesDir } from '@p2p/test-utils'
