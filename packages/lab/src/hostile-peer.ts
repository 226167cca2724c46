// A corrupt-serving peer for the integrity scenario: it claims every piece and answers each request
// with the real block with its first byte flipped. Speaks just enough BEP 3 wire protocol for that,
// framed here on purpose rather than with @p2p/peer-wire: the peer that tests our wire must not share its bugs.
import { createHash } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
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

peerMain(async (config) => {
  const meta = decode(await readFile(config.torrent), { spans: true }) as BencodeDict
  const info = meta.info as BencodeDict
  const raw = rawBytes(info)
  if (!raw) throw new Error('torrent has no raw info span')
  const v1 = info.pieces !== undefined
  const infoHash = v1
    ? createHash('sha1').update(raw).digest()
    : createHash('sha256').update(raw).digest().subarray(0, 20)
  const pieceLength = Number(info['piece length'])
  const name = Buffer.from(info.name as Uint8Array).toString()
  const file = await open(join(config.dir, name), 'r')
  const { size } = await file.stat()
  const pieceCount = Math.ceil(size / pieceLength)
  const bitfield = Buffer.alloc(Math.ceil(pieceCount / 8))
  for (let i = 0; i < pieceCount; i++) bitfield[i >> 3]! |= 0x80 >> (i & 7)
  const peerId = Buffer.from(`-XX0001-${Math.random().toString(36).slice(2, 14).padEnd(12, '0')}`)
  let uploaded = 0
  let corrupted = 0
  const sockets = new Set<Socket>()

  const serve = (sock: Socket) => {
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    sock.on('error', () => {})
    let buf = Buffer.alloc(0)
    let shaken = false
    sock.on('data', async (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      if (!shaken) {
        if (buf.length < HANDSHAKE_LENGTH) return
        shaken = true
        const reserved = Buffer.alloc(8)
        if (!v1) reserved[7] = 0x10
        sock.write(
          Buffer.concat([Buffer.from([PROTOCOL.length]), Buffer.from(PROTOCOL), reserved, infoHash, peerId]),
        )
        sock.write(message(MSG_BITFIELD, bitfield))
        sock.write(message(MSG_UNCHOKE))
        buf = buf.subarray(HANDSHAKE_LENGTH)
      }
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0)
        if (len > MAX_BLOCK + 16) return sock.destroy()
        if (buf.length < 4 + len) break
        const id = len > 0 ? buf[4] : undefined
        const body = buf.subarray(5, 4 + len)
        buf = buf.subarray(4 + len)
        if (id !== MSG_REQUEST || body.length < 12) continue
        const index = body.readUInt32BE(0)
        const begin = body.readUInt32BE(4)
        const length = Math.min(body.readUInt32BE(8), MAX_BLOCK)
        const block = Buffer.alloc(length)
        await file.read(block, 0, length, index * pieceLength + begin)
        block[0] = block[0]! ^ 0xff
        const head = Buffer.alloc(8)
        head.writeUInt32BE(index, 0)
        head.writeUInt32BE(begin, 4)
        sock.write(message(MSG_PIECE, Buffer.concat([head, block])))
        uploaded += length
        corrupted++
      }
    })
  }

  const server = createServer(serve)
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve))
  // Found like any seeder: one `started` announce claiming the whole file (tracker discovery).
  for (const url of config.trackers ?? []) {
    await announce(url, {
      infoHash,
      peerId,
      port: config.port,
      uploaded: 0,
      downloaded: 0,
      left: 0,
      event: 'started',
    })
  }
  emit({ type: 'ready', host: config.host, port: config.port, pieceCount })
  emit({ type: 'done' })
  const timer = setInterval(() => {
    emit({
      type: 'progress',
      progress: 1,
      downloaded: 0,
      uploaded,
      downloadSpeed: 0,
      uploadSpeed: 0,
      peers: sockets.size,
      corruptedBlocks: corrupted,
    })
  }, config.sampleMs ?? 250)
  return {
    connect() {},
    async stop() {
      clearInterval(timer)
      for (const s of sockets) s.destroy()
      server.close()
      await file.close()
    },
  }
})
