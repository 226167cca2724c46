import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BencodeDict, decode, rawBytes } from '@p2p/bencode'
import { type Child, DEBIAN_PYTHON, spawnChild, waitFor } from '@p2p/test-utils'

const LT_UTP = fileURLToPath(new URL('./fixtures/lt-utp.py', import.meta.url))

/** One JSON line printed by lt-utp.py. */
export interface LtLine {
  type: string
  port?: number
  infoHash?: string
  utp?: boolean
  message?: string
}

/** Every JSON line the script printed so far. */
export function ltLines(child: Child): LtLine[] {
  return child
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LtLine)
}

/** Runs lt-utp.py and waits for its first line of `type` (an `error` line or an exit fails). */
export async function runLt(config: Record<string, unknown>, type: string, timeoutMs = 45_000) {
  const child = spawnChild(DEBIAN_PYTHON, [LT_UTP, JSON.stringify(config)])
  const line = await waitFor(
    () => {
      for (const l of ltLines(child)) {
        if (l.type === 'error') throw new Error(`lt-utp: ${l.message}`)
        if (l.type === type) return l
      }
      if (child.proc.exitCode !== null) throw new Error(`lt-utp exited: ${child.output()}`)
      return undefined
    },
    timeoutMs,
    `lt-utp ${type}`,
  )
  return { child, line }
}

/** A random file and a libtorrent-made torrent of it; returns the content, info dict and its geometry. */
export async function makeTorrent(dir: string, size: number, pieceLength: number, version: 'v1' | 'hybrid') {
  const data = randomBytes(size)
  const content = join(dir, 'content.bin')
  await writeFile(content, data)
  const torrent = join(dir, 'content.torrent')
  const { child, line } = await runLt({ mode: 'create', content, torrent, pieceLength, version }, 'torrent')
  await child.stop()
  const dict = decode(await readFile(torrent), { spans: true }) as BencodeDict
  const info = rawBytes(dict.info)!
  const infoHash = Uint8Array.from(Buffer.from(line.infoHash!, 'hex'))
  return { data, content, torrent, info, infoHash, pieceCount: Math.ceil(size / pieceLength) }
}

/** SHA-1 of `b`. */
export const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest()
