import { randomBytes } from 'node:crypto'
import { bytesToIp } from '@p2p/peer-address'
import { CompactResult } from './compact-result.js'
import type { StoreAnnounce, StoredPeer, SwarmCounts } from './peer-store.js'

// One peer is one fixed-size record in its swarm's one ArrayBuffer (no object, string or Map entry per
// peer): records are dense (slots 0..size-1, a removal moves the last record into the hole), found by
// peer id through an open-addressing hash table of slot numbers (in the same buffer, after the records),
// and chained in least-recently-seen order (for expiry and the per-torrent cap). Byte offsets in a record:
/** Bytes per record (a multiple of 4: records are read as int32 words too). */
const STRIDE = 64
/** float64 (as two int32 words, see {@link seenAsWords}): time of the last announce, ms. */
const SEEN = 0
/** int32: the announce key when it is the number form (`KEY_NUMBER`). */
const KEY = 8
/** int32: hash of the peer id. */
const HASH = 12
/** int32: slot seen just before, -1 for the least recently seen. */
const PREV = 16
/** int32: slot seen just after, -1 for the most recently seen. */
const NEXT = 20
/** 20 bytes: peer id. */
const ID = 24
/** 6 or 18 bytes: compact address (IP bytes, port big-endian). */
const ADDR = 44
/** uint8: length of the compact address, 6 (IPv4) or 18 (IPv6). */
const ADDR_LEN = 62
/** uint8: bit 0 seeder, bits 1-2 the kind of announce key (`KEY_*`). */
const FLAGS = 63
/** Int32 words per record. */
const WORDS = STRIDE / 4

/** Length of a peer id, bytes. */
export const PEER_ID_LENGTH = 20

const SEEDER = 1
const KEY_SHIFT = 1
/** No announce key recorded. */
const KEY_NONE = 0
/** The key is the normalised number form (lower-case hex of a uint32, as UDP sends): kept in `KEY`. */
const KEY_NUMBER = 1
/** Any other key: kept in the swarm's `texts` by slot (rare: HTTP keys that are not up to 8 hex digits). */
const KEY_TEXT = 2

/** Records of a new swarm (doubles as it grows, halves when a quarter full). */
const MIN_CAPACITY = 1

/** Per-process hash seed, so peer ids that collide cannot be chosen from outside. */
const SEED = randomBytes(4).readInt32LE(0)

/** Empty compact lists, shared. */
const NONE = Buffer.alloc(0)
const noPeers = (): StoredPeer[] => []

/** A `SEEN` time as a float64 and as the two int32 words a record keeps it in (one view less per swarm). */
const seenAsNumber = new Float64Array(1)
const seenAsWords = new Int32Array(seenAsNumber.buffer)

/** Slots picked by {@link Swarm.pick} (the store is synchronous, so one list is enough). */
let scratch = new Int32Array(64)

/** Numbers kept per picked peer for `peers`: its address length, then its id as 5 int32 words. */
const PICKED = 6

/** Hash of a 20-byte peer id (seeded FNV-1a with a final mix). */
export function hashPeerId(id: Uint8Array): number {
  let h = SEED
  for (let i = 0; i < PEER_ID_LENGTH; i++) h = Math.imul(h ^ id[i]!, 0x01000193)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  return h ^ (h >>> 12)
}

/**
 * The peers of one torrent, as records in one ArrayBuffer (see the layout above), with its counts.
 * Slots are only valid until the next removal.
 * @internal
 */
export class Swarm {
  /** Peers held. */
  size = 0
  /** Seeders among them. */
  seeders = 0
  /** Completed downloads seen. */
  downloaded = 0
  /** Announced since the eviction clock last passed (second-chance eviction of torrents). */
  touched = true
  /** Least recently seen slot, -1 when empty. */
  head = -1
  /** Most recently seen slot, -1 when empty. */
  #tail = -1
  #capacity = 0
  #bytes!: Uint8Array
  #words!: Int32Array
  /**
   * Where in `words` the hash table starts, after the records: open addressing (linear probing) of
   * slot + 1 by id hash, 0 = empty, twice the capacity.
   */
  #table = 0
  #mask = 0
  /** Keys of kind `KEY_TEXT`, by slot. */
  #texts: Map<number, string> | undefined

  constructor() {
    this.#resize(MIN_CAPACITY)
  }

  /** Seeders, leechers and downloads, as a scrape gives them. */
  counts(): SwarmCounts {
    return { complete: this.seeders, incomplete: this.size - this.seeders, downloaded: this.downloaded }
  }

  /** The slot of a peer id (`hash` from {@link hashPeerId}), or -1. */
  find(id: Uint8Array, hash: number): number {
    const table = this.#table
    const mask = this.#mask
    const words = this.#words
    const bytes = this.#bytes
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const e = words[table + i]!
      if (e === 0) return -1
      const s = e - 1
      if (words[s * WORDS + HASH / 4] === hash && sameId(bytes, s * STRIDE + ID, id)) return s
    }
  }

  /** When a slot's peer was last seen, ms. */
  seenAt(slot: number): number {
    seenAsWords[0] = this.#words[slot * WORDS + SEEN / 4]!
    seenAsWords[1] = this.#words[slot * WORDS + SEEN / 4 + 1]!
    return seenAsNumber[0]!
  }

  /** Whether a slot's peer last announced as a seeder. */
  isSeeder(slot: number): boolean {
    return (this.#bytes[slot * STRIDE + FLAGS]! & SEEDER) !== 0
  }

  /** Whether a slot's peer has this IP (4 or 16 bytes), ports aside. */
  hasIp(slot: number, ip: Uint8Array): boolean {
    const o = slot * STRIDE
    const b = this.#bytes
    if (b[o + ADDR_LEN] !== ip.length + 2) return false
    for (let k = 0; k < ip.length; k++) if (b[o + ADDR + k] !== ip[k]) return false
    return true
  }

  /** Whether a slot's peer was recorded with this announce key (never when either has none). */
  hasKey(slot: number, key: string | undefined): boolean {
    const kind = this.#bytes[slot * STRIDE + FLAGS]! >> KEY_SHIFT
    if (kind === KEY_NONE || key === undefined) return false
    if (kind === KEY_TEXT) return this.#texts!.get(slot) === key
    const n = keyNumber(key)
    return n >= 0 && (n | 0) === this.#words[slot * WORDS + KEY / 4]
  }

  /** Records a new peer as the most recently seen; returns its slot. */
  add(
    id: Uint8Array,
    hash: number,
    ip: Uint8Array,
    port: number,
    seeder: boolean,
    key: string | undefined,
    now: number,
  ): number {
    if (this.size === this.#capacity) this.#resize(this.#capacity * 2)
    const s = this.size++
    const o = s * STRIDE
    const b = this.#bytes
    for (let k = 0; k < PEER_ID_LENGTH; k++) b[o + ID + k] = id[k]!
    this.#words[s * WORDS + HASH / 4] = hash
    b[o + FLAGS] = KEY_NONE << KEY_SHIFT
    this.#insert(s, hash)
    this.#append(s)
    this.#write(s, ip, port, seeder, key, now)
    return s
  }

  /** Updates a known peer and makes it the most recently seen (the key only when one is given). */
  refresh(
    slot: number,
    ip: Uint8Array,
    port: number,
    seeder: boolean,
    key: string | undefined,
    now: number,
  ): void {
    if (this.isSeeder(slot)) this.seeders--
    if (slot !== this.#tail) {
      this.#unlink(slot)
      this.#append(slot)
    }
    this.#write(slot, ip, port, seeder, key, now)
  }

  /** Removes a peer (the last record moves into its slot); returns whether it was a seeder. */
  remove(slot: number): boolean {
    const seeder = this.isSeeder(slot)
    if (seeder) this.seeders--
    this.#unhash(this.#position(slot))
    this.#unlink(slot)
    this.#texts?.delete(slot)
    const last = --this.size
    if (slot !== last) this.#move(last, slot)
    if (this.#capacity > MIN_CAPACITY && this.size <= this.#capacity / 4) this.#resize(this.#capacity / 2)
    return seeder
  }

  /**
   * Up to `numwant` peers of the wanted families other than `self`, from a random starting point
   * (seeders get leechers only when there are enough of them), as compact bytes; `peers` is empty
   * for a `compactOnly` announce.
   */
  pick(self: number, req: StoreAnnounce): CompactResult {
    const n = this.size
    const want = Math.min(req.numwant, n - 1)
    const complete = this.seeders
    const incomplete = n - this.seeders
    if (want <= 0) return new CompactResult(complete, incomplete, this.downloaded, NONE, NONE, noPeers)
    const v4 = req.families.includes(4)
    const v6 = req.families.includes(6)
    const skipSeeders = req.seeder && n - this.seeders >= want
    if (scratch.length < want) scratch = new Int32Array(Math.max(Math.ceil(want), scratch.length * 2))
    const b = this.#bytes
    let n4 = 0
    let n6 = 0
    let i = (Math.random() * n) | 0
    for (let seen = 0; seen < n && n4 + n6 < want; seen++, i = i + 1 === n ? 0 : i + 1) {
      const o = i * STRIDE
      if (i === self || (skipSeeders && (b[o + FLAGS]! & SEEDER) !== 0)) continue
      if (b[o + ADDR_LEN] === 6) {
        if (!v4) continue
        n4++
      } else {
        if (!v6) continue
        n6++
      }
      scratch[n4 + n6 - 1] = i
    }
    const c4 = n4 === 0 ? NONE : Buffer.allocUnsafe(n4 * 6)
    const c6 = n6 === 0 ? NONE : Buffer.allocUnsafe(n6 * 18)
    // The picked peers' address lengths and ids (as 5 int32 words), for `peers` if someone may read them.
    const ids: number[] | undefined = req.compactOnly ? undefined : new Array((n4 + n6) * PICKED)
    const w = this.#words
    let a4 = 0
    let a6 = 0
    for (let k = 0, d = 0; k < n4 + n6; k++) {
      const s = scratch[k]!
      const o = s * STRIDE
      const len = b[o + ADDR_LEN]!
      if (len === 6) {
        for (let j = 0; j < 6; j++) c4[a4++] = b[o + ADDR + j]!
      } else {
        for (let j = 0; j < 18; j++) c6[a6++] = b[o + ADDR + j]!
      }
      if (ids === undefined) continue
      ids[d++] = len
      for (let j = s * WORDS + ID / 4; j < s * WORDS + ID / 4 + PICKED - 1; j++) ids[d++] = w[j]!
    }
    const build = ids === undefined ? noPeers : () => materialise(ids, c4, c6)
    return new CompactResult(complete, incomplete, this.downloaded, c4, c6, build)
  }

  /** Writes the announce's fields into a slot. */
  #write(
    s: number,
    ip: Uint8Array,
    port: number,
    seeder: boolean,
    key: string | undefined,
    now: number,
  ): void {
    const o = s * STRIDE
    const b = this.#bytes
    for (let k = 0; k < ip.length; k++) b[o + ADDR + k] = ip[k]!
    b[o + ADDR + ip.length] = port >> 8
    b[o + ADDR + ip.length + 1] = port & 0xff
    b[o + ADDR_LEN] = ip.length + 2
    seenAsNumber[0] = now
    this.#words[s * WORDS + SEEN / 4] = seenAsWords[0]!
    this.#words[s * WORDS + SEEN / 4 + 1] = seenAsWords[1]!
    let flags = b[o + FLAGS]! & ~SEEDER
    if (seeder) {
      flags |= SEEDER
      this.seeders++
    }
    if (key !== undefined) {
      if (flags >> KEY_SHIFT === KEY_TEXT) this.#texts!.delete(s)
      const n = keyNumber(key)
      if (n >= 0) {
        this.#words[s * WORDS + KEY / 4] = n | 0
        flags = (flags & SEEDER) | (KEY_NUMBER << KEY_SHIFT)
      } else {
        this.#texts ??= new Map()
        this.#texts.set(s, key)
        flags = (flags & SEEDER) | (KEY_TEXT << KEY_SHIFT)
      }
    }
    b[o + FLAGS] = flags
  }

  /** Moves record `from` (the last) into the free slot `to`, keeping its links and table entry. */
  #move(from: number, to: number): void {
    this.#bytes.copyWithin(to * STRIDE, from * STRIDE, (from + 1) * STRIDE)
    const w = this.#words
    this.#setNext(w[to * WORDS + PREV / 4]!, to)
    this.#setPrev(w[to * WORDS + NEXT / 4]!, to)
    w[this.#table + this.#position(from)] = to + 1
    const text = this.#texts?.get(from)
    if (text !== undefined) {
      this.#texts!.delete(from)
      this.#texts!.set(to, text)
    }
  }

  /** Index in the table of a slot's entry. */
  #position(slot: number): number {
    const table = this.#table
    const mask = this.#mask
    const words = this.#words
    let i = words[slot * WORDS + HASH / 4]! & mask
    while (words[table + i] !== slot + 1) i = (i + 1) & mask
    return i
  }

  #insert(slot: number, hash: number): void {
    const table = this.#table
    const mask = this.#mask
    const words = this.#words
    let i = hash & mask
    while (words[table + i] !== 0) i = (i + 1) & mask
    words[table + i] = slot + 1
  }

  /** Empties table index `i`, shifting back the entries after it that probed past it. */
  #unhash(i: number): void {
    const table = this.#table
    const mask = this.#mask
    const words = this.#words
    for (let j = (i + 1) & mask; words[table + j] !== 0; j = (j + 1) & mask) {
      const e = words[table + j]!
      const home = words[(e - 1) * WORDS + HASH / 4]! & mask
      // The entry may fill the hole unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        words[table + i] = e
        i = j
      }
    }
    words[table + i] = 0
  }

  #append(s: number): void {
    const w = this.#words
    w[s * WORDS + PREV / 4] = this.#tail
    w[s * WORDS + NEXT / 4] = -1
    this.#setNext(this.#tail, s)
    this.#tail = s
  }

  #unlink(s: number): void {
    const w = this.#words
    const prev = w[s * WORDS + PREV / 4]!
    const next = w[s * WORDS + NEXT / 4]!
    this.#setNext(prev, next)
    this.#setPrev(next, prev)
  }

  /** Points the record before a link (`s`; -1 = the chain's head) at `v`. */
  #setNext(s: number, v: number): void {
    if (s === -1) this.head = v
    else this.#words[s * WORDS + NEXT / 4] = v
  }

  /** Points the record after a link (`s`; -1 = the chain's tail) back at `v`. */
  #setPrev(s: number, v: number): void {
    if (s === -1) this.#tail = v
    else this.#words[s * WORDS + PREV / 4] = v
  }

  /** New storage for `capacity` records and the table after them (records and links kept, the table rebuilt). */
  #resize(capacity: number): void {
    const buffer = new ArrayBuffer(capacity * (STRIDE + 2 * 4))
    const bytes = new Uint8Array(buffer)
    if (this.size > 0) bytes.set(this.#bytes.subarray(0, this.size * STRIDE))
    this.#capacity = capacity
    this.#bytes = bytes
    this.#words = new Int32Array(buffer)
    this.#table = capacity * WORDS
    this.#mask = capacity * 2 - 1
    for (let s = 0; s < this.size; s++) this.#insert(s, this.#words[s * WORDS + HASH / 4]!)
  }
}

/** Whether the 20 bytes at `o` are `id`. */
function sameId(b: Uint8Array, o: number, id: Uint8Array): boolean {
  for (let k = 0; k < PEER_ID_LENGTH; k++) if (b[o + k] !== id[k]) return false
  return true
}

/**
 * The value of a key in the normalised number form (lower-case hex of a uint32 without leading zeros,
 * which is what every UDP key and short hex HTTP key become), or -1 for any other key.
 */
function keyNumber(key: string): number {
  const n = key.length
  if (n === 0 || n > 8 || (n > 1 && key.charCodeAt(0) === 0x30)) return -1
  let v = 0
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i)
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1
    if (d < 0) return -1
    v = v * 16 + d
  }
  return v
}

/** The picked peers as objects: ids from `ids` (see {@link PICKED}), addresses in turn from `c4`/`c6`. */
function materialise(ids: readonly number[], c4: Buffer, c6: Buffer): StoredPeer[] {
  const peers: StoredPeer[] = []
  let a4 = 0
  let a6 = 0
  for (let d = 0; d < ids.length; d += PICKED) {
    const n = ids[d]!
    const from = n === 6 ? a4 : a6
    if (n === 6) a4 += 6
    else a6 += 18
    const compact = Buffer.from((n === 6 ? c4 : c6).subarray(from, from + n))
    const words = new Int32Array(PICKED - 1)
    for (let j = 0; j < PICKED - 1; j++) words[j] = ids[d + 1 + j]!
    peers.push({
      peerId: Buffer.from(words.buffer),
      host: bytesToIp(compact.subarray(0, n - 2)),
      port: (compact[n - 2]! << 8) | compact[n - 1]!,
      family: n === 6 ? 4 : 6,
      compact,
    })
  }
  return peers
}
