import { join } from 'node:path'
import { peerPriority } from '@p2p/peer-address'
import { waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { useSession, writeContent } from './helpers.js'

const { dir, client, local } = useSession('swarm-limit-', { hashThreads: 1 })

describe('connection limit (BEP 40)', () => {
  it('at the limit, a better-ranked peer replaces the lowest-ranked connection', async () => {
    const src = await dir()
    await writeContent(src, { 'l/a.bin': 1_000_000 })
    const seeder = client()
    // Slow uploads: the leechers stay leechers for the whole test.
    const st = await seeder.seed(join(src, 'l'), {
      version: 1,
      pieceLength: 16384,
      maxConnections: 2,
      uploadLimit: 8192,
    })
    const leechers = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const c = client()
        await c.add(st.metainfo!, { path: await dir(), resume: false })
        return c
      }),
    )
    const self = local(seeder)
    const rank = (port: number) => peerPriority(self, { host: '127.0.0.1', port })
    const byRank = leechers.map((c) => c.port).sort((a, b) => rank(a) - rank(b))
    const connected = new Set<number>()
    st.on('wire', (wire, addr) => {
      connected.add(addr.port)
      wire.on('close', () => connected.delete(addr.port))
    })
    const show = () => [...connected].sort((a, b) => a - b).join(',')
    // The two lowest-ranked first: they fill the two slots.
    for (const port of byRank.slice(0, 2)) st.addPeer({ host: '127.0.0.1', port })
    await waitFor(() => connected.size === 2 || undefined, 10_000, 'two connections')
    // Two better ones arrive: each replaces the lowest-ranked connection.
    for (const port of byRank.slice(2)) st.addPeer({ host: '127.0.0.1', port })
    const top = byRank
      .slice(2)
      .sort((a, b) => a - b)
      .join(',')
    await waitFor(() => show() === top || undefined, 8_000, `connections ${top} (have ${show()})`)
    expect(st.stats().peers).toBeLessThanOrEqual(2)
  })
})

describe('connection limit keeps the peers we download from', () => {
  it('does not drop a lower-ranked peer that is sending us data for a better-ranked one', async () => {
    const src = await dir()
    await writeContent(src, { 'k/a.bin': 3_000_000 })
    const seeders = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const c = client()
        const t = await c.seed(join(src, 'k'), { version: 1, pieceLength: 16384, uploadLimit: 32_768 })
        return { c, t }
      }),
    )
    const leecher = client()
    const t = await leecher.add(seeders[0]!.t.metainfo!, {
      path: await dir(),
      resume: false,
      maxConnections: 2,
    })
    const self = local(leecher)
    const rank = (port: number) => peerPriority(self, { host: '127.0.0.1', port })
    const byRank = seeders.map((x) => x.c.port).sort((a, b) => rank(a) - rank(b))
    const sending = new Set<number>()
    const connected = new Set<number>()
    t.on('wire', (wire, addr) => {
      connected.add(addr.port)
      wire.on('piece', () => sending.add(addr.port))
      wire.on('close', () => connected.delete(addr.port))
    })
    for (const port of byRank.slice(0, 2)) t.addPeer({ host: '127.0.0.1', port })
    await waitFor(() => sending.size === 2 || undefined, 15_000, 'data from both low-ranked seeders')
    let dialed = 0
    for (const { t: st } of seeders.filter((x) => byRank.slice(2).includes(x.c.port)))
      st.on('wire', () => dialed++)
    for (const port of byRank.slice(2)) t.addPeer({ host: '127.0.0.1', port })
    // A few dial rounds (one a second): none replaces a peer that is sending.
    await new Promise((r) => setTimeout(r, 3_000))
    expect([...connected].sort()).toEqual(byRank.slice(0, 2).sort())
    expect(dialed).toBe(0)
    expect(t.complete).toBe(false)
  })
})
