import { type TurnHandlers, TurnWork } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'

/** A TurnWork whose turns run when `turn()` is called, recording what its handlers were asked. */
function setup(peers: string[], extra: Partial<TurnHandlers<string>> = {}) {
  const log: string[] = []
  let queued: (() => void)[] = []
  const work = new TurnWork<string>((fn) => queued.push(fn), {
    announce: (pieces) => log.push(`have ${pieces.join(',')}`),
    interest: (p) => log.push(`interest ${p}`),
    topUp: (p) => log.push(`top-up ${p}`),
    peers: () => peers,
    unchoke: () => log.push('unchoke'),
    ...extra,
  })
  const turn = () => {
    const fns = queued
    queued = []
    for (const fn of fns) fn()
    return fns.length
  }
  return { work, log, turn, queuedTurns: () => queued.length }
}

describe('TurnWork', () => {
  it('applies nothing until the turn ends, then everything once, in order', () => {
    const { work, log, turn, queuedTurns } = setup(['a', 'b'])
    work.unchoke()
    work.topUp('a')
    work.topUp('a')
    work.interest('b')
    work.have(3)
    work.have(5)
    work.unchoke()
    expect(log).toEqual([])
    expect(queuedTurns()).toBe(1)
    expect(turn()).toBe(1)
    expect(log).toEqual(['have 3,5', 'interest b', 'top-up a', 'unchoke'])
    expect(turn()).toBe(0)
  })

  it('tops up every peer once when all are marked', () => {
    const { work, log, turn } = setup(['a', 'b', 'c'])
    work.topUp('b')
    work.topUpAll()
    work.topUp('c')
    turn()
    expect(log).toEqual(['top-up a', 'top-up b', 'top-up c'])
  })

  it('marks interest in every peer', () => {
    const { work, log, turn } = setup(['a', 'b'])
    work.interestAll()
    turn()
    expect(log).toEqual(['interest a', 'interest b'])
  })

  it('applies in the same flush what a handler marks, without another turn', () => {
    const log: string[] = []
    const ref: { work?: TurnWork<string> } = {}
    const { work, turn, queuedTurns } = setup(['a'], {
      interest: (p) => {
        log.push(`interest ${p}`)
        ref.work!.topUp(p)
      },
      topUp: (p) => log.push(`top-up ${p}`),
    })
    ref.work = work
    work.interest('a')
    turn()
    expect(log).toEqual(['interest a', 'top-up a'])
    expect(queuedTurns()).toBe(0)
  })

  it('takes a new turn for what is marked after a flush', () => {
    const { work, log, turn } = setup(['a'])
    work.topUp('a')
    turn()
    work.topUp('a')
    expect(turn()).toBe(1)
    expect(log).toEqual(['top-up a', 'top-up a'])
  })

  it('keeps working after a handler throws', () => {
    const { work, log, turn } = setup(['a'], {
      announce: () => {
        throw new Error('boom')
      },
    })
    work.have(1)
    work.topUp('a')
    expect(() => turn()).toThrow('boom')
    // The top-up marked with it is not lost: a new turn applies it.
    expect(turn()).toBe(1)
    expect(log).toEqual(['top-up a'])
  })
})
