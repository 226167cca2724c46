import { describe, expect, it } from 'vitest'
import { once, wirePair } from './helpers.js'

describe('wire smoke', () => {
  it('requests a block', async () => {
    const [a, b] = await wirePair(
      { pieceCount: 4, pieceLength: 32768, length: 100000 },
      { pieceCount: 4, pieceLength: 32768, length: 100000 },
    )
    console.log('hs')
    b.on('request', (r) => b.piece(r.index, r.begin, new Uint8Array(r.length).fill(r.index)))
    b.on('interested', () => b.unchoke())
    const ha = once(a, 'have-all')
    a.on('close', (e) => console.log('a close', e))
    b.on('close', (e) => console.log('b close', e))
    b.haveAll()
    a.haveNone()
    await ha
    console.log('ha')
    const u = once(a, 'unchoke')
    a.interested()
    await u
    console.log('u')
    const block = await a.request(2, 16384, 16384)
    expect(block.length).toBe(16384)
    expect(block[0]).toBe(2)
    expect(a.peerExtended?.m.ut_metadata).toBeGreaterThan(0)
    a.destroy()
  }, 5000)
})
