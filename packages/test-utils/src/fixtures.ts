import { fileURLToPath } from 'node:url'

/**
 * The repository's test fixtures (`packages/test-utils/fixtures`): `libtorrent-test-torrents/`
 * (libtorrent's valid and hostile torrents with their expected outcomes in `MANIFEST.json`) and
 * `reference-torrents/` (made by libtorrent, mktorrent and transmission-create; regenerate and
 * check with `node scripts/regen-reference-torrents.mjs`).
 */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url))
