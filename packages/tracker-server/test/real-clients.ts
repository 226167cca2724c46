// Real BitTorrent clients for the interop tests: a v1 torrent built here, and how to start each client.
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encode } from '@p2p/bencode'
import { type Child, DEBIAN_PYTHON, freePort, spawnChild } from '@p2p/test-utils'

/** A single-file v1 torrent over random content (16 KiB pieces). */
export function makeTorrent(announce: string, size = 256 * 1024, name = 'content.bin') {
  const content = randomBytes(size)
  const pieceLength = 16 * 1024
  const hashes: Buffer[] = []
  for (let i = 0; i < size; i += pieceLength) {
    hashes.push(
      createHash('sha1')
        .update(content.subarray(i, i + pieceLength))
        .digest(),
    )
  }
  const info = { length: size, name, 'piece length': pieceLength, pieces: Buffer.concat(hashes) }
  const infoHash = createHash('sha1').update(encode(info)).digest('hex')
  const torrent = encode({ announce, info })
  return { content, torrent, infoHash, name }
}

/** Writes the torrent (and optionally the content) into `dir`; returns the torrent path. */
export async function layout(
  dir: string,
  t: ReturnType<typeof makeTorrent>,
  withContent: boolean,
): Promise<string> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, 'test.torrent')
  await writeFile(path, t.torrent)
  if (withContent) await writeFile(join(dir, t.name), t.content)
  return path
}

export type ClientName = 'aria2' | 'transmission' | 'libtorrent'

/** Starts a client on `torrentPath`, saving into `dir`, listening on a free port. */
export async function startClient(
  name: ClientName,
  torrentPath: string,
  dir: string,
  protocol: 'http' | 'udp',
): Promise<{ child: Child; port: number }> {
  const port = await freePort()
  if (name === 'aria2') {
    // aria2 uses UDP trackers only when its DHT is on (no bootstrap needed).
    const dht =
      protocol === 'udp'
        ? ['--enable-dht=true', `--dht-listen-port=${await freePort('udp')}`]
        : ['--enable-dht=false']
    const child = spawnChild('aria2c', [
      `--dir=${dir}`,
      `--listen-port=${port}`,
      ...dht,
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--seed-time=0',
      '--check-integrity=true',
      '--file-allocation=none',
      '--summary-interval=0',
      '--console-log-level=warn',
      '--disable-ipv6=true',
      '--bt-tracker-connect-timeout=5',
      '--bt-tracker-timeout=5',
      '--bt-require-crypto=false',
      torrentPath,
    ])
    return { child, port }
  }
  if (name === 'transmission') {
    const config = join(dir, '.transmission')
    await mkdir(config, { recursive: true })
    const child = spawnChild(
      'transmission-cli',
      ['-w', dir, '-g', config, '-p', String(port), '-et', '-M', torrentPath],
      {
        env: { ...process.env, HOME: dir },
      },
    )
    return { child, port }
  }
  const script = fileURLToPath(new URL('./fixtures/lt-client.py', import.meta.url))
  const child = spawnChild(DEBIAN_PYTHON, [script, torrentPath, dir, String(port)])
  return { child, port }
}
