import { describe, expect, it } from 'vitest'
import { K, RoutingTable } from '../src/index.js'

const idWith = (first: number, last = 0) => {
  const id = new Uint8Array(20)
  id[0] = first
  id[19] = last
  return id
}
const contact = (id: Uint8Array, n: number) => ({ id, address: { host: `10.0.0.${n}`, port: 6881 } })
const MIN = 60_000

describe('RoutingTable', () => {
  it('splits only the bucket holding our id; far buckets stay at k', () => {
    const table = new RoutingTable(new Uint8Array(20), K)
    // 20 nodes far away (first bit 1): one bucket of 8, the rest are refused.
    for (let i = 0; i < 20; i++) table.heard(contact(idWith(0x80 | i), i), 0)
    // 20 nodes near us (first byte 0): they go into split buckets.
    for (let i = 0; i < 20; i++) table.heard(contact(idWith(0, i + 1), 100 + i), 0)
    const sizes = table.bucketSizes()
    expect(sizes[0]).toBe(K)
    expect(table.bucketCount).toBeGreaterThan(2)
    expect(sizes.every((s) => s <= K)).toBe(true)
    expect(table.size).toBe(sizes.reduce((a, b) => a + b, 0))
    const closest = table.closest(new Uint8Array(20), 3)
    expect(closest.map((n) => n.id[19])).toEqual([1, 2, 3])
  })

  it('asks to ping a questionable node when full; a bad node is replaced from the cache', () => {
    const table = new RoutingTable(idWith(0), K)
    for (let i = 0; i < K; i++) table.heard(contact(idWith(0x80 | i), i), 0)
    // Fresh bucket: a newcomer waits in the replacement cache, nobody to ping.
    expect(table.heard(contact(idWith(0xf0), 50), 1 * MIN)).toEqual({ added: false })
    // 16 minutes later everyone is questionable: ping the least recently seen.
    const later = table.heard(contact(idWith(0xf1), 51), 16 * MIN)
    expect(later.added).toBe(false)
    expect(later.ping?.id[0]).toBe(0x80)
    table.failed(later.ping!.id)
    expect(table.get(idWith(0x80))).toBeDefined()
    table.failed(later.ping!.id)
    // Bad after two failures: replaced by the most recent replacement.
    expect(table.get(idWith(0x80))).toBeUndefined()
    expect(table.get(idWith(0xf1))).toBeDefined()
    expect(table.size).toBe(K)
  })

  it('ignores a known id arriving from another address, and our own id', () => {
    const table = new RoutingTable(idWith(1), K)
    table.heard(contact(idWith(2), 1), 0)
    table.heard(contact(idWith(2), 2), 0)
    expect(table.get(idWith(2))?.address.host).toBe('10.0.0.1')
    expect(table.heard(contact(idWith(1), 3), 0).added).toBe(false)
  })

  it('marks a stale bucket for refresh once per interval', () => {
    const table = new RoutingTable(idWith(0), K, 0)
    table.heard(contact(idWith(0x80), 1), 0)
    expect(table.takeStaleBucket(10 * MIN, 15 * MIN)).toBeUndefined()
    expect(table.takeStaleBucket(15 * MIN, 15 * MIN)).toBe(0)
    expect(table.takeStaleBucket(15 * MIN, 15 * MIN)).toBeUndefined()
  })
})
