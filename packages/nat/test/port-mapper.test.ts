import {
  type MappingClient,
  type MappingMethod,
  type MapResult,
  NatError,
  PortMapper,
  type Timers,
  type Transport,
  UPNP_ERROR,
} from '@p2p/nat'
import { describe, expect, it } from 'vitest'

/** Timers driven by the test. */
class ManualTimers implements Timers {
  #now = 0
  #next = 1
  readonly #due = new Map<number, { at: number; fn: () => void }>()
  now = () => this.#now
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.#next++
    this.#due.set(id, { at: this.#now + ms, fn })
    return id
  }
  clearTimeout = (h: unknown) => {
    this.#due.delete(h as number)
  }
  get pending(): number {
    return this.#due.size
  }
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms
    for (;;) {
      const [id, next] = [...this.#due].sort((a, b) => a[1].at - b[1].at)[0] ?? []
      if (!next || next.at > end) break
      this.#due.delete(id!)
      this.#now = next.at
      next.fn()
      await settle()
    }
    this.#now = end
  }
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
}

/** An in-memory gateway client whose answers each test scripts. */
class FakeClient implements MappingClient {
  readonly calls: string[] = []
  readonly table = new Map<string, number>()
  address = '5.5.5.1'
  taken = new Set<number>()
  failNext: NatError[] = []
  restartOnce = false
  lifetimes: Partial<Record<Transport, number>> = {}
  constructor(readonly method: MappingMethod) {}
  async externalAddress(): Promise<string> {
    this.calls.push('address')
    return this.address
  }
  async map(t: Transport, _internal: number, external: number, lifetime: number): Promise<MapResult> {
    this.calls.push(`map ${t} ${external}`)
    const fail = this.failNext.shift()
    if (fail) throw fail
    if (this.taken.has(external)) throw new NatError('NAT_REFUSED', 'conflict', UPNP_ERROR.conflict)
    this.table.set(t, external)
    const restarted = this.restartOnce
    this.restartOnce = false
    return { externalPort: external, lifetime: this.lifetimes[t] ?? lifetime, gatewayRestarted: restarted }
  }
  async unmap(t: Transport, _internal: number, external: number): Promise<void> {
    this.calls.push(`unmap ${t} ${external}`)
    this.table.delete(t)
  }
}

function record(mapper: PortMapper): string[] {
  const log: string[] = []
  mapper.on('method', (m) => log.push(`method ${m}`))
  mapper.on('external-address', (a) => log.push(`address ${a.address}`))
  for (const ev of ['mapped', 'renewed', 'expired', 'unmapped'] as const) {
    mapper.on(ev, (m) => log.push(`${ev} ${m.transport} ${m.externalPort}`))
  }
  mapper.on('gateway-restarted', (m) => log.push(`restarted ${m}`))
  mapper.on('failed', (e) => log.push(`failed ${e.code}`))
  return log
}

describe('PortMapper', () => {
  it('maps TCP and UDP, learns the address, renews at half the lease and unmaps on close', async () => {
    const timers = new ManualTimers()
    const client = new FakeClient('natpmp')
    const mapper = new PortMapper({ internalPort: 6881, clients: [client], timers, lifetime: 100 })
    const log = record(mapper)
    const mappings = await mapper.start()
    expect(mappings.map((m) => [m.transport, m.externalPort, m.expiresAt])).toEqual([
      ['tcp', 6881, 100_000],
      ['udp', 6881, 100_000],
    ])
    expect(mapper.externalAddress?.address).toBe('5.5.5.1')
    await timers.advance(49_999)
    expect(log.filter((l) => l.startsWith('renewed'))).toEqual([])
    client.address = '5.5.5.7'
    await timers.advance(1)
    expect(log.filter((l) => l.startsWith('renewed'))).toEqual(['renewed tcp 6881', 'renewed udp 6881'])
    expect(mapper.externalAddress?.address).toBe('5.5.5.7')
    await mapper.close()
    expect(client.table.size).toBe(0)
    expect(timers.pending).toBe(0)
    expect(log).toEqual([
      'method natpmp',
      'address 5.5.5.1',
      'mapped tcp 6881',
      'mapped udp 6881',
      'renewed tcp 6881',
      'address 5.5.5.7',
      'renewed udp 6881',
      'unmapped tcp 6881',
      'unmapped udp 6881',
    ])
  })

  it('falls back to the next method and fails with NAT_UNAVAILABLE when none answers', async () => {
    const dead = new FakeClient('pcp')
    dead.externalAddress = async () => {
      throw new NatError('NAT_TIMEOUT', 'no reply')
    }
    const upnp = new FakeClient('upnp')
    const mapper = new PortMapper({ internalPort: 6881, clients: [dead, upnp], timers: new ManualTimers() })
    const log = record(mapper)
    await mapper.start()
    expect(mapper.method).toBe('upnp')
    expect(log.slice(0, 2)).toEqual(['failed NAT_TIMEOUT', 'method upnp'])
    await mapper.close()

    const none = new PortMapper({ internalPort: 6881, clients: [dead], timers: new ManualTimers() })
    await expect(none.start()).rejects.toMatchObject({ code: 'NAT_UNAVAILABLE' })
  })

  it('picks another external port when a UPnP gateway reports a conflict, within a bound', async () => {
    const client = new FakeClient('upnp')
    client.taken = new Set([6881, 1024 + Math.floor(0.5 * 64512)])
    let r = 0
    const randoms = [0.5, 0.25]
    const mapper = new PortMapper({
      internalPort: 6881,
      transports: ['tcp'],
      clients: [client],
      timers: new ManualTimers(),
      random: () => randoms[r++]!,
    })
    const [m] = await mapper.start()
    expect(m!.externalPort).toBe(1024 + Math.floor(0.25 * 64512))
    expect(client.calls.filter((c) => c.startsWith('map'))).toHaveLength(3)

    const stubborn = new FakeClient('upnp')
    stubborn.map = async () => {
      throw new NatError('NAT_REFUSED', 'conflict', UPNP_ERROR.conflict)
    }
    const mapper2 = new PortMapper({
      internalPort: 6881,
      transports: ['tcp'],
      clients: [stubborn],
      timers: new ManualTimers(),
      maxPortAttempts: 3,
    })
    const log = record(mapper2)
    expect(await mapper2.start()).toEqual([])
    expect(log.filter((l) => l.startsWith('failed'))).toEqual(['failed NAT_REFUSED'])
  })

  it('reports expiry after failed renewals, then maps again', async () => {
    const timers = new ManualTimers()
    const client = new FakeClient('natpmp')
    const mapper = new PortMapper({
      internalPort: 6881,
      transports: ['udp'],
      clients: [client],
      timers,
      lifetime: 120,
      retryDelayMs: 40_000,
    })
    const log = record(mapper)
    await mapper.start()
    client.failNext = [new NatError('NAT_TIMEOUT', 'x'), new NatError('NAT_TIMEOUT', 'x')]
    await timers.advance(60_000) // renewal fails
    await timers.advance(40_000) // retry fails, the lease is not over yet (100 s < 120 s)
    expect(mapper.mappings).toHaveLength(1)
    expect(log.slice(3)).toEqual(['failed NAT_TIMEOUT', 'failed NAT_TIMEOUT'])
    await timers.advance(20_000) // retried at the lease's end (120 s), succeeds: a new mapping
    expect(log.slice(5)).toEqual(['mapped udp 6881'])
    client.failNext = [new NatError('NAT_TIMEOUT', 'x')]
    await timers.advance(60_000 + 40_000) // fails at 180 s, renewed at 220 s
    expect(log.slice(6)).toEqual(['failed NAT_TIMEOUT', 'renewed udp 6881'])
    client.failNext = Array.from({ length: 3 }, () => new NatError('NAT_TIMEOUT', 'x'))
    await timers.advance(60_000 + 40_000 + 20_000) // fails at 280, 320 and 340 s (the lease's end)
    expect(log.slice(8)).toEqual([
      'failed NAT_TIMEOUT',
      'failed NAT_TIMEOUT',
      'failed NAT_TIMEOUT',
      'expired udp 6881',
    ])
    expect(mapper.mappings).toEqual([])
    await timers.advance(40_000)
    expect(log.slice(12)).toEqual(['mapped udp 6881'])
    await mapper.close()
  })

  it('remaps everything when the gateway restarted, and ignores lies about the address and ports', async () => {
    const timers = new ManualTimers()
    const client = new FakeClient('pcp')
    client.lifetimes.udp = 1000
    const mapper = new PortMapper({ internalPort: 6881, clients: [client], timers, lifetime: 100 })
    const log = record(mapper)
    client.address = '127.0.0.1'
    await mapper.start()
    expect(mapper.externalAddress).toBeUndefined()
    expect(log).toContain('failed NAT_BAD_EXTERNAL_ADDRESS')
    client.restartOnce = true
    client.calls.length = 0
    await timers.advance(50_000)
    expect(log).toContain('restarted pcp')
    expect(client.calls.filter((c) => c.startsWith('map'))).toEqual(['map tcp 6881', 'map udp 6881']) // only TCP was due

    const liar = new FakeClient('natpmp')
    liar.map = async () => ({ externalPort: 70_000, lifetime: 10, gatewayRestarted: false })
    const mapper2 = new PortMapper({ internalPort: 6881, clients: [liar], timers: new ManualTimers() })
    const log2 = record(mapper2)
    expect(await mapper2.start()).toEqual([])
    expect(log2.filter((l) => l.startsWith('failed'))).toEqual([
      'failed NAT_BAD_REPLY',
      'failed NAT_BAD_REPLY',
    ])
    await Promise.all([mapper.close(), mapper2.close()])
  })

  it('validates its options and refuses to start after close', async () => {
    expect(() => new PortMapper({ internalPort: 0 })).toThrow(NatError)
    expect(() => new PortMapper({ internalPort: 1, lifetime: 0 })).toThrow(NatError)
    const mapper = new PortMapper({ internalPort: 6881, clients: [new FakeClient('upnp')] })
    await mapper.close()
    await expect(mapper.start()).rejects.toMatchObject({ code: 'NAT_CLOSED' })
  })
})
