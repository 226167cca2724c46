import { describe, expect, it } from 'vitest'
import { MarkQueue } from '../src/mark-queue.js'

const drain = <T>(q: MarkQueue<T>): T[] => {
  const out: T[] = []
  for (let x = q.take(); x !== undefined; x = q.take()) out.push(x)
  return out
}

describe('MarkQueue', () => {
  it('hands out each marked item once, in marking order', () => {
    const q = new MarkQueue<string>()
    for (const x of ['a', 'b', 'a', 'c', 'b']) q.add(x)
    expect(q.size).toBe(3)
    expect(drain(q)).toEqual(['a', 'b', 'c'])
    expect(q.size).toBe(0)
    expect(q.take()).toBeUndefined()
  })

  it('marks an item again once it was taken (work that marks its own item runs again)', () => {
    const q = new MarkQueue<string>()
    q.add('a')
    q.add('b')
    expect(q.take()).toBe('a')
    q.add('a')
    q.add('b')
    expect(drain(q)).toEqual(['b', 'a'])
  })

  it('addAll skips items already marked', () => {
    const q = new MarkQueue<number>()
    q.add(2)
    q.addAll(new Set([1, 2, 3]))
    expect(drain(q)).toEqual([2, 1, 3])
  })

  it('clear unmarks everything and keeps working', () => {
    const q = new MarkQueue<number>()
    q.addAll([1, 2, 3])
    q.take()
    q.clear()
    expect(q.size).toBe(0)
    q.add(2)
    expect(drain(q)).toEqual([2])
  })
})
