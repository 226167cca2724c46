import { bytesToIp } from '@p2p/peer-address'
import { TrackerServerError, type TrackerServerErrorCode } from './errors.js'
import type { AnnounceEvent, StoreAnnounce, StoredPeer } from './peer-store.js'

/** A forwarded announce's answer as it crosses a shard link: counts, compact lists, and peers if asked for. */
export interface ShardAnnounceAnswer {
  complete: number
  incomplete: number
  downloaded: number
  compact4: Uint8Array
  compact6: Uint8Array
  /** Empty when the call had `compactOnly`. */
  peers: StoredPeer[]
}

/** One decoded answer: the call id and the answer or the refusal. */
export type AnnounceReply = [id: number, answer: ShardAnnounceAnswer | TrackerServerError]

const EVENTS: readonly AnnounceEvent[] = ['none', 'completed', 'started', 'stopped']
const SEEDER = 1
const COMPACT_ONLY = 2
const WANT4 = 4
const WANT6 = 8
const FAMILY6 = 16
const HAS_KEY = 32

/**
 * A batch of forwarded announces in a compact binary form (a few bytes over the info hash and peer id each):
 * the hot path of a memory-store cluster, where a structured-clone copy costs several times more.
 */
export function encodeAnnounceCalls(calls: readonly [id: number, req: StoreAnnounce][]): Buffer {
  let size = 4
  for (const [, r] of calls)
    size += 4 + 20 + 20 + 1 + 1 + 2 + 4 + 1 + r.host.length + 1 + (r.key?.length ?? 0)
  const b = Buffer.allocUnsafe(size)
  let p = b.writeUInt32BE(calls.length, 0)
  for (const [id, r] of calls) {
    p = b.writeUInt32BE(id, p)
    p += b.write(r.infoHash, p, 20, 'hex')
    b.set(r.peerId.subarray(0, 20), p)
    p += 20
    b[p++] =
      (r.seeder ? SEEDER : 0) |
      (r.compactOnly ? COMPACT_ONLY : 0) |
      (r.families.includes(4) ? WANT4 : 0) |
      (r.families.includes(6) ? WANT6 : 0) |
      (r.family === 6 ? FAMILY6 : 0) |
      (r.key !== undefined ? HAS_KEY : 0)
    b[p++] = EVENTS.indexOf(r.event)
    p = b.writeUInt16BE(r.port, p)
    p = b.writeUInt32BE(r.numwant, p)
    b[p++] = r.host.length
    p += b.write(r.host, p, 'latin1')
    b[p++] = r.key?.length ?? 0
    if (r.key !== undefined) p += b.write(r.key, p, 'latin1')
  }
  return b.subarray(0, p)
}

/** Reads what {@link encodeAnnounceCalls} wrote. @throws {RangeError} on a truncated batch. */
export function decodeAnnounceCalls(b: Buffer): [id: number, req: StoreAnnounce][] {
  const n = b.readUInt32BE(0)
  const out: [number, StoreAnnounce][] = []
  let p = 4
  for (let i = 0; i < n; i++) {
    const id = b.readUInt32BE(p)
    const infoHash = b.toString('hex', p + 4, p + 24)
    need(b, p + 53)
    const peerId = Buffer.from(b.subarray(p + 24, p + 44))
    const flags = b[p + 44]!
    const event = EVENTS[b[p + 45]!]
    if (event === undefined) throw new RangeError('bad event in announce batch')
    const port = b.readUInt16BE(p + 46)
    const numwant = b.readUInt32BE(p + 48)
    const hostLen = b[p + 52]!
    p += 53
    const host = b.toString('latin1', p, p + hostLen)
    p += hostLen
    const keyLen = b[p++]!
    const key = flags & HAS_KEY ? b.toString('latin1', p, p + keyLen) : undefined
    p += keyLen
    need(b, p)
    const families: (4 | 6)[] = []
    if (flags & WANT4) families.push(4)
    if (flags & WANT6) families.push(6)
    out.push([
      id,
      {
        infoHash,
        peerId,
        host,
        family: flags & FAMILY6 ? 6 : 4,
        port,
        ...(key === undefined ? {} : { key }),
        seeder: (flags & SEEDER) !== 0,
        event,
        numwant,
        families,
        compactOnly: (flags & COMPACT_ONLY) !== 0,
      },
    ])
  }
  return out
}

/** A batch of announce answers (or refusals, with their code) in binary form. */
export function encodeAnnounceReplies(replies: readonly AnnounceReply[]): Buffer {
  const parts: Buffer[] = []
  const head = Buffer.allocUnsafe(4)
  head.writeUInt32BE(replies.length, 0)
  parts.push(head)
  for (const [id, a] of replies) {
    if (a instanceof TrackerServerError) {
      const text = Buffer.from(`${a.code}\n${a.message}`)
      const h = Buffer.allocUnsafe(9)
      h.writeUInt32BE(id, 0)
      h[4] = 1
      h.writeUInt32BE(text.length, 5)
      parts.push(h, text)
      continue
    }
    const h = Buffer.allocUnsafe(4 + 1 + 12 + 4 + 4 + 4)
    h.writeUInt32BE(id, 0)
    h[4] = 0
    h.writeUInt32BE(Math.min(a.complete, 0xffffffff), 5)
    h.writeUInt32BE(Math.min(a.incomplete, 0xffffffff), 9)
    h.writeUInt32BE(Math.min(a.downloaded, 0xffffffff), 13)
    h.writeUInt32BE(a.compact4.length, 17)
    h.writeUInt32BE(a.compact6.length, 21)
    h.writeUInt32BE(a.peers.length, 25)
    parts.push(h, Buffer.from(a.compact4.buffer, a.compact4.byteOffset, a.compact4.byteLength))
    parts.push(Buffer.from(a.compact6.buffer, a.compact6.byteOffset, a.compact6.byteLength))
    for (const peer of a.peers) {
      const rec = Buffer.allocUnsafe(1 + 20 + peer.compact.length)
      rec[0] = peer.family
      rec.set(peer.peerId.subarray(0, 20), 1)
      rec.set(peer.compact, 21)
      parts.push(rec)
    }
  }
  return Buffer.concat(parts)
}

/** Reads what {@link encodeAnnounceReplies} wrote. @throws {RangeError} on a truncated batch. */
export function decodeAnnounceReplies(b: Buffer): AnnounceReply[] {
  const n = b.readUInt32BE(0)
  const out: AnnounceReply[] = []
  let p = 4
  for (let i = 0; i < n; i++) {
    const id = b.readUInt32BE(p)
    if (b[p + 4] === 1) {
      const len = b.readUInt32BE(p + 5)
      need(b, p + 9 + len)
      const text = b.toString('utf8', p + 9, p + 9 + len)
      p += 9 + len
      const nl = text.indexOf('\n')
      out.push([id, new TrackerServerError(text.slice(0, nl) as TrackerServerErrorCode, text.slice(nl + 1))])
      continue
    }
    const complete = b.readUInt32BE(p + 5)
    const incomplete = b.readUInt32BE(p + 9)
    const downloaded = b.readUInt32BE(p + 13)
    const l4 = b.readUInt32BE(p + 17)
    const l6 = b.readUInt32BE(p + 21)
    const count = b.readUInt32BE(p + 25)
    p += 29
    need(b, p + l4 + l6)
    const compact4 = Buffer.from(b.subarray(p, p + l4))
    p += l4
    const compact6 = Buffer.from(b.subarray(p, p + l6))
    p += l6
    const peers: StoredPeer[] = []
    for (let k = 0; k < count; k++) {
      const family = b[p] === 6 ? 6 : 4
      const size = family === 4 ? 6 : 18
      need(b, p + 21 + size)
      const compact = Buffer.from(b.subarray(p + 21, p + 21 + size))
      peers.push({
        peerId: Buffer.from(b.subarray(p + 1, p + 21)),
        host: bytesToIp(compact.subarray(0, size - 2)),
        port: compact.readUInt16BE(size - 2),
        family,
        compact,
      })
      p += 21 + size
    }
    out.push([id, { complete, incomplete, downloaded, compact4, compact6, peers }])
  }
  return out
}

/** @throws {RangeError} when a batch ends before `end`. */
function need(b: Buffer, end: number): void {
  if (end > b.length) throw new RangeError('truncated shard link batch')
}
