import type { RemoteInfo, Socket } from 'node:dgram'
import {
  type AnnounceRequest,
  checkPort,
  INFO_HASH_LENGTH,
  normalizeKey,
  refuse,
} from './announce-request.js'
import type { ConnectionIds } from './connection-id.js'
import type { TrackerCore } from './core.js'
import { TrackerServerError } from './errors.js'
import { sourceIp } from './ip-cache.js'
import {
  type AnnounceEvent,
  compactLists,
  isPromise,
  type StoreAnnounceResult,
  type SwarmCounts,
} from './peer-store.js'

/** The magic `protocol_id` of a BEP 15 connect request. */
export const UDP_PROTOCOL_ID = 0x41727101980n
/** BEP 15 actions. */
export const UDP_ACTION = { connect: 0, announce: 1, scrape: 2, error: 3 } as const
/** Length of an announce request without BEP 41 options. */
export const UDP_ANNOUNCE_LENGTH = 98
/** Most info hashes answered in one UDP scrape (BEP 15: "up to about 74"). */
export const UDP_MAX_SCRAPE = 74

const EVENTS: readonly AnnounceEvent[] = ['none', 'completed', 'started', 'stopped']
/** BEP 41 option types. */
const OPT_END = 0
const OPT_NOP = 1
const OPT_URL_DATA = 2

/**
 * Reads BEP 41 options after the 98-byte announce: the URLData chunks concatenated (the announce URL's
 * path and query). Parsing stops at EndOfOptions, an unknown option or a truncated one.
 */
export function parseUrlData(msg: Uint8Array, start = UDP_ANNOUNCE_LENGTH): string | undefined {
  const parts: Uint8Array[] = []
  let p = start
  while (p < msg.length) {
    const type = msg[p]!
    if (type === OPT_END) break
    if (type === OPT_NOP) {
      p++
      continue
    }
    if (type !== OPT_URL_DATA || p + 1 >= msg.length) break
    const len = msg[p + 1]!
    if (p + 2 + len > msg.length) break
    parts.push(msg.subarray(p + 2, p + 2 + len))
    p += 2 + len
  }
  return parts.length ? Buffer.concat(parts).toString('latin1') : undefined
}

/** Decodes the fixed part of a UDP announce (the connection id is checked by the caller). */
export function parseUdpAnnounce(msg: Buffer): AnnounceRequest & { ip: number } {
  if (msg.length < UDP_ANNOUNCE_LENGTH) {
    refuse(
      'TRACKER_SERVER_BAD_PACKET',
      `announce must be at least ${UDP_ANNOUNCE_LENGTH} bytes, got ${msg.length}`,
    )
  }
  const eventCode = msg.readUInt32BE(80)
  const event = EVENTS[eventCode]
  if (event === undefined) refuse('TRACKER_SERVER_BAD_EVENT', `unknown event ${eventCode}`)
  const numwant = msg.readInt32BE(92)
  return {
    // Views: every datagram is a fresh buffer, and the stores copy what they keep.
    infoHash: msg.subarray(16, 16 + INFO_HASH_LENGTH),
    peerId: msg.subarray(36, 56),
    downloaded: msg.readBigUInt64BE(56),
    left: msg.readBigUInt64BE(64),
    uploaded: msg.readBigUInt64BE(72),
    event,
    ip: msg.readUInt32BE(84),
    key: normalizeKey(msg.readUInt32BE(88)),
    numwant: numwant < 0 ? undefined : numwant,
    port: checkPort(msg.readUInt16BE(96)),
  }
}

/** An error packet: action 3, the transaction id, the message. */
export function errorPacket(transactionId: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8')
  const b = Buffer.allocUnsafe(8 + text.length)
  b.writeUInt32BE(UDP_ACTION.error, 0)
  b.writeUInt32BE(transactionId, 4)
  text.copy(b, 8)
  return b
}

/** An announce answer with peers of one family (6 bytes each for IPv4, 18 for IPv6). */
export function announcePacket(
  transactionId: number,
  interval: number,
  result: StoreAnnounceResult,
  family: 4 | 6,
): Buffer {
  const peers = compactLists(result)[family === 4 ? 0 : 1]
  const b = Buffer.allocUnsafe(20 + peers.length)
  b.writeUInt32BE(UDP_ACTION.announce, 0)
  b.writeUInt32BE(transactionId, 4)
  b.writeUInt32BE(interval, 8)
  b.writeUInt32BE(Math.min(result.incomplete, 0xffffffff), 12)
  b.writeUInt32BE(Math.min(result.complete, 0xffffffff), 16)
  b.set(peers, 20)
  return b
}

/** A scrape answer: seeders, completed, leechers per hash. */
export function scrapePacket(transactionId: number, counts: readonly SwarmCounts[]): Buffer {
  const b = Buffer.allocUnsafe(8 + 12 * counts.length)
  b.writeUInt32BE(UDP_ACTION.scrape, 0)
  b.writeUInt32BE(transactionId, 4)
  for (const [i, c] of counts.entries()) {
    b.writeUInt32BE(Math.min(c.complete, 0xffffffff), 8 + 12 * i)
    b.writeUInt32BE(Math.min(c.downloaded, 0xffffffff), 12 + 12 * i)
    b.writeUInt32BE(Math.min(c.incomplete, 0xffffffff), 16 + 12 * i)
  }
  return b
}

/**
 * The datagram handler of one UDP socket (BEP 15). Connection ids are stateless MACs; every bad packet
 * that carries a transaction id gets an error packet, shorter ones are dropped.
 */
export function createUdpHandler(core: TrackerCore, ids: ConnectionIds, socket: Socket, maxPacket: number) {
  // No send callback: Node then skips tracking each send; a failed send (client gone, socket closing)
  // surfaces as the socket's 'error' event, which the server logs.
  const reply = (b: Buffer, rinfo: RemoteInfo) => {
    try {
      socket.send(b, rinfo.port, rinfo.address)
    } catch {
      // The socket closed while an async store answered: nothing to send to.
    }
  }
  return (msg: Buffer, rinfo: RemoteInfo): void => {
    let host: string
    try {
      host = sourceIp(rinfo.address)
    } catch {
      return
    }
    if (msg.length < 16) {
      core.counters.failed('TRACKER_SERVER_BAD_PACKET')
      return // no transaction id to answer to
    }
    const transactionId = msg.readUInt32BE(12)
    try {
      if (msg.length > maxPacket) refuse('TRACKER_SERVER_BAD_PACKET', `packet larger than ${maxPacket} bytes`)
      if (!core.admit(host))
        throw new TrackerServerError('TRACKER_SERVER_RATE_LIMITED', 'too many requests, slow down')
      const action = msg.readUInt32BE(8)
      if (action === UDP_ACTION.connect) {
        if (msg.readBigUInt64BE(0) !== UDP_PROTOCOL_ID) refuse('TRACKER_SERVER_BAD_PACKET', 'bad protocol id')
        const b = Buffer.allocUnsafe(16)
        b.writeUInt32BE(UDP_ACTION.connect, 0)
        b.writeUInt32BE(transactionId, 4)
        ids.issue(host).copy(b, 8)
        core.counters.udpConnects++
        return reply(b, rinfo)
      }
      if (action !== UDP_ACTION.announce && action !== UDP_ACTION.scrape) {
        refuse('TRACKER_SERVER_BAD_PACKET', `unknown action ${action}`)
      }
      if (!ids.verify(msg.subarray(0, 8), host))
        refuse('TRACKER_SERVER_BAD_PACKET', 'bad or expired connection id')
      const fail = (err: unknown) => reply(errorPacket(transactionId, core.failure(err, 'udp', host)), rinfo)
      if (action === UDP_ACTION.announce) {
        const a = parseUdpAnnounce(msg)
        let peerHost = host
        if (core.trustIpParam && a.ip !== 0 && !host.includes(':')) {
          peerHost = `${a.ip >>> 24}.${(a.ip >>> 16) & 255}.${(a.ip >>> 8) & 255}.${a.ip & 255}`
        }
        const family = host.includes(':') ? 6 : 4
        const urlData = msg.length > UDP_ANNOUNCE_LENGTH ? parseUrlData(msg) : undefined
        const done = (r: StoreAnnounceResult) =>
          reply(announcePacket(transactionId, core.interval, r, family), rinfo)
        const r = core.announce(a, peerHost, 'udp', [family], true, urlData)
        if (isPromise(r)) r.then(done, fail)
        else done(r)
        return
      }
      const n = Math.floor((msg.length - 16) / INFO_HASH_LENGTH)
      if (n === 0) refuse('TRACKER_SERVER_BAD_SCRAPE', 'scrape without info hashes')
      const hexes: string[] = []
      for (let i = 0; i < Math.min(n, UDP_MAX_SCRAPE); i++) {
        hexes.push(msg.toString('hex', 16 + INFO_HASH_LENGTH * i, 36 + INFO_HASH_LENGTH * i))
      }
      const done = (counts: SwarmCounts[]) => reply(scrapePacket(transactionId, counts), rinfo)
      const r = core.scrape(hexes, host, 'udp')
      if (isPromise(r)) r.then(done, fail)
      else done(r)
    } catch (err) {
      reply(errorPacket(transactionId, core.failure(err, 'udp', host)), rinfo)
    }
  }
}
