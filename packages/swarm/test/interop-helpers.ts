import { fileURLToPath } from 'node:url'
import { type Child, DEBIAN_PYTHON, spawnChild, waitFor } from '@p2p/test-utils'

const LT_PEER = fileURLToPath(new URL('./fixtures/lt-peer.py', import.meta.url))

/** A libtorrent peer started by lt-peer.py. */
export interface LtPeer {
  child: Child
  port: number
  /** Resolves when libtorrent has every piece. */
  done: () => Promise<void>
}

/** Starts libtorrent (Debian's python) as a seeder or leecher on 127.0.0.1. */
export async function startLibtorrent(config: {
  mode: 'seed' | 'leech'
  torrent?: string
  magnet?: string
  save_path: string
  port: number
  peers?: string[]
  /** libtorrent's in and out encryption policy (default: plaintext out, both in). */
  enc?: 'forced' | 'enabled' | 'disabled'
  enc_level?: 'rc4' | 'plaintext' | 'both'
}): Promise<LtPeer> {
  const child = spawnChild(DEBIAN_PYTHON, [LT_PEER, JSON.stringify({ peers: [], ...config })])
  const lines = () =>
    child
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; port?: number })
  const ready = await waitFor(
    () => {
      if (child.proc.exitCode !== null) throw new Error(`lt-peer exited: ${child.output()}`)
      return lines().find((l) => l.type === 'ready')
    },
    30_000,
    'libtorrent ready',
  )
  return {
    child,
    port: ready.port ?? config.port,
    done: () =>
      waitFor(
        () => lines().some((l) => l.type === 'done'),
        90_000,
        `libtorrent done\n${child.output().slice(-3000)}`,
      ).then(() => {}),
  }
}
