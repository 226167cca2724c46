import {
  EpochTracker,
  gatewayExchange,
  type NatError,
  NatPmpClient,
  PcpClient,
  PortMapper,
  UpnpClient,
  udpExchange,
} from '@p2p/nat'
import { afterEach, describe, expect, it } from 'vitest'
import { natPmpReply, pcpReply, startFakeIgd, startUdpGateway } from './fake-gateways.js'

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn()
})

// Retransmissions may happen on a loaded machine; assertions below allow for them.
const fast = { initialTimeoutMs: 100, attempts: 5 }
const silentRetry = { initialTimeoutMs: 20, attempts: 3 }

describe('gatewayExchange (shared by the NAT-PMP and PCP clients)', () => {
  it('retries until a reply decodes, sends our local address, and reports an epoch that went back', async () => {
    let n = 0
    // Silent to the first request, then answers with the epoch in the request's first byte.
    const gw = await startUdpGateway((req) => (n++ === 0 ? undefined : [Buffer.from([req[0]!])]))
    cleanup.push(gw.close)
    let clock = 0
    const options = { gateway: '127.0.0.1', port: gw.port, now: () => clock, ...fast }
    const epochs = new EpochTracker()
    const local: string[] = []
    const exchange = (epoch: number) =>
      gatewayExchange(
        options,
        epochs,
        (address) => {
          local.push(address)
          return Uint8Array.of(epoch)
        },
        (r) => ({ epoch: r[0]! }),
      )
    expect(await exchange(50)).toEqual({ reply: { epoch: 50 }, restarted: false })
    expect(gw.requests.length).toBe(2)
    clock = 10_000
    expect(await exchange(60)).toEqual({ reply: { epoch: 60 }, restarted: false })
    expect(await exchange(3)).toEqual({ reply: { epoch: 3 }, restarted: true })
    expect(new Set(local)).toEqual(new Set(['127.0.0.1']))
  })
})

describe('NAT-PMP client against a fake gateway', () => {
  it('maps, learns the address, unmaps, and ignores stray replies', async () => {
    let epoch = 100
    const gw = await startUdpGateway((req) => {
      const stray = Buffer.from([0, 131, 0, 0]) // wrong opcode and length: ignored
      return [stray, natPmpReply(req, epoch++)]
    })
    cleanup.push(gw.close)
    const client = new NatPmpClient({ gateway: '127.0.0.1', port: gw.port, ...fast })
    expect(await client.externalAddress()).toBe('5.5.5.1')
    expect(await client.map('tcp', 6881, 6881, 3600)).toEqual({
      externalPort: 6881,
      lifetime: 3600,
      gatewayRestarted: false,
    })
    await client.unmap('tcp', 6881, 6881)
    expect([...gw.requests.at(-1)!]).toEqual([0, 2, 0, 0, 0x1a, 0xe1, 0, 0, 0, 0, 0, 0])
  })

  it('reports a refused mapping, a silent gateway and a wrong epoch', async () => {
    const refusing = await startUdpGateway((req) => [natPmpReply(req, 1, undefined, 2)])
    const silent = await startUdpGateway(() => undefined)
    const epochs = [5000, 3] // went back: the gateway restarted
    const rebooting = await startUdpGateway((req) => [natPmpReply(req, epochs.shift() ?? 3)])
    cleanup.push(refusing.close, silent.close, rebooting.close)
    const refused = await new NatPmpClient({ gateway: '127.0.0.1', port: refusing.port, ...fast })
      .map('udp', 6881, 6881, 60)
      .catch((e: NatError) => e)
    expect([(refused as NatError).code, (refused as NatError).detail]).toEqual(['NAT_REFUSED', 2])
    await expect(
      new NatPmpClient({ gateway: '127.0.0.1', port: silent.port, ...silentRetry }).externalAddress(),
    ).rejects.toMatchObject({
      code: 'NAT_TIMEOUT',
    })
    expect(silent.requests).toHaveLength(3)
    const client = new NatPmpClient({ gateway: '127.0.0.1', port: rebooting.port, ...fast })
    expect((await client.map('tcp', 6881, 6881, 60)).gatewayRestarted).toBe(false)
    expect((await client.map('tcp', 6881, 6881, 60)).gatewayRestarted).toBe(true)
  })

  it('stops on abort', async () => {
    const silent = await startUdpGateway(() => undefined)
    cleanup.push(silent.close)
    const ac = new AbortController()
    const pending = udpExchange(
      '127.0.0.1',
      silent.port,
      () => Uint8Array.of(0, 0),
      (r) => r,
      { signal: ac.signal },
    )
    ac.abort()
    await expect(pending).rejects.toMatchObject({ code: 'NAT_CLOSED' })
  })
})

describe('PCP client against a fake gateway', () => {
  it('sends our address and a nonce kept for renewal and deletion; ignores replies with another nonce', async () => {
    const gw = await startUdpGateway((req) => {
      const forged = pcpReply(req, 9)
      forged[30] = forged[30]! ^ 1
      return [forged, pcpReply(req, 9)]
    })
    cleanup.push(gw.close)
    const client = new PcpClient({ gateway: '127.0.0.1', port: gw.port, ...fast })
    const first = await client.map('udp', 6881, 6881, 7200)
    expect(first).toMatchObject({ externalPort: 6881, externalAddress: '5.5.5.1' })
    await client.map('udp', 6881, 6881, 7200)
    await client.unmap('udp', 6881, 6881)
    const a = gw.requests[0]!
    const c = gw.requests.at(-1)!
    expect([...a.subarray(20, 24)]).toEqual([127, 0, 0, 1])
    for (const r of gw.requests) expect(r.subarray(24, 36)).toEqual(a.subarray(24, 36))
    expect(c.readUInt32BE(4)).toBe(0)
  })

  it('learns the external address with a probe mapping it deletes', async () => {
    const gw = await startUdpGateway((req) => [pcpReply(req, 9, [5, 5, 5, 9])])
    cleanup.push(gw.close)
    expect(await new PcpClient({ gateway: '127.0.0.1', port: gw.port, ...fast }).externalAddress()).toBe(
      '5.5.5.9',
    )
    expect(gw.requests[0]!.readUInt32BE(4)).toBeGreaterThan(0)
    expect(gw.requests.at(-1)!.readUInt32BE(4)).toBe(0)
  })
})

describe('UPnP client against a fake IGD', () => {
  it('discovers by SSDP, maps with our LAN address, unmaps', async () => {
    const igd = await startFakeIgd()
    cleanup.push(igd.close)
    const client = await UpnpClient.discover({
      ssdpAddress: '127.0.0.1',
      ssdpPort: igd.ssdpPort,
      timeoutMs: 1500,
    })
    expect(client.service.controlUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ctl$/)
    expect(await client.externalAddress()).toBe('5.5.5.1')
    await client.map('tcp', 6881, 6881, 3600)
    expect(igd.table.get('TCP:6881')).toBe('127.0.0.1')
    await client.unmap('tcp', 6881, 6881)
    expect(igd.table.size).toBe(0)
  })

  it('retries with a permanent lease, and uses AddAnyPortMapping on an IGD v2 conflict', async () => {
    const v1 = await startFakeIgd({
      fault: (a, body) =>
        a === 'AddPortMapping' && !body.includes('<NewLeaseDuration>0<') ? 725 : undefined,
    })
    const v2 = await startFakeIgd({
      serviceType: 'urn:schemas-upnp-org:service:WANIPConnection:2',
      fault: (a) => (a === 'AddPortMapping' ? 718 : undefined),
    })
    cleanup.push(v1.close, v2.close)
    const c1 = await UpnpClient.discover({ ssdpAddress: '127.0.0.1', ssdpPort: v1.ssdpPort, timeoutMs: 1500 })
    expect(await c1.map('udp', 6881, 6881, 3600)).toMatchObject({ externalPort: 6881, lifetime: 0 })
    const c2 = await UpnpClient.discover({ ssdpAddress: '127.0.0.1', ssdpPort: v2.ssdpPort, timeoutMs: 1500 })
    expect(await c2.map('tcp', 6881, 6881, 3600)).toMatchObject({ externalPort: 40000 })
    expect(v2.calls.map((c) => c.action)).toEqual(['AddPortMapping', 'AddAnyPortMapping'])
  })

  it.each([
    [
      'a DOCTYPE with entities',
      () => '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><root>&b;</root>',
      'NAT_BAD_XML',
    ],
    ['an oversize description', () => `<root>${'<x/>'.repeat(40_000)}</root>`, 'NAT_HTTP'],
    [
      'a control URL on another host',
      () =>
        '<root><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>http://10.9.9.9/ctl</controlURL></service></root>',
      'NAT_NO_IGD',
    ],
  ])('refuses %s without crashing', async (_what, description, code) => {
    const igd = await startFakeIgd({ description })
    cleanup.push(igd.close)
    await expect(
      UpnpClient.discover({ ssdpAddress: '127.0.0.1', ssdpPort: igd.ssdpPort, timeoutMs: 1500 }),
    ).rejects.toMatchObject({ code })
  })

  it('drives a PortMapper end to end, and a lying external address is not believed', async () => {
    const igd = await startFakeIgd({ externalAddress: '0.0.0.0' })
    cleanup.push(igd.close)
    const mapper = new PortMapper({
      internalPort: 6881,
      methods: ['upnp'],
      upnp: { ssdpAddress: '127.0.0.1', ssdpPort: igd.ssdpPort, timeoutMs: 1500 },
    })
    const failed: string[] = []
    mapper.on('failed', (e) => failed.push(e.code))
    const mappings = await mapper.start()
    expect(mappings.map((m) => `${m.method} ${m.transport} ${m.externalPort}`)).toEqual([
      'upnp tcp 6881',
      'upnp udp 6881',
    ])
    expect(mapper.externalAddress).toBeUndefined()
    expect(failed).toEqual(['NAT_BAD_EXTERNAL_ADDRESS'])
    expect([...igd.table.keys()].sort()).toEqual(['TCP:6881', 'UDP:6881'])
    await mapper.close()
    expect(igd.table.size).toBe(0)
  })
})
