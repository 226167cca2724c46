// A corrupt-serving peer for the integrity scenario: it claims every piece and answers each request
// with the real block with its first byte flipped. Speaks just enough BEP 3 wire protocol for that,
// framed here on purpose rather than with @p2p/peer-wire: the peer that tests our wire must not share its bugs.
import { createHash } from 'node:crypto'
import { type FileHandle, open, readFile } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { type BencodeDict, decode, rawBytes } from '@p2p/bencode'
import { announce } from '@p2p/tracker-client'
import { emit, peerMain } from './peer-main.js'

const PROTOCOL = 'BitTorrent protocol'
const HANDSHAKE_LENGTH = 68
const MSG_UNCHOKE = 1
const MSG_BITFIELD = 5
const MSG_REQUEST = 6
const MSG_PIECE = 7
/** Largest block a peer may ask for (BEP 3 practice: 16 KiB; allow 128 KiB). */
const MAX_BLOCK = 128 * 1024

function message(id: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const head = Buffer.alloc(5)
  head.writeUInt32BE(payload.length + 1, 0)
  head[4] = id
  return Buffer.concat([head, payload])
}

/** What the hostile peer needs of the torrent: its kind (v1 or v2 only), info hash, piece length and file name. */
interface TorrentFacts {
  v1: boolean
  infoHash: Buffer
  pieceLength: number
  name: string
}

/** Reads the torrent file; a v2-only torrent's info hash is its SHA-256 truncated to 20 bytes, as on the wire. */
async function readTorrent(path: string): Promise<TorrentFacts> {
  const meta = decode(await readFile(path), { spans: true }) as BencodeDict
  const info = meta.info as BencodeDict
  const raw = rawBytes(info)
  if (!raw) throw new Error('torrent has no raw info span')
  const v1 = info.pieces !== undefined
  const infoHash = v1
    ? createHash('sha1').update(raw).digest()
    : createHash('sha256').update(raw).digest().subarray(0, 20)
  return {
    v1,
    infoHash,
    pieceLength: Number(info['piece length']),
    name: Buffer.from(info.name as Uint8Array).toString(),
  }
}

/** A bitfield claiming all `pieceCount` pieces. */
function fullBitfield(pieceCount: number): Buffer {
  const bitfield = Buffer.alloc(Math.ceil(pieceCount / 8))
  for (let i = 0; i < pieceCount; i++) bitfield[i >> 3]! |= 0x80 >> (i & 7)
  return bitfield
}

/**
 * The seed that lies: claims every piece of its open file and serves each requested block corrupted.
 * Counts what it sent for the progress lines.
 */
class HostileSeed {
  readonly peerId = Buffer.from(`-XX0001-${Math.random().toString(36).slice(2, 14).padEnd(12, '0')}`)
  readonly #torrent: TorrentFacts
  readonly #file: FileHandle
  readonly #bitfield: Buffer
  readonly #sockets = new Set<Socket>()
  #uploaded = 0
  #corrupted = 0

  constructor(torrent: TorrentFacts, file: FileHandle, pieceCount: number) {
    this.#torrent = torrent
    this.#file = file
    this.#bitfield = fullBitfield(pieceCount)
  }

  /** Serves one incoming connection: our greeting once its handshake is in, then a corrupt block per request. */
  serve(sock: Socket): void {
    this.#sockets.add(sock)
    sock.on('close', () => this.#sockets.delete(sock))
    sock.on('error', () => {})
    let buf = Buffer.alloc(0)
    let shaken = false
    sock.on('data', async (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      if (!shaken) {
        if (buf.length < HANDSHAKE_LENGTH) return
        shaken = true
        this.#greet(sock)
        buf = buf.subarray(HANDSHAKE_LENGTH)
      }
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0)
        if (len > MAX_BLOCK + 16) return sock.destroy()
        if (buf.length < 4 + len) break
        const id = len > 0 ? buf[4] : undefined
        const body = buf.subarray(5, 4 + len)
        buf = buf.subarray(4 + len)
        if (id === MSG_REQUEST && body.length >= 12) await this.#answer(sock, body)
      }
    })
  }

  /** Our handshake (the BEP 52 bit set for a v2-only torrent), a full bitfield and an unchoke. */
  #greet(sock: Socket): void {
    const reserved = Buffer.alloc(8)
    if (!this.#torrent.v1) reserved[7] = 0x10
    sock.write(
      Buffer.concat([
        Buffer.from([PROTOCOL.length]),
        Buffer.from(PROTOCOL),
        reserved,
        this.#torrent.infoHash,
        this.peerId,
      ]),
    )
    sock.write(message(MSG_BITFIELD, this.#bitfield))
    sock.write(message(MSG_UNCHOKE))
  }

  /** Answers a `request` payload with the real block, its first byte flipped. */
  async #answer(sock: Socket, request: Buffer): Promise<void> {
    const index = request.readUInt32BE(0)
    const begin = request.readUInt32BE(4)
    const length = Math.min(request.readUInt32BE(8), MAX_BLOCK)
    const block = Buffer.alloc(length)
    await this.#file.read(block, 0, length, index * this.#torrent.pieceLength + begin)
    block[0] = block[0]! ^ 0xff
    const head = Buffer.alloc(8)
    head.writeUInt32BE(index, 0)
    head.writeUInt32BE(begin, 4)
    sock.write(message(MSG_PIECE, Buffer.concat([head, block])))
    this.#uploaded += length
    this.#corrupted++
  }

  /** Emits a progress line: complete, with what was uploaded and how many blocks were corrupted. */
  report(): void {
    emit({
      type: 'progress',
      progress: 1,
      downloaded: 0,
      uploaded: this.#uploaded,
      downloadSpeed: 0,
      uploadSpeed: 0,
      peers: this.#sockets.size,
      corruptedBlocks: this.#corrupted,
    })
  }

  /** Drops every connection. */
  disconnect(): void {
    for (const s of this.#sockets) s.destroy()
  }
}

/** Found like any seeder: one `started` announce to each tracker claiming the whole file (tracker discovery). */
async function announceStarted(
  urls: string[],
  infoHash: Buffer,
  peerId: Buffer,
  port: number,
): Promise<void> {
  for (const url of urls) {
    await announce(url, {
      infoHash,
      peerId,
      port,
      uploaded: 0,
      downloaded: 0,
      left: 0,
      event: 'started',
    })
  }
}

peerMain(async (config) => {
  const torrent = await readTorrent(config.torrent)
  const file = await open(join(config.dir, torrent.name), 'r')
  const { size } = await file.stat()
  const pieceCount = Math.ceil(size / torrent.pieceLength)
  const seed = new HostileSeed(torrent, file, pieceCount)
  const server = createServer((sock) => seed.serve(sock))
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve))
  await announceStarted(config.trackers ?? [], torrent.infoHash, seed.peerId, config.port)
  emit({ type: 'ready', host: config.host, port: config.port, pieceCount })
  emit({ type: 'done' })
  const timer = setInterval(() => seed.report(), config.sampleMs ?? 250)
  return {
    connect() {},
    async stop() {
      clearInterval(timer)
      seed.disconnect()
      server.close()
      await file.close()
    },
  }
})
