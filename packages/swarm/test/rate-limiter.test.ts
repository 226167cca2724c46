import { TokenBucket } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'

describe('TokenBucket', () => {
  it('lets a burst through and then paces at the rate', () => {
    let t = 0
    const b = new TokenBucket(1000, { burst: 1000, now: () => t })
    expect(b.reserve(1000)).toBe(0)
    expect(b.reserve(500)).toBe(500)
    t = 500
    expect(b.reserve(0)).toBe(0)
    t = 1500
    expect(b.reserve(1000)).toBe(0)
  })

  it('unlimited at rate 0', () => {
    const b = new TokenBucket(0)
    expect(b.unlimited).toBe(true)
    expect(b.reserve(1e12)).toBe(0)
  })

  it('chains to a parent bucket', () => {
    const t = 0
    const g = new TokenBucket(100, { burst: 100, now: () => t })
    const child = new TokenBucket(0, { parent: g, now: () => t })
    expect(child.unlimited).toBe(false)
    expect(child.reserve(100)).toBe(0)
    expect(child.reserve(100)).toBe(1000)
  })

  it('take waits and can be aborted', async () => {
    const b = new TokenBucket(1e6, { burst: 1 })
    await b.take(1)
    await b.take(1000)
    const slow = new TokenBucket(1, { burst: 1 })
    slow.reserve(1)
    const ac = new AbortController()
    const p = slow.take(100, ac.signal)
    ac.abort()
    await expect(p).rejects.toMatchObject({ code: 'SWARM_ABORTED' })
  })
})
