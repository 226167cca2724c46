import {
  type AnnounceParams,
  type AnnounceResponse,
  type Announcer,
  TrackerClient,
  TrackerClientError,
  type TrackerClientOptions,
  TrackerTiers,
  type TrackerUpdate,
  type TrackerWarning,
} from '@p2p/tracker-client'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const infoHash = new Uint8Array(20).fill(7)
const peerId = new TextEncoder().encode('-P20010-aaaaaaaaaaaa')

interface Call {
  url: string
  params: AnnounceParams
  at: number
}
type Behaviour = 'ok' | 'fail' | 'hang' | Partial<AnnounceResponse>

/** A scripted announcer: each URL answers ok (interval 100 s), fails, hangs until aborted, or answers given fields. */
function fakeAnnouncer(script: Record<string, Behaviour> = {}) {
  const calls: Call[] = []
  const announcer: Announcer = (url, params, options) => {
    calls.push({ url, params, at: Date.now() })
    const b = script[url] ?? 'ok'
    if (b === 'fail') return Promise.reject(new TrackerClientError('TRACKER_REFUSED', `${url} down`, { url }))
    if (b === 'hang') {
      return new Promise((_resolve, reject) =>
        options.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
      )
    }
    return Promise.resolve({
      interval: 100,
      minInterval: undefined,
      complete: 1,
      incomplete: 2,
      peers: [{ host: '10.0.0.1', port: 1 }],
      trackerId: undefined,
      warning: undefined,
      ...(b === 'ok' ? {} : b),
    })
  }
  return { calls, announcer, script }
}

let clients: TrackerClient[] = []
function client(
  options: Partial<TrackerClientOptions> & Pick<TrackerClientOptions, 'announce' | 'announcer'>,
) {
  const c = new TrackerClient({
    infoHash,
    peerId,
    port: 6881,
    left: 100,
    random: () => 0.5,
    minAnnounceInterval: 1,
    retry: { initialMs: 1000, maxMs: 8000 },
    ...options,
  })
  clients.push(c)
  return c
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(async () => {
  await Promise.all(clients.map((c) => c.stop()))
  clients = []
  vi.useRealTimers()
})

describe('TrackerTiers (BEP 12)', () => {
  it('shuffles within each tier, never across tiers, and drops duplicates and bad URLs', () => {
    const tiers = new TrackerTiers(
      [
        ['http://a/announce', 'http://b/announce', 'http://c/announce'],
        ['udp://d:1', 'http://a/announce', 'not a url'],
        [],
      ],
      () => 0,
    )
    // Fisher-Yates with j = 0 each step: [a, b, c] -> [c, b, a] -> [b, c, a].
    expect(tiers.tiers).toEqual([
      ['http://b/announce', 'http://c/announce', 'http://a/announce'],
      ['udp://d:1'],
    ])
    expect(tiers.size).toBe(4)
  })

  it('reaches every order with a real random source', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++)
      seen.add(new TrackerTiers([['http://a/x', 'http://b/x', 'http://c/x']]).tiers[0]!.join())
    expect(seen.size).toBe(6)
  })

  it('promotes a tracker to the front of its own tier only', () => {
    const tiers = new TrackerTiers([['http://a/x', 'http://b/x', 'http://c/x'], ['http://d/x']], () => 0.99)
    expect(tiers.tiers[0]).toEqual(['http://a/x', 'http://b/x', 'http://c/x'])
    tiers.promote('http://c/x')
    tiers.promote('http://d/x')
    expect(tiers.tiers).toEqual([['http://c/x', 'http://a/x', 'http://b/x'], ['http://d/x']])
  })
})

describe('TrackerClient', () => {
  const A = 'http://a.example/announce'
  const B = 'http://b.example/announce'
  const C = 'udp://c.example:6969'

  it('announces started, emits update and peers, then re-announces after the interval', async () => {
    const { calls, announcer } = fakeAnnouncer()
    const c = client({ announce: [[A]], announcer })
    const updates: TrackerUpdate[] = []
    const peers: unknown[] = []
    c.on('update', (u) => updates.push(u))
    c.on('peers', (p, url) => peers.push([p, url]))
    c.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls.map((x) => x.params.event)).toEqual(['started'])
    expect(calls[0]!.params).toMatchObject({ infoHash, peerId, port: 6881, left: 100, numwant: 50 })
    expect(updates[0]).toMatchObject({ url: A, interval: 100, complete: 1, incomplete: 2 })
    expect(peers).toEqual([[[{ host: '10.0.0.1', port: 1 }], A]])
    await vi.advanceTimersByTimeAsync(99_000)
    expect(calls).toHaveLength(1)
    c.update({ downloaded: 40, left: 60, uploaded: 9 })
    await vi.advanceTimersByTimeAsync(1000)
    expect(calls).toHaveLength(2)
    expect(calls[1]!.params).toMatchObject({ event: 'none', downloaded: 40, left: 60, uploaded: 9 })
    expect(calls[1]!.params.key).toBe(calls[0]!.params.key)
  })

  it('walks tiers in order, promotes the tracker that answered, and starts each round from tier one', async () => {
    const { calls, announcer, script } = fakeAnnouncer({ [A]: 'fail', [B]: 'ok' })
    const c = client({ announce: [[A, B], [C]], announcer, random: () => 0.99 })
    const warnings: TrackerWarning[] = []
    c.on('warning', (w) => warnings.push(w))
    c.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls.map((x) => x.url)).toEqual([A, B])
    expect(warnings.map((w) => [w.url, w.error?.code])).toEqual([[A, 'TRACKER_REFUSED']])
    expect(c.tiers).toEqual([[B, A], [C]])
    script[B] = 'fail'
    await vi.advanceTimersByTimeAsync(100_000)
    // B first now; both of tier one fail, so the backup tier answers.
    expect(calls.map((x) => x.url)).toEqual([A, B, B, A, C])
    expect(calls.slice(2).map((x) => x.params.event)).toEqual(['none', 'started', 'started'])
    script[A] = 'ok'
    await vi.advanceTimersByTimeAsync(100_000)
    expect(calls.slice(5).map((x) => x.url)).toEqual([B, A])
    expect(c.tiers).toEqual([[A, B], [C]])
  })

  it('backs off exponentially when every tracker fails, with a capped delay, and recovers', async () => {
    const { calls, announcer, script } = fakeAnnouncer({ [A]: 'fail', [B]: 'fail' })
    const c = client({ announce: [[A], [B]], announcer })
    const errors: TrackerClientError[] = []
    c.on('error', (e) => errors.push(e))
    const t0 = Date.now()
    c.start()
    await vi.advanceTimersByTimeAsync(30_000)
    const rounds = calls.filter((x) => x.url === A).map((x) => x.at - t0)
    expect(rounds).toEqual([0, 1000, 3000, 7000, 15_000, 23_000])
    expect(errors[0]!.code).toBe('TRACKER_ALL_FAILED')
    expect((errors[0]!.cause as TrackerClientError).url).toBe(B)
    script[B] = 'ok'
    await vi.advanceTimersByTimeAsync(1000) // the capped retry at 31 s succeeds
    expect(calls.at(-1)).toMatchObject({ url: B, at: t0 + 31_000 })
    const after = calls.length
    await vi.advanceTimersByTimeAsync(99_999)
    expect(calls.length).toBe(after) // back on the tracker's interval, not the back-off
    await vi.advanceTimersByTimeAsync(1)
    expect(calls.length).toBe(after + 2)
  })

  it('honours min interval for manual announces and floors a hostile interval', async () => {
    const { calls, announcer } = fakeAnnouncer({ [A]: { interval: 0, minInterval: 20 } })
    const c = client({ announce: [[A]], announcer, minAnnounceInterval: 30 })
    c.start()
    await vi.advanceTimersByTimeAsync(0)
    c.announce()
    await vi.advanceTimersByTimeAsync(19_999)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(29_999)
    expect(calls).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toHaveLength(3)
  })

  it('sends completed at once, echoes the tracker id and passes warnings on', async () => {
    const { calls, announcer } = fakeAnnouncer({ [A]: { trackerId: 'T-1', warning: 'slow down' } })
    const c = client({ announce: [[A]], announcer })
    const warnings: TrackerWarning[] = []
    c.on('warning', (w) => warnings.push(w))
    c.start()
    await vi.advanceTimersByTimeAsync(0)
    c.complete()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls.map((x) => [x.params.event, x.params.left, x.params.trackerId])).toEqual([
      ['started', 100, undefined],
      ['completed', 0, 'T-1'],
    ])
    expect(warnings).toEqual([
      { url: A, message: 'slow down' },
      { url: A, message: 'slow down' },
    ])
    await vi.advanceTimersByTimeAsync(100_000)
    expect(calls[2]!.params.event).toBe('none')
  })

  it('keeps completed pending through a failed round', async () => {
    const { calls, announcer, script } = fakeAnnouncer()
    const c = client({ announce: [[A]], announcer })
    c.start()
    await vi.advanceTimersByTimeAsync(0)
    script[A] = 'fail'
    c.complete()
    await vi.advanceTimersByTimeAsync(0)
    script[A] = 'ok'
    await vi.advanceTimersByTimeAsync(1000)
    expect(calls.map((x) => x.params.event)).toEqual(['started', 'completed', 'completed'])
  })

  it('stop() sends stopped to every tracker that accepted us, bounded by stopTimeout, and stops announcing', async () => {
    const { calls, announcer, script } = fakeAnnouncer({ [A]: 'fail' })
    const c = client({ announce: [[A], [B]], announcer, stopTimeout: 2000 })
    const warnings: TrackerWarning[] = []
    c.on('warning', (w) => warnings.push(w))
    c.start()
    await vi.advanceTimersByTimeAsync(0)
    script[A] = 'ok'
    await vi.advanceTimersByTimeAsync(100_000) // A answers now too: both joined
    script[B] = 'hang'
    const stopping = c.stop()
    await vi.advanceTimersByTimeAsync(2000)
    await stopping
    const stops = calls.filter((x) => x.params.event === 'stopped')
    expect(stops.map((x) => x.url).sort()).toEqual([A, B])
    expect(stops[0]!.params.numwant).toBe(0)
    expect(warnings.at(-1)).toMatchObject({ url: B, error: { code: 'TRACKER_TIMEOUT' } })
    expect(c.running).toBe(false)
    const n = calls.length
    await vi.advanceTimersByTimeAsync(1_000_000)
    expect(calls).toHaveLength(n)
    await c.stop() // idempotent
    expect(calls).toHaveLength(n)
  })

  it('stop() right after complete() delivers completed before stopped', async () => {
    const { calls, announcer } = fakeAnnouncer()
    const c = client({ announce: [[A]], announcer })
    c.start()
    await vi.advanceTimersByTimeAsync(0)
    c.complete()
    await c.stop() // before the completed round had its turn
    expect(calls.map((x) => x.params.event)).toEqual(['started', 'completed', 'stopped'])
    expect(calls[1]!.params.left).toBe(0)
  })

  it('stop() resends a completed announce that was in flight, within stopTimeout', async () => {
    const { calls, announcer, script } = fakeAnnouncer()
    const c = client({ announce: [[A]], announcer, stopTimeout: 2000 })
    c.start()
    await vi.advanceTimersByTimeAsync(0)
    script[A] = 'hang'
    c.complete()
    await vi.advanceTimersByTimeAsync(0) // completed is on the wire, unanswered
    script[A] = 'ok'
    await c.stop()
    expect(calls.map((x) => x.params.event)).toEqual(['started', 'completed', 'completed', 'stopped'])
    // A tracker that never answers the resent completed still lets stop() end within the bound.
    const d = client({ announce: [[A]], announcer, stopTimeout: 2000 })
    d.start()
    await vi.advanceTimersByTimeAsync(0)
    script[A] = 'hang'
    d.complete()
    const stopping = d.stop()
    await vi.advanceTimersByTimeAsync(2000)
    await stopping
    expect(d.running).toBe(false)
  })

  it('stop() cancels a round in flight', async () => {
    const { calls, announcer } = fakeAnnouncer({ [A]: 'hang' })
    const c = client({ announce: [[A]], announcer })
    const errors: unknown[] = []
    c.on('error', (e) => errors.push(e))
    c.start()
    await vi.advanceTimersByTimeAsync(0)
    await c.stop()
    await vi.advanceTimersByTimeAsync(1_000_000)
    expect(calls).toHaveLength(1) // never joined: no stopped
    expect(errors).toEqual([])
  })

  it('its AbortSignal tears it down without sending anything', async () => {
    const { calls, announcer } = fakeAnnouncer()
    const ac = new AbortController()
    const c = client({ announce: [[A]], announcer, signal: ac.signal })
    c.start()
    await vi.advanceTimersByTimeAsync(0)
    ac.abort()
    await c.stop()
    await vi.advanceTimersByTimeAsync(1_000_000)
    expect(calls).toHaveLength(1)
    expect(c.running).toBe(false)
  })

  it('rejects bad options with coded errors, keeping the previous numbers', async () => {
    const { announcer, calls } = fakeAnnouncer()
    expect(() => client({ announce: [['ftp://x'], []], announcer })).toThrow(
      expect.objectContaining({ code: 'TRACKER_NO_TRACKERS' }),
    )
    expect(() => client({ announce: [[A]], announcer, infoHash: new Uint8Array(3) })).toThrow(
      expect.objectContaining({ code: 'TRACKER_INVALID_PARAMS' }),
    )
    const c = client({ announce: [[A]], announcer })
    expect(() => c.update({ left: -5, uploaded: 1 })).toThrow(
      expect.objectContaining({ code: 'TRACKER_INVALID_PARAMS' }),
    )
    c.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls[0]!.params).toMatchObject({ left: 100, uploaded: 0 })
  })
})
