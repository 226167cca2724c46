import { MemoryStore } from '@p2p/tracker-server'
import { describe, expect, it } from 'vitest'
import { storeAnnounce } from './helpers.js'

const hashes = Array.from({ length: 5 }, (_, i) => String(i).repeat(40))

describe('MemoryStore global peer budget', () => {
  it('holds at most maxPeers over all torrents, evicting the least recently seen', () => {
    let now = 1_000_000
    const store = new MemoryStore({ maxPeers: 10, sweepInterval: 0, now: () => now })
    // 20 peers, round robin over 5 torrents, one per millisecond: the last 10 are 2 per torrent
    for (let i = 0; i < 20; i++) {
      now++
      store.announce(storeAnnounce({ infoHash: hashes[i % 5]!, port: 1000 + i }))
    }
    const t = store.totals()
    expect(t.seeders + t.leechers).toBe(10)
    expect(t).toMatchObject({ peerBudget: 10, evictedPeers: 10 })
    expect(store.scrape(hashes).map((c) => c.incomplete)).toEqual([2, 2, 2, 2, 2])
    store.close()
  })

  it('a peer that announces again is kept over one seen longer ago', () => {
    let now = 1_000_000
    const store = new MemoryStore({ maxPeers: 3, sweepInterval: 0, now: () => now })
    const old = storeAnnounce({ infoHash: hashes[0]!, port: 1 })
    store.announce(old)
    now++
    store.announce(storeAnnounce({ infoHash: hashes[1]!, port: 2 }))
    now++
    store.announce(storeAnnounce({ infoHash: hashes[2]!, port: 3 }))
    now++
    store.announce({ ...old, event: 'none' }) // seen again: now the most recent
    now++
    store.announce(storeAnnounce({ infoHash: hashes[3]!, port: 4 }))
    expect(store.scrape(hashes.slice(0, 4)).map((c) => c.incomplete)).toEqual([1, 0, 1, 1])
    store.close()
  })

  it('refuses a budget that is not positive', () => {
    expect(() => new MemoryStore({ maxPeers: 0 })).toThrow(
      expect.objectContaining({ code: 'TRACKER_SERVER_BAD_OPTION' }),
    )
  })
})
