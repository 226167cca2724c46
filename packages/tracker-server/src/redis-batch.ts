import { bytesToIp, ipToBytes } from '@p2p/peer-address'
import { CompactResult, peerConflict } from './compact-result.js'
import { TrackerServerError } from './errors.js'
import type { AnnounceEvent, StoreAnnounce, StoredPeer } from './peer-store.js'

const EVENTS: Record<AnnounceEvent, number> = { none: 0, started: 1, completed: 2, stopped: 3 }
/** Bytes of an encoded announce before its record: info hash, peer id, event, numwant, record length. */
const HEAD = 40 + 20 + 1 + 4 + 2
/** Bytes of an answer before its sampled peers: status, three counts, sample length. */
const ANSWER_HEAD = 1 + 4 + 4 + 4 + 4
const NONE = Buffer.alloc(0)

/**
 * One announce in the form the Redis announce script reads (see `ANNOUNCE` in redis-scripts.ts): the
 * hex info hash, peer id, event, numwant, then the peer's record (role, family, compact address, key).
 *
 * @throws {TrackerServerError} `TRACKER_SERVER_BAD_FIELD` for an info hash or peer id of the wrong length.
 * @internal
 */
export function encodeAnnounce(req: StoreAnnounce): Buffer {
  if (req.infoHash.length !== 40 || req.peerId.length !== 20) {
    throw new TrackerServerError('TRACKER_SERVER_BAD_FIELD', 'info hash or peer id of the wrong length')
  }
  const ip = ipToBytes(req.host)
  const key = req.key === undefined ? 0 : req.key.length
  const record = 2 + ip.length + 2 + key
  if (record > 0xffff) {
    throw new TrackerServerError('TRACKER_SERVER_BAD_FIELD', 'announce key too long for the Redis store')
  }
  const out = Buffer.allocUnsafe(HEAD + record)
  out.write(req.infoHash, 0, 40, 'latin1')
  out.set(req.peerId, 40)
  out[60] = EVENTS[req.event]
  out.writeUInt32BE(req.numwant, 61)
  out.writeUInt16BE(record, 65)
  out[67] = req.seeder ? 0x31 : 0x30
  out[68] = ip.length === 4 ? 0x34 : 0x36
  out.set(ip, 69)
  out.writeUInt16BE(req.port, 69 + ip.length)
  if (key > 0) out.write(req.key!, 71 + ip.length, 'latin1')
  return out
}

/**
 * Reads the answer to one announce from `reply` at `at`: a {@link CompactResult} with up to `numwant`
 * sampled peers of the wanted families other than `self` (or the refusal of a peer id that moved without
 * its key), and where the next answer starts.
 * @internal
 */
export function decodeAnswer(
  reply: Buffer,
  at: number,
  self: Uint8Array,
  numwant: number,
  families: readonly (4 | 6)[],
): { result: CompactResult | TrackerServerError; next: number } {
  if (at + ANSWER_HEAD > reply.length) {
    return { result: shortAnswer(), next: reply.length }
  }
  const sampleEnd = at + ANSWER_HEAD + reply.readUInt32BE(at + 13)
  if (sampleEnd > reply.length) return { result: shortAnswer(), next: reply.length }
  if (reply[at] !== 0) return { result: peerConflict(), next: sampleEnd }
  const v4 = families.includes(4)
  const v6 = families.includes(6)
  // Members are peer id (20), role, family, compact address (6 or 18): pick their offsets first.
  const picked: number[] = []
  let n4 = 0
  let n6 = 0
  for (let m = at + ANSWER_HEAD; m + 22 <= sampleEnd && n4 + n6 < numwant; ) {
    const family = reply[m + 21]
    const size = family === 0x34 ? 28 : family === 0x36 ? 40 : 0
    if (size === 0 || m + size > sampleEnd) break
    if ((family === 0x34 ? v4 : v6) && !sameId(reply, m, self)) {
      picked.push(m)
      if (family === 0x34) n4++
      else n6++
    }
    m += size
  }
  const compact4 = n4 === 0 ? NONE : Buffer.allocUnsafe(n4 * 6)
  const compact6 = n6 === 0 ? NONE : Buffer.allocUnsafe(n6 * 18)
  let o4 = 0
  let o6 = 0
  for (const m of picked) {
    if (reply[m + 21] === 0x34) o4 += reply.copy(compact4, o4, m + 22, m + 28)
    else o6 += reply.copy(compact6, o6, m + 22, m + 40)
  }
  const result = new CompactResult(
    Math.max(0, reply.readInt32BE(at + 1)),
    Math.max(0, reply.readInt32BE(at + 5)),
    Math.max(0, reply.readInt32BE(at + 9)),
    compact4,
    compact6,
    () => peersOf(reply, picked),
  )
  return { result, next: sampleEnd }
}

function shortAnswer(): TrackerServerError {
  return new TrackerServerError('TRACKER_SERVER_STORE', 'short answer from the Redis announce script')
}

function sameId(reply: Buffer, at: number, id: Uint8Array): boolean {
  for (let i = 0; i < 20; i++) if (reply[at + i] !== id[i]) return false
  return true
}

/** The picked members as peers, IPv4 ones first (the order of the compact lists). */
function peersOf(reply: Buffer, picked: readonly number[]): StoredPeer[] {
  const list: StoredPeer[] = []
  for (const family of [4, 6] as const) {
    const tag = family === 4 ? 0x34 : 0x36
    const size = family === 4 ? 6 : 18
    for (const m of picked) {
      if (reply[m + 21] !== tag) continue
      const compact = reply.subarray(m + 22, m + 22 + size)
      list.push({
        peerId: reply.subarray(m, m + 20),
        host: bytesToIp(compact.subarray(0, size - 2)),
        port: compact.readUInt16BE(size - 2),
        family,
        compact,
      })
    }
  }
  return list
}
