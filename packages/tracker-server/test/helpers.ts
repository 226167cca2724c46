// Shared helpers of the tracker-server tests: a server per test, raw HTTP GETs and raw UDP exchanges.

import { randomBytes } from 'node:crypto'
import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { request } from 'node:http'
import { decode, rawEntries } from '@p2p/bencode'
import {
  createTrackerServer,
  type StoreAnnounce,
  type TrackerServer,
  type TrackerServerOptions,
} from '@p2p/tracker-server'

const servers: TrackerServer[] = []

/** A listening server on 127.0.0.1 (closed by {@link closeServers}). */
export async function startServer(options: TrackerServerOptions = {}) {
  const server = createTrackerServer({ rateLimit: false, ...options })
  servers.push(server)
  const info = await server.listen()
  return { server, ...info, base: info.httpUrl!.replace(/\/announce$/, '') }
}

/** Closes every server started by {@link startServer}. */
export async function closeServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => s.close()))
}

/** Percent-encodes every byte. */
export function pct(bytes: Uint8Array): string {
  return [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')
}

/** GET a path; resolves with status and body (no keep-alive, bounded). */
export function get(base: string, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

/** GET and bencode-decode. */
export async function getDict(base: string, path: string): Promise<Record<string, unknown>> {
  const { body } = await get(base, path)
  return decode(body) as Record<string, unknown>
}

/** Text of a decoded byte string. */
export function text(v: unknown): string {
  return Buffer.from(v as Uint8Array).toString('utf8')
}

/** Query string of an announce. */
export function announceQuery(p: {
  infoHash: Uint8Array
  peerId: Uint8Array
  port: number | string
  left?: number | string
  event?: string
  extra?: string
}): string {
  let q = `?info_hash=${pct(p.infoHash)}&peer_id=${pct(p.peerId)}&port=${p.port}&uploaded=0&downloaded=0&left=${p.left ?? 0}`
  if (p.event) q += `&event=${p.event}`
  if (p.extra) q += `&${p.extra}`
  return q
}

/** A UDP client socket for raw BEP 15 exchanges. */
export class RawUdp {
  readonly socket: Socket
  private readonly queue: Buffer[] = []
  private waiter: ((b: Buffer) => void) | undefined

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('message', (m) => {
      if (this.waiter) {
        const w = this.waiter
        this.waiter = undefined
        w(m)
      } else this.queue.push(m)
    })
  }

  static async open(family: 4 | 6 = 4): Promise<RawUdp> {
    const s = createSocket(family === 4 ? 'udp4' : 'udp6')
    s.bind(0, family === 4 ? '127.0.0.1' : '::1')
    await once(s, 'listening')
    return new RawUdp(s)
  }

  /** Sends and waits for one answer (or undefined after `ms`). */
  async exchange(b: Uint8Array, port: number, host = '127.0.0.1', ms = 1000): Promise<Buffer | undefined> {
    this.queue.length = 0
    this.socket.send(b, port, host)
    const tid = b.length >= 16 ? Buffer.from(b).readUInt32BE(12) : undefined
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiter = undefined
        resolve(undefined)
      }, ms)
      const waiter = (m: Buffer) => {
        // Answers to earlier packets (other transaction ids) are skipped.
        if (tid !== undefined && (m.length < 8 || m.readUInt32BE(4) !== tid)) {
          this.waiter = waiter
          return
        }
        clearTimeout(t)
        resolve(m)
      }
      this.waiter = waiter
    })
  }

  async connect(port: number, host = '127.0.0.1'): Promise<Buffer> {
    const b = Buffer.alloc(16)
    b.writeBigUInt64BE(0x41727101980n, 0)
    b.writeUInt32BE(0, 8)
    b.writeUInt32BE(7, 12)
    const r = await this.exchange(b, port, host)
    if (r?.readUInt32BE(0) !== 0) throw new Error('connect failed')
    return r.subarray(8, 16)
  }

  close(): void {
    this.socket.close()
  }
}

/** A raw 98-byte UDP announce. */
export function udpAnnounce(
  connId: Uint8Array,
  p: {
    infoHash: Uint8Array
    peerId: Uint8Array
    port: number
    left?: bigint
    event?: number
    numwant?: number
    /** BEP 15 key field. */
    key?: number
    /** BEP 15 IP field (IPv4 dotted), read only with `trustIpParam`. */
    ip?: string
  },
  tid = 9,
): Buffer {
  const b = Buffer.alloc(98)
  b.set(connId, 0)
  b.writeUInt32BE(1, 8)
  b.writeUInt32BE(tid, 12)
  b.set(p.infoHash, 16)
  b.set(p.peerId, 36)
  b.writeBigUInt64BE(p.left ?? 0n, 64)
  b.writeUInt32BE(p.event ?? 2, 80)
  if (p.ip) b.set(p.ip.split('.').map(Number), 84)
  b.writeUInt32BE(p.key ?? 0, 88)
  b.writeInt32BE(p.numwant ?? -1, 92)
  b.writeUInt16BE(p.port, 96)
  return b
}

/** A store-level announce with defaults (a leecher starting on torrent ab...ab from 127.0.0.1:6881). */
export function storeAnnounce(over: Partial<StoreAnnounce> = {}): StoreAnnounce {
  return {
    infoHash: 'ab'.repeat(20),
    peerId: randomBytes(20),
    host: '127.0.0.1',
    family: 4,
    port: 6881,
    seeder: false,
    event: 'started',
    numwant: 50,
    families: [4, 6],
    ...over,
  }
}

/** The `files` of a scrape answer by info hash (hex; the keys are binary, so read with spans). */
export function scrapeFiles(body: Uint8Array): Map<string, unknown> {
  const d = decode(body, { spans: true }) as Record<string, unknown>
  const out = new Map<string, unknown>()
  for (const [k, v] of rawEntries(d.files) ?? []) out.set(Buffer.from(k).toString('hex'), v)
  return out
}
