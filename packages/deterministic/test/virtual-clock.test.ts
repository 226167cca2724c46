import { VirtualClock } from '@p2p/deterministic'
import { describe, expect, it } from 'vitest'

describe('VirtualClock', () => {
  it('runs timers one at a time in (time, order set) order and skips cancelled ones', () => {
    const clock = new VirtualClock()
    const ran: string[] = []
    clock.setTimeout(() => ran.push(`b@${clock.now()}`), 20)
    clock.setTimeout(() => ran.push(`a@${clock.now()}`), 10)
    clock.setTimeout(() => ran.push(`c@${clock.now()}`), 20)
    const gone = clock.setTimeout(() => ran.push('cancelled'), 5)
    const cancel = clock.setTimer(() => ran.push('cancelled too'), 15)
    clock.clearTimeout(gone)
    cancel()
    expect(clock.nextAt()).toBe(10)
    while (clock.runNext()) {}
    expect(ran).toEqual(['a@10', 'b@20', 'c@20'])
    expect(clock.runNext()).toBe(false)
    expect(clock.nextAt()).toBeUndefined()
  })

  it('advances by a span, running due timers and the promise callbacks between instants', async () => {
    const clock = new VirtualClock(1000)
    const ran: number[] = []
    clock.setTimer(() => {
      ran.push(clock.now())
      void Promise.resolve().then(() => clock.setTimer(() => ran.push(clock.now()), 5))
    }, 10)
    clock.setTimer(() => ran.push(clock.now()), 100)
    expect(clock.pending).toBe(2)
    await clock.advance(50)
    expect(ran).toEqual([1010, 1015])
    expect(clock.now()).toBe(1050)
    await clock.advance(50)
    expect(ran).toEqual([1010, 1015, 1100])
    expect(clock.pending).toBe(0)
  })
})
