import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { LabError } from './errors.js'
import { execQuiet } from './exec.js'
import { DEBIAN_PYTHON, type FixtureVersion, packageFile } from './peer-process.js'

/** The file every peer shares in a run, its torrent and its SHA-256. */
export interface Fixture {
  /** Directory holding `name` (a seeder's download directory). */
  dir: string
  name: string
  size: number
  sha256: string
  torrent: string
  version: FixtureVersion
  pieceLength: number
  pieceCount: number
}

const KIB = 1024
/** Aim for about this many pieces: enough for piece selection to matter, few enough to hash fast. */
const TARGET_PIECES = 256

/** Power-of-two piece length giving about {@link TARGET_PIECES} pieces, within 16 KiB..4 MiB. */
export function pieceLengthFor(size: number): number {
  let len = 16 * KIB
  while (len < 4096 * KIB && size / len > TARGET_PIECES) len *= 2
  return len
}

/** SHA-256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * Writes `size` random bytes to `<dir>/content/<name>` and a torrent of `version` for it. The torrent
 * is made by libtorrent (Debian's python) so that it is independent of the swarm under test.
 */
export async function makeFixture(dir: string, size: number, version: FixtureVersion): Promise<Fixture> {
  const contentDir = join(dir, 'content')
  await mkdir(contentDir, { recursive: true })
  const name = 'lab-file.bin'
  const file = join(contentDir, name)
  const out = createWriteStream(file)
  const hash = createHash('sha256')
  for (let left = size; left > 0; ) {
    const chunk = randomBytes(Math.min(left, 1024 * KIB))
    hash.update(chunk)
    left -= chunk.length
    if (!out.write(chunk)) await once(out, 'drain')
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  )
  const torrent = join(dir, `lab-${version}.torrent`)
  const pieceLength = pieceLengthFor(size)
  const r = await execQuiet(DEBIAN_PYTHON, [
    packageFile('runners/libtorrent_peer.py'),
    '--create',
    JSON.stringify({ content: file, torrent, version, pieceLength }),
  ])
  const line = r.stdout.split('\n').find((l) => l.includes('"torrent"'))
  if (r.code !== 0 || !line) {
    throw new LabError('LAB_COMMAND_FAILED', `creating the torrent failed: ${r.stderr || r.stdout}`)
  }
  const info = JSON.parse(line) as { pieceCount: number; pieceLength: number }
  return {
    dir: contentDir,
    name,
    size,
    sha256: hash.digest('hex'),
    torrent,
    version,
    pieceLength: info.pieceLength,
    pieceCount: info.pieceCount,
  }
}
