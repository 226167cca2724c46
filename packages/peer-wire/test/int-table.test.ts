import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { IntTable } from '../src/int-table.js'

describe('IntTable', () => {
  it('behaves like a Map under any sequence of sets and deletes', () => {
    const op = fc.oneof(
      fc.record({ set: fc.integer({ min: 0, max: 300 }), value: fc.integer() }),
      fc.record({ del: fc.integer({ min: 0, max: 300 }) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const t = new IntTable<number>()
        const m = new Map<number, number>()
        for (const o of ops) {
          if ('set' in o) {
            t.set(o.set, o.value)
            m.set(o.set, o.value)
          } else expect(t.delete(o.del)).toBe(m.delete(o.del))
          expect(t.size).toBe(m.size)
        }
        for (let k = 0; k <= 300; k++) expect(t.get(k)).toBe(m.get(k))
        expect(new Map(t.entries())).toEqual(m)
      }),
    )
  })

  it('keeps finding keys whose probe runs wrap around and collide (block keys of many pieces)', () => {
    const t = new IntTable<string>()
    const keys = Array.from({ length: 2000 }, (_, i) => (i % 50) * 1024 + Math.floor(i / 50))
    for (const k of keys) t.set(k, `v${k}`)
    for (const k of keys.filter((_, i) => i % 3 === 0)) t.delete(k)
    for (const [i, k] of keys.entries()) expect(t.get(k)).toBe(i % 3 === 0 ? undefined : `v${k}`)
    expect(t.size).toBe(keys.length - Math.ceil(keys.length / 3))
  })

  it('visits each remaining entry once when entries are deleted during iteration', () => {
    const t = new IntTable<number>()
    for (let k = 0; k < 100; k++) t.set(k * 7, k)
    const seen: number[] = []
    for (const [key, v] of t.entries()) {
      seen.push(v)
      t.delete(key)
      t.delete(((v + 50) % 100) * 7) // one not visited yet, or already gone
    }
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.length).toBe(50)
    expect(t.size).toBe(0)
  })

  it('reuses freed slots: a steady flow of requests does not grow it', () => {
    const t = new IntTable<number>()
    for (let k = 0; k < 64; k++) t.set(k, k)
    for (let k = 64; k < 100_000; k++) {
      t.delete(k - 64)
      t.set(k, k)
    }
    expect(t.size).toBe(64)
    // Only the last 64 keys are left, and the table still finds each of them.
    for (let k = 100_000 - 64; k < 100_000; k++) expect(t.get(k)).toBe(k)
    expect(t.get(100_000 - 65)).toBeUndefined()
  })

  it('rejects keys outside 0..2^31-1', () => {
    const t = new IntTable<number>()
    for (const k of [-1, 2 ** 31, 1.5, Number.NaN]) expect(() => t.set(k, 0)).toThrow(RangeError)
  })

  it('is empty after clear and usable again', () => {
    const t = new IntTable<number>()
    for (let k = 0; k < 40; k++) t.set(k, k)
    t.clear()
    expect(t.size).toBe(0)
    expect(t.get(3)).toBeUndefined()
    t.set(3, 33)
    expect([...t.entries()]).toEqual([[3, 33]])
  })
})
