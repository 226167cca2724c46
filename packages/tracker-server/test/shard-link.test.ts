// The direct links between cluster workers: calls, batching, coded refusals, broken and hostile links.
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { TrackerServerError } from '../src/errors.js'
import { MemoryStore } from '../src/memory-store.js'
import type { StoreAnnounce } from '../src/peer-store.js'
import {
  decodeAnnounceCalls,
  decodeAnnounceReplies,
  encodeAnnounceCalls,
  encodeAnnounceReplies,
} from '../src/shard-codec.js'
import { ShardLinks, shardLinkPath } from '../src/shard-link.js'
import { type ShardCall, ShardedStore } from '../src/sharded-store.js'
import { storeAnnounce } from './helpers.js'

const cleanup: (() => void)[] = []
afterEach(() => {
  for (const f of cleanup.splice(0)) f()
})

/** Two workers' links in this process: worker 0 and worker 1, each serving its own calls. */
async function pair(serve1: (call: ShardCall) => unknown, timeoutMs = 2000) {
  const dir = mkdtempSync(join(tmpdir(), 'p2p-shard-link-'))
  const served: ShardCall[][] = [[], []]
  const a = new ShardLinks(dir, 0, (c) => served[0]!.push(c), timeoutMs)
  const b = new ShardLinks(
    dir,
    1,
    (c) => {
      served[1]!.push(c)
      return serve1(c)
    },
    timeoutMs,
  )
  await a.listen()
  await b.listen()
  cleanup.push(() => {
    a.close()
    b.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { dir, a, b, served }
}

describe('ShardLinks', () => {
  it('carries many calls of one turn to the owner and answers each', async () => {
    const { a, served } = await pair((c) => (c.op === 'fullScrape' ? c.args * 2 : c.op))
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => a.call(1, { op: 'fullScrape', args: i })),
    )
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => i * 2))
    expect(served[1]).toHaveLength(50)
    expect(await a.call(1, { op: 'totals', args: null })).toBe('totals')
  })

  it('keeps the code of a refusal; other errors become TRACKER_SERVER_STORE', async () => {
    const { a } = await pair((c) => {
      if (c.op === 'totals') throw new TrackerServerError('TRACKER_SERVER_PEER_CONFLICT', 'moved')
      throw new Error('boom')
    })
    await expect(a.call(1, { op: 'totals', args: null })).rejects.toMatchObject({
      code: 'TRACKER_SERVER_PEER_CONFLICT',
      message: 'moved',
    })
    await expect(a.call(1, { op: 'scrape', args: [] })).rejects.toMatchObject({
      code: 'TRACKER_SERVER_STORE',
      message: 'boom',
    })
  })

  it('lets calls wait for a worker that is not listening yet, and fails them at their deadline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2p-shard-link-'))
    const a = new ShardLinks(dir, 0, () => undefined, 400)
    cleanup.push(() => {
      a.close()
      rmSync(dir, { recursive: true, force: true })
    })
    await expect(a.call(2, { op: 'totals', args: null })).rejects.toMatchObject({
      code: 'TRACKER_SERVER_STORE',
      message: 'cluster worker 2 did not answer',
    })
    const early = a.call(1, { op: 'totals', args: null })
    await new Promise((resolve) => setTimeout(resolve, 120))
    const b = new ShardLinks(dir, 1, () => 'up', 400)
    cleanup.push(() => b.close())
    await b.listen()
    expect(await early).toBe('up')
    // The worker dies: a call waits for it and fails at its deadline; once one listens again, calls go through.
    b.close()
    await expect(a.call(1, { op: 'totals', args: null })).rejects.toMatchObject({
      code: 'TRACKER_SERVER_STORE',
    })
    const again = new ShardLinks(dir, 1, () => 'back', 400)
    cleanup.push(() => again.close())
    await again.listen()
    expect(await a.call(1, { op: 'totals', args: null })).toBe('back')
  })

  it('never runs a call that timed out, fails fast past its bounds, and wraps call ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2p-shard-link-'))
    const a = new ShardLinks(dir, 0, () => undefined, 150)
    const served: ShardCall[] = []
    const b = new ShardLinks(
      dir,
      1,
      (c) => {
        const n = served.push(c)
        return {
          complete: n,
          incomplete: 0,
          downloaded: 0,
          compact4: new Uint8Array(0),
          compact6: new Uint8Array(0),
          peers: [],
        }
      },
      150,
    )
    cleanup.push(() => {
      a.close()
      b.close()
      rmSync(dir, { recursive: true, force: true })
    })
    const early = a.call(1, { op: 'totals', args: null })
    await expect(early).rejects.toMatchObject({ message: 'cluster worker 1 did not answer' })
    // Past MAX_WAITING calls for a worker that is not there, more fail at once.
    const waiting = Array.from({ length: 10_000 }, () =>
      a.call(1, { op: 'totals', args: null }).catch(() => 0),
    )
    await expect(a.call(1, { op: 'totals', args: null })).rejects.toThrow(/not reachable/)
    await Promise.all(waiting)
    await b.listen()
    ;(a as unknown as { nextId: number }).nextId = 0xffffffff
    expect(await a.call(1, { op: 'announce', args: storeAnnounce() })).toMatchObject({ complete: 1 })
    expect(await a.call(1, { op: 'announce', args: storeAnnounce() })).toMatchObject({ complete: 2 })
    // Only the two calls made while it listened ran: none of the 10,001 that timed out.
    expect(served).toHaveLength(2)
  })

  it('carries a frame of several MiB that arrives in many chunks', async () => {
    const big = Array.from({ length: 60_000 }, (_, i) => ({
      infoHash: i.toString(16).padStart(40, '0'),
      n: i,
    }))
    const { a } = await pair(() => big)
    expect(await a.call(1, { op: 'fullScrape', args: 1 })).toEqual(big)
  })

  it('rejects the calls still waiting when it closes', async () => {
    const { a } = await pair(() => 1)
    const waiting = a.call(1, { op: 'totals', args: null })
    a.close()
    await expect(waiting).rejects.toMatchObject({ code: 'TRACKER_SERVER_STORE' })
    await expect(a.call(1, { op: 'totals', args: null })).rejects.toMatchObject({
      code: 'TRACKER_SERVER_STORE',
    })
  })

  it('drops a link that sends garbage or an oversized frame and keeps serving the others', async () => {
    const { dir, a } = await pair(() => 'still here')
    for (const bytes of [
      Buffer.from([0, 0, 0, 3, 0xff, 0xfe, 0xfd]), // unknown frame kind
      Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), // oversized
      Buffer.from([0, 0, 0, 6, 3, 0, 0, 0, 9, 1]), // a batch of 9 announces, truncated
      Buffer.from([0, 0, 0, 3, 1, 0xff, 0x0f]), // a structured clone that does not parse
    ]) {
      const s = createConnection(shardLinkPath(dir, 1))
      s.on('error', () => {})
      s.write(bytes)
      await new Promise((resolve) => s.once('close', resolve))
    }
    expect(await a.call(1, { op: 'totals', args: null })).toBe('still here')
  })

  it('gives a ShardedStore the owner swarm: compact lists always, peer objects only when read', async () => {
    // Worker 1's store holds every swarm here: 'ff…' hashes belong to worker 1 of 2 (odd first word).
    const owner = new ShardedStore(new MemoryStore({ sweepInterval: 0 }), 1, 2, () =>
      Promise.reject(new Error('not used')),
    )
    const { a } = await pair((c) => owner.serve(c))
    const local = new ShardedStore(new MemoryStore({ sweepInterval: 0 }), 0, 2, (to, c) => a.call(to, c))
    const infoHash = 'ff'.repeat(20)
    await local.announce(storeAnnounce({ infoHash, port: 1000 }))
    const full = await local.announce(storeAnnounce({ infoHash, port: 2000 }))
    expect(full).toMatchObject({ complete: 0, incomplete: 2 })
    expect(full.peers.map((p) => p.port)).toEqual([1000])
    expect(Buffer.from(full.compact4!)).toEqual(Buffer.from([127, 0, 0, 1, 1000 >> 8, 1000 & 255]))
    const lean = await local.announce({ ...storeAnnounce({ infoHash, port: 3000 }), compactOnly: true })
    expect(lean.peers).toEqual([])
    expect(lean.compact4!.length).toBe(12)
  })
})

describe('shard codec', () => {
  const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'))
  const ip6 = fc.ipV6().map((a) => a.toLowerCase())
  const announce = fc.record({
    infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString('hex')),
    peerId: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b)),
    v6: fc.boolean(),
    h4: ip4,
    h6: ip6,
    port: fc.integer({ min: 1, max: 65535 }),
    key: fc.option(fc.string({ unit: 'binary-ascii', maxLength: 16 }), { nil: undefined }),
    seeder: fc.boolean(),
    event: fc.constantFrom('none', 'started', 'completed', 'stopped'),
    numwant: fc.nat(200_000),
    families: fc.constantFrom([4], [6], [4, 6]),
    compactOnly: fc.boolean(),
  })

  it('round-trips any batch of announces', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), announce), { maxLength: 20 }), (items) => {
        const calls = items.map(([id, a]): [number, StoreAnnounce] => [
          id,
          {
            infoHash: a.infoHash,
            peerId: a.peerId,
            host: a.v6 ? a.h6 : a.h4,
            family: a.v6 ? 6 : 4,
            port: a.port,
            ...(a.key === undefined ? {} : { key: a.key }),
            seeder: a.seeder,
            event: a.event as StoreAnnounce['event'],
            numwant: a.numwant,
            families: [...a.families],
            compactOnly: a.compactOnly,
          },
        ])
        expect(decodeAnnounceCalls(encodeAnnounceCalls(calls))).toEqual(calls)
      }),
    )
  })

  it('round-trips answers (peers of both families, refusals with their code) and refuses truncation', () => {
    const v4 = Buffer.from([10, 0, 0, 1, 0x1a, 0xe1])
    const v6 = Buffer.from([0x20, 1, 0xd, 0xb8, ...Array(10).fill(0), 1, 0, 0x1a, 0xe2])
    const peers = [
      { peerId: Buffer.alloc(20, 1), host: '10.0.0.1', port: 0x1ae1, family: 4 as const, compact: v4 },
      { peerId: Buffer.alloc(20, 2), host: '2001:db8::100', port: 0x1ae2, family: 6 as const, compact: v6 },
    ]
    const replies = [
      [7, { complete: 3, incomplete: 4, downloaded: 5, compact4: v4, compact6: v6, peers }],
      [8, new TrackerServerError('TRACKER_SERVER_PEER_CONFLICT', 'moved\nelsewhere')],
      [9, { complete: 0, incomplete: 1, downloaded: 0, compact4: v4, compact6: Buffer.alloc(0), peers: [] }],
    ] as const
    const bytes = encodeAnnounceReplies(replies as never)
    const back = decodeAnnounceReplies(bytes)
    expect(back[0]).toEqual(replies[0])
    expect(back[1]![1]).toMatchObject({ code: 'TRACKER_SERVER_PEER_CONFLICT', message: 'moved\nelsewhere' })
    expect(back[2]).toEqual(replies[2])
    for (let cut = 0; cut < bytes.length; cut += 7) {
      expect(() => decodeAnnounceReplies(bytes.subarray(0, cut))).toThrow(RangeError)
    }
  })
})
