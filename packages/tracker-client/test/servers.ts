// Small in-test trackers: an HTTP server whose answer each test scripts, and a BEP 15 UDP tracker
// with switches for hostile behaviour.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TrackerClientError } from '@p2p/tracker-client'
import { expect } from 'vitest'

/** Decodes every value of `key` in a raw query string to bytes (percent-escapes are binary). */
export function queryBytes(rawUrl: string, key: string): Buffer[] {
  const query = rawUrl.split('?')[1] ?? ''
  return query
    .split('&')
    .filter((p) => p.startsWith(`${key}=`))
    .map((p) => {
      const v = p.slice(key.length + 1)
      const out: number[] = []
      for (let i = 0; i < v.length; i++) {
        if (v[i] === '%') {
          out.push(Number.parseInt(v.slice(i + 1, i + 3), 16))
          i += 2
        } else out.push(v.charCodeAt(i))
      }
      return Buffer.from(out)
    })
}

/** The text value of `key` in a raw query string. */
export function queryText(rawUrl: string, key: string): string | undefined {
  return queryBytes(rawUrl, key)[0]?.toString('latin1')
}

export interface HttpTracker {
  url: string
  server: Server
  requests: string[]
  close(): Promise<void>
}

export async function httpTracker(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
): Promise<HttpTracker> {
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    handler(req, res)
  })
  server.listen(0, host)
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const h = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${h}:${port}/announce`,
    server,
    requests,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export interface UdpRequest {
  action: number
  transactionId: number
  connectionId: bigint
  msg: Buffer
}

/** A BEP 15 tracker. `reply` decides the answer to announces and scrapes; hooks allow misbehaving. */
export class UdpTracker {
  readonly socket: Socket
  readonly requests: UdpRequest[] = []
  /** Datagrams to ignore before answering (simulated loss). */
  drop = 0
  /** Connection id handed out. */
  connectionId = 0x1122334455667788n
  /** Override the answer (return undefined for the default, null for silence). */
  hook: ((req: UdpRequest, rinfo: RemoteInfo) => Buffer | null | undefined) | undefined
  announcePeers: Buffer = Buffer.alloc(0)
  port = 0

  private constructor(readonly family: 4 | 6) {
    this.socket = createSocket(family === 4 ? 'udp4' : 'udp6')
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo))
  }

  static async start(family: 4 | 6 = 4): Promise<UdpTracker> {
    const t = new UdpTracker(family)
    t.socket.bind(0, family === 4 ? '127.0.0.1' : '::1')
    await once(t.socket, 'listening')
    t.port = t.socket.address().port
    return t
  }

  get url(): string {
    return `udp://${this.family === 4 ? '127.0.0.1' : '[::1]'}:${this.port}`
  }

  count(action: number): number {
    return this.requests.filter((r) => r.action === action).length
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()))
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (msg.length < 16) return
    const req: UdpRequest = {
      connectionId: msg.readBigUInt64BE(0),
      action: msg.readUInt32BE(8),
      transactionId: msg.readUInt32BE(12),
      msg,
    }
    this.requests.push(req)
    if (this.drop > 0) {
      this.drop--
      return
    }
    const custom = this.hook?.(req, rinfo)
    if (custom === null) return
    const answer = custom ?? this.defaultAnswer(req)
    this.socket.send(answer, rinfo.port, rinfo.address)
  }

  private defaultAnswer(req: UdpRequest): Buffer {
    const head = (action: number, size: number) => {
      const b = Buffer.alloc(size)
      b.writeUInt32BE(action, 0)
      b.writeUInt32BE(req.transactionId, 4)
      return b
    }
    if (req.action === 0) {
      const b = head(0, 16)
      b.writeBigUInt64BE(this.connectionId, 8)
      return b
    }
    if (req.connectionId !== this.connectionId) {
      return Buffer.concat([head(3, 8), Buffer.from('bad connection id')])
    }
    if (req.action === 1) {
      const b = head(1, 20)
      b.writeUInt32BE(1800, 8)
      b.writeUInt32BE(3, 12) // leechers
      b.writeUInt32BE(7, 16) // seeders
      return Buffer.concat([b, this.announcePeers])
    }
    if (req.action === 2) {
      const n = (req.msg.length - 16) / 20
      const b = head(2, 8 + 12 * n)
      for (let i = 0; i < n; i++) {
        b.writeUInt32BE(10 + i, 8 + 12 * i)
        b.writeUInt32BE(20 + i, 12 + 12 * i)
        b.writeUInt32BE(30 + i, 16 + 12 * i)
      }
      return b
    }
    return Buffer.concat([head(3, 8), Buffer.from('unknown action')])
  }
}

/** Awaits a promise that must reject with a TrackerClientError, and returns that error. */
export async function rejection(p: Promise<unknown>): Promise<TrackerClientError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(TrackerClientError)
  return err as TrackerClientError
}
