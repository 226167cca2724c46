import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The workspace's shared fixtures (libtorrent's test torrents and the reference torrents):
 * `$P2P_SHARED_FIXTURES`, else `shared/fixtures` beside the repository or any directory above it.
 * Undefined when this checkout has none; in CI (`CI=true`) a missing folder throws instead, so
 * tests over the fixtures fail rather than skip.
 */
export function sharedFixturesDir(): string | undefined {
  const found = findShared()
  if (!found && process.env.CI === 'true') {
    throw new Error('shared fixtures not found (../shared/fixtures or $P2P_SHARED_FIXTURES): required in CI')
  }
  return found
}

function findShared(): string | undefined {
  const fromEnv = process.env.P2P_SHARED_FIXTURES
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'shared', 'fixtures')
    if (existsSync(join(candidate, 'libtorrent-test-torrents', 'MANIFEST.json'))) return candidate
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}
