import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTorrent } from '@p2p/metainfo'
import {
  type Child,
  DEBIAN_PYTHON,
  freePort,
  type Opentracker,
  spawnChild,
  startOpentracker,
  waitFor,
} from '@p2p/test-utils'
import { writeContent } from './helpers.js'

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
  /** Run libtorrent's DHT on the listen port (no bootstrap nodes). */
  dht?: boolean
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

/**
 * Content under `files` (paths starting with the torrent's root name), a v1 torrent of it announcing
 * to a fresh opentracker, and the .torrent on disk.
 */
export async function realClientSetup(
  session: { dir: () => Promise<string>; onCleanup: (f: () => Promise<void>) => void },
  files: Record<string, number>,
) {
  const src = await session.dir()
  const content = await writeContent(src, files)
  const root = join(src, Object.keys(files)[0]!.split('/')[0]!)
  const probe = await createTorrent(root, { version: 1, pieceLength: 65536, creationDate: false })
  const tracker: Opentracker = await startOpentracker({ infoHashes: [probe.metainfo.infoHash!] })
  session.onCleanup(() => tracker.stop())
  const { torrent } = await createTorrent(root, {
    version: 1,
    pieceLength: 65536,
    creationDate: false,
    announce: tracker.httpUrl,
  })
  const file = join(await session.dir(), 'pack.torrent')
  await writeFile(file, torrent)
  return { src, content, torrent, file, tracker }
}

/** aria2's encryption flags: none required (default), or MSE required with RC4 or plaintext at least. */
const ARIA2_CRYPTO = {
  off: ['--bt-require-crypto=false', '--bt-min-crypto-level=plain'],
  rc4: ['--bt-require-crypto=true', '--bt-min-crypto-level=arc4'],
  plaintext: ['--bt-require-crypto=true', '--bt-min-crypto-level=plain'],
} as const

/** aria2c seeding or leeching `torrentFile` in `out`; it finds its peers through the torrent's tracker. */
export async function aria2(
  torrentFile: string,
  out: string,
  seed: boolean,
  crypto: keyof typeof ARIA2_CRYPTO = 'off',
) {
  return spawnChild('aria2c', [
    `--dir=${out}`,
    `--listen-port=${await freePort()}`,
    '--enable-dht=false',
    '--enable-dht6=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    seed ? '--seed-ratio=0.0' : '--seed-time=0',
    '--check-integrity=true',
    '--file-allocation=none',
    '--summary-interval=0',
    `--console-log-level=${process.env.SWARM_DEBUG ? 'info' : 'warn'}`,
    '--disable-ipv6=true',
    ...ARIA2_CRYPTO[crypto],
    '--bt-tracker-interval=2',
    torrentFile,
  ])
}

/**
 * transmission-cli on `torrentFile` in `out`, encryption tolerated (`-et`, default) or required (`-er`).
 */
export async function transmission(torrentFile: string, out: string, encryption: 'et' | 'er' = 'et') {
  const config = join(out, '.transmission')
  await mkdir(config, { recursive: true })
  const port = await freePort()
  const child = spawnChild(
    'transmission-cli',
    ['-w', out, '-g', config, '-p', String(port), `-${encryption}`, '-M', torrentFile],
    {
      env: { ...process.env, HOME: out },
    },
  )
  return { child, port }
}
