import type { PieceSpec } from '@p2p/metainfo'
import { describe, expect, it } from 'vitest'
import { PieceStore } from '../src/piece-store.js'
import { TimerStops } from '../src/timer-stops.js'

/** Two 32 KiB pieces (v1, hashes unused here). */
function store(max = 64 * 1024): PieceStore<string> {
  const specs = [0, 1].map((index) => ({ index, offset: index * 32768, length: 32768 }))
  return new PieceStore<string>(specs as PieceSpec[], max)
}

describe('PieceStore.put', () => {
  it('copies a block into its piece, counts its sender, and forgets the senders of a restarted piece', () => {
    const s = store()
    s.put(0, 16384, new Uint8Array(16384).fill(7), 'a', true)
    expect(s.buffered).toBe(32768)
    expect(s.get(0)!.data[16384]).toBe(7)
    expect([...s.get(0)!.from]).toEqual(['a'])
    s.put(0, 0, new Uint8Array(16384).fill(9), 'b', false)
    expect([...s.get(0)!.from]).toEqual(['a', 'b'])
    expect(s.get(0)!.data[0]).toBe(9)
    s.put(0, 0, new Uint8Array(16384).fill(5), 'c', true)
    expect([...s.get(0)!.from]).toEqual(['c'])
  })

  it('leaves a block received in place as it is, and counts no sender for a web seed', () => {
    const s = store()
    const view = s.blockView(1, 16384, 16384)
    view.fill(3)
    s.put(1, 16384, view, undefined, true)
    expect(s.get(1)!.data[16384]).toBe(3)
    expect(s.get(1)!.from.size).toBe(0)
    expect(s.dropFrom('a')).toEqual([])
  })
})

describe('TimerStops', () => {
  it('runs each stop once when the torrent stops, and one added later at once', () => {
    const stops = new TimerStops()
    const ran: string[] = []
    stops.add(() => ran.push('choke'))
    stops.add(() => ran.push('pex'))
    expect(ran).toEqual([])
    stops.runAll()
    stops.runAll()
    expect(ran).toEqual(['choke', 'pex'])
    stops.add(() => ran.push('web seed retry'))
    expect(ran).toEqual(['choke', 'pex', 'web seed retry'])
  })
})
