import { Choker, type ChokerPeer } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'

const peer = (id: string, downloadRate: number, uploadRate = 0, interested = true): ChokerPeer => ({
  id,
  interested,
  downloadRate,
  uploadRate,
})

describe('Choker', () => {
  it('unchokes the best uploaders to us plus one optimistic peer', () => {
    const c = new Choker({ slots: 3, random: () => 0 })
    const peers = [peer('a', 10), peer('b', 50), peer('c', 30), peer('d', 0), peer('e', 0, 0, false)]
    const u = c.round(peers, false)
    expect(u.has('b') && u.has('c')).toBe(true)
    expect(u.size).toBe(3)
    expect(u.has('e')).toBe(false)
    expect(['a', 'd']).toContain(c.optimistic)
  })

  it('rotates the optimistic unchoke every third round', () => {
    let r = 0
    const rand = [0, 0.99]
    const c = new Choker({ slots: 2, random: () => rand[r++ % 2]! })
    const peers = [peer('top', 100), peer('x', 0), peer('y', 0)]
    c.round(peers, false)
    const first = c.optimistic
    c.round(peers, false)
    c.round(peers, false)
    expect(c.optimistic).toBe(first)
    c.round(peers, false)
    expect(c.optimistic).not.toBe(first)
  })

  it('seed mode ranks by upload rate and rotates equals', () => {
    const c = new Choker({ slots: 2, random: () => 0 })
    const peers = [peer('a', 0, 5), peer('b', 0, 5), peer('c', 0, 5), peer('d', 0, 5)]
    const seen = new Set<unknown>()
    for (let i = 0; i < 4; i++) for (const id of c.round(peers, true)) seen.add(id)
    expect(seen.size).toBe(4)
  })

  it('never unchokes seeds or uninterested peers', () => {
    const c = new Choker()
    const u = c.round([{ ...peer('s', 100), seed: true }, peer('n', 100, 0, false)], false)
    expect(u.size).toBe(0)
  })
})
