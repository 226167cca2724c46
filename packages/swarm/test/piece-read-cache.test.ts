import { describe, expect, it } from 'vitest'
import { PieceReadCache } from '../src/piece-read-cache.js'

function cache(maxPieces = 2, maxFree = 2) {
  const reads: number[] = []
  const pending: { index: number; into: Uint8Array; resolve: () => void; reject: (e: Error) => void }[] = []
  const c = new PieceReadCache({
    bufferSize: 8,
    maxPieces,
    maxFree,
    length: (i) => (i === 9 ? 3 : 8),
    read: (index, into) => {
      reads.push(index)
      return new Promise<void>((resolve, reject) => pending.push({ index, into, resolve, reject }))
    },
  })
  const finish = async (fill = true) => {
    for (const p of pending.splice(0)) {
      if (fill) p.into.fill(p.index)
      p.resolve()
    }
    await Promise.resolve()
    await Promise.resolve()
  }
  return { c, reads, pending, finish }
}

describe('PieceReadCache', () => {
  it('reads a piece once for every caller, then serves it at once', async () => {
    const { c, reads, finish } = cache()
    const got: number[][] = []
    c.get(1, (_e, p) => got.push([...p!.bytes]))
    c.get(1, (_e, p) => got.push([...p!.bytes]))
    expect(got).toEqual([])
    await finish()
    expect(got).toEqual([new Array(8).fill(1), new Array(8).fill(1)])
    let sync = false
    c.get(1, () => (sync = true))
    expect(sync).toBe(true)
    expect(reads).toEqual([1])
  })

  it('keeps the last maxPieces pieces and reuses buffers no longer held', async () => {
    const { c, reads, finish } = cache(2, 1)
    let held: { index: number; bytes: Uint8Array } | undefined
    c.get(1, (_e, p) => {
      c.hold(p!)
      held = p
    })
    await finish()
    const heldBuffer = held!.bytes.buffer
    c.get(2, () => {})
    await finish()
    c.get(3, () => {}) // evicts 1 (held: its buffer is not reused yet)
    await finish()
    expect(c.size).toBe(2)
    expect(c.freeBuffers).toBe(0)
    expect([...held!.bytes]).toEqual(new Array(8).fill(1))
    c.release(held!)
    expect(c.freeBuffers).toBe(1)
    let reused: ArrayBufferLike | undefined
    c.get(9, (_e, p) => (reused = p!.bytes.buffer))
    await finish()
    expect(reused).toBe(heldBuffer)
    c.get(9, (_e, p) => expect(p!.bytes.length).toBe(3)) // a short last piece: a view of the buffer
    expect(reads).toEqual([1, 2, 3, 9])
  })

  it('a failed read reaches every waiter and is not cached', async () => {
    const { c, reads, pending } = cache()
    const errs: string[] = []
    c.get(4, (e) => errs.push(e!.message))
    c.get(4, (e) => errs.push(e!.message))
    pending.shift()!.reject(new Error('EIO'))
    await new Promise((r) => setImmediate(r))
    expect(errs).toEqual(['EIO', 'EIO'])
    expect(c.size).toBe(0)
    c.get(4, () => {})
    expect(reads).toEqual([4, 4])
  })
})
