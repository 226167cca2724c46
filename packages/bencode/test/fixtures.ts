import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Torrents copied into this package (small, always present): see fixtures/hashes.json. */
export const VENDORED_DIR = fileURLToPath(new URL('./fixtures/', import.meta.url))

/**
 * The workspace's shared fixtures (libtorrent's test torrents and the reference torrents), or
 * undefined when this checkout has none: `$P2P_SHARED_FIXTURES`, else `shared/fixtures` beside the
 * repository or any directory above it.
 */
export function sharedFixturesDir(): string | undefined {
  const fromEnv = process.env.P2P_SHARED_FIXTURES
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined
  let dir = fileURLToPath(new URL('.', import.meta.url))
  for (;;) {
    const candidate = join(dir, 'shared', 'fixtures')
    if (existsSync(join(candidate, 'libtorrent-test-torrents', 'MANIFEST.json'))) return candidate
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}
