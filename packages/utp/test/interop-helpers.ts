import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BencodeDict, decode, rawBytes } from '@p2p/bencode'
import { generatePeerId } from '@p2p/peer-address'
import { Wire } from '@p2p/peer-wire'
import { type Child, DEBIAN_PYTHON, spawnChild, waitFor } from '@p2p/test-utils'
import type { UtpSocket, UtpStream } from '@p2p/utp'

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

/** A torrent made by {@link makeTorrent}. */
export type TestTorrent = Awaited<ReturnType<typeof makeTorrent>>

/** Dials `port` on 127.0.0.1 over uTP, retrying the connect like the recipe's leecher does. */
export async function dialUtp(socket: UtpSocket, port: number, attempts = 5): Promise<UtpStream> {
  for (let attempt = 1; ; attempt++) {
    const stream = socket.connect(port, '127.0.0.1')
    try {
      await Promise.race([
        once(stream, 'connect'),
        once(stream, 'close').then(() => {
          throw new Error('closed before connect')
        }),
      ])
      return stream
    } catch (error) {
      if (attempt >= attempts) throw error
    }
  }
}

/**
 * Downloads every piece of `t` over a {@link Wire} on `stream` (we have none), checking each piece's
 * SHA-1; returns the wire (destroy it) and the bytes.
 */
export async function downloadAll(stream: UtpStream, t: TestTorrent, pieceLength: number) {
  const wire = new Wire(stream, {
    infoHash: t.infoHash,
    peerId: generatePeerId(),
    pieceCount: t.pieceCount,
    pieceLength,
    length: t.data.length,
    requestTimeout: 20_000,
  })
  const handshake = new Promise((r) => wire.once('handshake', r))
  wire.handshake()
  await handshake
  wire.haveNone()
  wire.interested()
  if (wire.peerChoking) await new Promise<void>((r) => wire.once('unchoke', () => r()))
  const hashes = (decode(t.info) as BencodeDict).pieces as Uint8Array
  const pieces: Buffer[] = []
  for (let index = 0; index < t.pieceCount; index++) {
    const size = Math.min(pieceLength, t.data.length - index * pieceLength)
    const blocks: Promise<Uint8Array>[] = []
    for (let begin = 0; begin < size; begin += 16384) {
      blocks.push(wire.request(index, begin, Math.min(16384, size - begin)))
    }
    const piece = Buffer.concat(await Promise.all(blocks))
    if (!sha1(piece).equals(Buffer.from(hashes.subarray(index * 20, index * 20 + 20)))) {
      throw new Error(`piece ${index} does not match its hash`)
    }
    pieces.push(piece)
  }
  return { wire, data: Buffer.concat(pieces) }
}

/** Seeds `t` from memory to every connection `socket` accepts; returns the wires (destroy them). */
export function serveAll(socket: UtpSocket, t: TestTorrent, pieceLength: number): Wire[] {
  const served: Wire[] = []
  socket.on('connection', (stream) => {
    const wire = new Wire(stream, {
      infoHash: t.infoHash,
      peerId: generatePeerId(),
      metadata: t.info,
      pieceCount: t.pieceCount,
      pieceLength,
      length: t.data.length,
    })
    served.push(wire)
    wire.on('handshake', () => {
      wire.handshake()
      wire.haveAll()
    })
    wire.on('interested', () => wire.unchoke())
    wire.on('request', (r) => {
      const start = r.index * pieceLength + r.begin
      wire.piece(r.index, r.begin, t.data.subarray(start, start + r.length))
    })
  })
  return served
}
