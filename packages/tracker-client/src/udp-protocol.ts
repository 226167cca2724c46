import { toHex } from '@p2p/bytes'
import type { IpFamily } from '@p2p/peer-address'
import { TrackerClientError } from './errors.js'
import { byteCount } from './params.js'
import { PeerCollector } from './peer-list.js'
import type { AnnounceParams, AnnounceResponse, ScrapeResponse, ScrapeStats } from './types.js'

/** The magic `protocol_id` of a connect request (BEP 15). */
export const UDP_PROTOCOL_ID = 0x41727101980n
/** UDP tracker actions (BEP 15). */
export const UdpAction = { connect: 0, announce: 1, scrape: 2, error: 3 } as const
/** Most info hashes in one UDP scrape ("up to about 74", BEP 15), so the request fits one datagram. */
export const UDP_MAX_SCRAPE = 74
/** Size of an announce request without options; BEP 41 options start here. */
export const UDP_ANNOUNCE_LENGTH = 98

const EVENT_CODES = { none: 0, completed: 1, started: 2, stopped: 3 } as const
/** BEP 41 option types. */
const OPTION_URL_DATA = 0x2
const URL_DATA_CHUNK = 255

/** Connect request: protocol id, action 0, transaction id. */
export function encodeConnect(transactionId: number): Buffer {
  const b = Buffer.alloc(16)
  b.writeBigUInt64BE(UDP_PROTOCOL_ID, 0)
  b.writeUInt32BE(UdpAction.connect, 8)
  b.writeUInt32BE(transactionId, 12)
  return b
}

/**
 * Announce request (98 bytes), followed by BEP 41 URLData options carrying `urlData` (the URL's path and
 * query) in chunks of at most 255 bytes when it is given.
 */
export function encodeAnnounce(
  connectionId: bigint,
  transactionId: number,
  params: AnnounceParams,
  urlData?: string,
): Buffer {
  const data = urlData ? Buffer.from(urlData, 'utf8') : Buffer.alloc(0)
  const chunks = Math.ceil(data.length / URL_DATA_CHUNK)
  const b = Buffer.alloc(UDP_ANNOUNCE_LENGTH + data.length + chunks * 2)
  b.writeBigUInt64BE(connectionId, 0)
  b.writeUInt32BE(UdpAction.announce, 8)
  b.writeUInt32BE(transactionId, 12)
  b.set(params.infoHash, 16)
  b.set(params.peerId, 36)
  b.writeBigUInt64BE(byteCount(params.downloaded, 'downloaded'), 56)
  b.writeBigUInt64BE(byteCount(params.left, 'left'), 64)
  b.writeBigUInt64BE(byteCount(params.uploaded, 'uploaded'), 72)
  b.writeUInt32BE(EVENT_CODES[params.event ?? 'none'], 80)
  b.writeUInt32BE(0, 84) // IP address: 0 = the packet's source (BEP 15; unusable for IPv6)
  b.writeUInt32BE(params.key ?? 0, 88)
  b.writeInt32BE(params.numwant === undefined ? -1 : Math.min(params.numwant, 0x7fffffff), 92)
  b.writeUInt16BE(params.port, 96)
  let p = UDP_ANNOUNCE_LENGTH
  for (let i = 0; i < data.length; i += URL_DATA_CHUNK) {
    const chunk = data.subarray(i, i + URL_DATA_CHUNK)
    b[p++] = OPTION_URL_DATA
    b[p++] = chunk.length
    b.set(chunk, p)
    p += chunk.length
  }
  return b
}

/** Scrape request for at most {@link UDP_MAX_SCRAPE} info hashes. */
export function encodeScrape(
  connectionId: bigint,
  transactionId: number,
  infoHashes: readonly Uint8Array[],
): Buffer {
  const b = Buffer.alloc(16 + 20 * infoHashes.length)
  b.writeBigUInt64BE(connectionId, 0)
  b.writeUInt32BE(UdpAction.scrape, 8)
  b.writeUInt32BE(transactionId, 12)
  for (const [i, h] of infoHashes.entries()) b.set(h, 16 + 20 * i)
  return b
}

/**
 * Checks the action of a response: an error packet becomes `TRACKER_FAILURE_REASON` with its message,
 * another unexpected action `TRACKER_BAD_RESPONSE`. Packets shorter than `minLength` are rejected.
 */
export function checkAction(msg: Buffer, action: number, minLength: number, url: string): void {
  if (msg.length >= 8 && msg.readUInt32BE(0) === UdpAction.error) {
    const text = msg.subarray(8).toString('utf8').replace(/\0+$/, '')
    throw new TrackerClientError('TRACKER_FAILURE_REASON', `tracker failure: ${text || '(no message)'}`, {
      url,
    })
  }
  if (msg.length < minLength) {
    throw new TrackerClientError(
      'TRACKER_BAD_RESPONSE',
      `UDP tracker response too short: ${msg.length} bytes, expected at least ${minLength}`,
      { url },
    )
  }
  const got = msg.readUInt32BE(0)
  if (got !== action) {
    throw new TrackerClientError('TRACKER_BAD_RESPONSE', `expected UDP action ${action}, got ${got}`, { url })
  }
}

/** The connection id of a connect response. */
export function decodeConnect(msg: Buffer, url: string): bigint {
  checkAction(msg, UdpAction.connect, 16, url)
  return msg.readBigUInt64BE(8)
}

/** An announce response; peers are 6-byte (IPv4) or 18-byte (IPv6) entries, by the socket's family. */
export function decodeAnnounce(
  msg: Buffer,
  family: IpFamily,
  url: string,
  maxPeers: number,
): AnnounceResponse {
  checkAction(msg, UdpAction.announce, 20, url)
  const collector = new PeerCollector(maxPeers)
  collector.addCompact(msg.subarray(20), family)
  return {
    interval: msg.readUInt32BE(8),
    minInterval: undefined,
    incomplete: msg.readUInt32BE(12),
    complete: msg.readUInt32BE(16),
    peers: collector.peers,
    trackerId: undefined,
    warning: undefined,
  }
}

/** A scrape response: one 12-byte entry per requested hash, in order; missing trailing entries are left out. */
export function decodeScrape(msg: Buffer, infoHashes: readonly Uint8Array[], url: string): ScrapeResponse {
  checkAction(msg, UdpAction.scrape, 8, url)
  const files = new Map<string, ScrapeStats>()
  const n = Math.min(infoHashes.length, Math.floor((msg.length - 8) / 12))
  for (let i = 0; i < n; i++) {
    const at = 8 + 12 * i
    files.set(toHex(infoHashes[i]!), {
      complete: msg.readUInt32BE(at),
      downloaded: msg.readUInt32BE(at + 4),
      incomplete: msg.readUInt32BE(at + 8),
    })
  }
  return { files }
}
