import { createHash, randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BencodeDict, decode } from '@p2p/bencode'
import { generatePeerId } from '@p2p/peer-address'
import { Wire, type WireOptions } from '@p2p/peer-wire'
import { type Child, DEBIAN_PYTHON, spawnChild, stopAll, tempDir, waitFor } from '@p2p/test-utils'
import { expect } from 'vitest'

export const LT_SEEDER = fileURLToPath(new URL('./fixtures/lt-seeder.py', import.meta.url))

/** What lt-seeder.py prints once seeding. */
export interface SeederReady {
  port: number
  infoHash: string | null
  infoHashV2: string | null
  pieceCount: number
  pieceLength: number
}

export const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'))
export const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest()
export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest()

/** Writes `size` random bytes to dir/name. */
export async function randomFile(
  dir: string,
  name: string,
  size: number,
): Promise<{ path: string; data: Buffer }> {
  const data = randomBytes(size)
  const path = join(dir, name)
  await writeFile(path, data)
  return { path, data }
}

/** Runs lt-seeder.py and waits for its first JSON line of `type`. */
export async function runLtScript(
  config: Record<string, unknown>,
  type: 'ready' | 'torrent' | 'done',
): Promise<{ child: Child; line: SeederReady }> {
  const child = spawnChild(DEBIAN_PYTHON, [LT_SEEDER, JSON.stringify(config)])
  const line = await waitFor(
    () => {
      for (const l of child.output().split('\n')) {
        if (!l.startsWith('{')) continue
        const j = JSON.parse(l) as { type: string; message?: string }
        if (j.type === 'error') throw new Error(`lt-seeder: ${j.message}`)
        if (j.type === type) return j as unknown as SeederReady
      }
      if (child.proc.exitCode !== null) throw new Error(`lt-seeder exited: ${child.output()}`)
      return undefined
    },
    60_000,
    `lt-seeder ${type}`,
  )
  return { child, line }
}

/** Opens a TCP wire to 127.0.0.1:port and waits for the peer's handshake. */
export async function dial(port: number, options: Omit<WireOptions, 'peerId'>): Promise<Wire> {
  const socket = connect(port, '127.0.0.1')
  const wire = new Wire(socket, { peerId: generatePeerId(), requestTimeout: 20_000, ...options })
  const handshake = new Promise<void>((resolve, reject) => {
    wire.once('handshake', () => resolve())
    wire.once('close', (err) => reject(err ?? new Error('closed before the handshake')))
  })
  socket.once('connect', () => wire.handshake())
  await handshake
  return wire
}

/** The decoded info dictionary. */
export function parseInfo(info: Uint8Array): BencodeDict {
  return decode(info) as BencodeDict
}

/** Waits until the peer unchokes us (after we said we are interested). */
export function unchoked(wire: Wire): Promise<void> {
  if (!wire.peerChoking) return Promise.resolve()
  return new Promise((resolve, reject) => {
    wire.once('unchoke', () => resolve())
    wire.once('close', (err) => reject(err ?? new Error('closed')))
  })
}

/** Downloads piece `index` block by block. */
export async function downloadPiece(wire: Wire, index: number, size: number): Promise<Buffer> {
  const blocks: Promise<Uint8Array>[] = []
  for (let begin = 0; begin < size; begin += 16384) {
    blocks.push(wire.request(index, begin, Math.min(16384, size - begin)))
  }
  return Buffer.concat(await Promise.all(blocks))
}

const scratch: Array<() => Promise<void>> = []

/** A temporary directory removed by {@link cleanupInterop}. */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await tempDir(prefix)
  scratch.push(dir.remove)
  return dir.path
}

/** Stops every spawned process and removes the scratch directories (use in `afterAll`). */
export async function cleanupInterop(): Promise<void> {
  await stopAll()
  for (const remove of scratch.splice(0)) await remove()
}

/**
 * With the verified metadata of a single-file v1 torrent: gives the wire the geometry, gets unchoked,
 * downloads `indices` (negative counts from the end) and checks each against its SHA-1 piece hash.
 * Returns the piece count and content length.
 */
export async function downloadAndCheck(wire: Wire, info: Uint8Array, indices: number[]) {
  const dict = parseInfo(info)
  const pieceLength = dict['piece length'] as number
  const length = dict.length as number
  const pieces = dict.pieces as Uint8Array
  const pieceCount = pieces.length / 20
  wire.setTorrent({ pieceCount, pieceLength, length })
  wire.interested()
  await unchoked(wire)
  for (const i of indices) {
    const index = i < 0 ? pieceCount + i : i
    const size = index === pieceCount - 1 ? length - pieceLength * index : pieceLength
    const piece = await downloadPiece(wire, index, size)
    expect(Buffer.from(sha1(piece)).equals(Buffer.from(pieces.subarray(index * 20, index * 20 + 20)))).toBe(
      true,
    )
  }
  return { pieceCount, pieceLength, length }
}
