import { FairUplink, VirtualClock } from '@p2p/sim'
import { describe, expect, it } from 'vitest'

function run(clock: VirtualClock): void {
  while (clock.runNext()) {}
}

describe('FairUplink', () => {
  it('shares the rate between busy connections: a small message does not wait behind another connection’s block', () => {
    const clock = new VirtualClock()
    const link = new FairUplink(clock, 1000) // 1 byte per ms
    const done: Record<string, number> = {}
    const a = {}
    const b = {}
    link.send(a, 1000, (t) => {
      done.block = t
    })
    link.send(b, 10, (t) => {
      done.have = t
    })
    run(clock)
    // Both busy: 0.5 byte/ms each until the 10 bytes are out (20 ms), then the block alone.
    expect(done.have).toBeCloseTo(20)
    expect(done.block).toBeCloseTo(1010)
  })

  it('keeps a connection’s chunks in order and sends an empty chunk right after the data before it', () => {
    const clock = new VirtualClock()
    const link = new FairUplink(clock, 1000)
    const order: [string, number][] = []
    const a = {}
    link.send(a, 100, (t) => order.push(['first', t]))
    link.send(a, 0, (t) => order.push(['close', t]))
    link.send(a, 50, (t) => order.push(['second', t]))
    run(clock)
    expect(order.map(([name]) => name)).toEqual(['first', 'close', 'second'])
    expect(order[0]![1]).toBeCloseTo(100)
    expect(order[1]![1]).toBeCloseTo(100)
    expect(order[2]![1]).toBeCloseTo(150)
  })

  it('sends an empty chunk of an idle connection at once', () => {
    const clock = new VirtualClock()
    const link = new FairUplink(clock, 1000)
    let at = -1
    link.send({}, 0, (t) => {
      at = t
    })
    expect(at).toBe(0)
  })

  it('lets a completion callback send again on the connection whose chunk just left', () => {
    const clock = new VirtualClock()
    const link = new FairUplink(clock, 1000)
    const a = {}
    const b = {}
    const done: [string, number][] = []
    link.send(b, 300, (t) => done.push(['b', t]))
    link.send(a, 100, (t) => {
      done.push(['a1', t])
      // A stream whose send buffer got room writes its next burst from inside the completion.
      link.send(a, 100, (t2) => done.push(['a2', t2]))
    })
    run(clock)
    // Shared while both are busy: a1 out at 200 ms, a2 at 400 ms; b alone after that.
    expect(done.map(([name]) => name)).toEqual(['a1', 'a2', 'b'])
    expect(done[0]![1]).toBeCloseTo(200)
    expect(done[1]![1]).toBeCloseTo(400)
    expect(done[2]![1]).toBeCloseTo(500)
  })
})
