import {
  checkExternalAddress,
  decodeNatPmpAddressReply,
  decodeNatPmpMapReply,
  decodePcpMapReply,
  EpochTracker,
  encodeMSearch,
  encodeNatPmpMapRequest,
  encodePcpMapRequest,
  encodeSoapRequest,
  findWanService,
  type PcpMapRequest,
  parseProcNetRoute,
  parseSoapResponse,
  parseSsdpReply,
  parseXml,
} from '@p2p/nat'
import { describe, expect, it } from 'vitest'
import { natError } from './codes.js'

const enc = (s: string) => new TextEncoder().encode(s)

describe('NAT-PMP (RFC 6886)', () => {
  it('encodes a mapping request as in 3.3', () => {
    expect([...encodeNatPmpMapRequest('tcp', 6881, 6882, 7200)]).toEqual([
      0, 2, 0, 0, 0x1a, 0xe1, 0x1a, 0xe2, 0, 0, 0x1c, 0x20,
    ])
    expect(encodeNatPmpMapRequest('udp', 1, 0, 0)[1]).toBe(1)
  })
  it('decodes replies and refuses wrong opcodes, lengths and results', () => {
    const addr = Uint8Array.of(0, 128, 0, 0, 0, 0, 0, 9, 5, 5, 5, 1)
    expect(decodeNatPmpAddressReply(addr)).toEqual({ epoch: 9, externalAddress: '5.5.5.1' })
    const map = Uint8Array.of(0, 130, 0, 0, 0, 0, 1, 0, 0x1a, 0xe1, 0x1a, 0xe2, 0, 0, 0x0e, 0x10)
    expect(decodeNatPmpMapReply(map, 'tcp')).toEqual({
      epoch: 256,
      internalPort: 6881,
      externalPort: 6882,
      lifetime: 3600,
    })
    expect(natError(() => decodeNatPmpMapReply(map, 'udp')).code).toBe('NAT_BAD_REPLY')
    expect(natError(() => decodeNatPmpMapReply(map.subarray(0, 15), 'tcp')).code).toBe('NAT_BAD_REPLY')
    const refused = map.slice()
    refused[3] = 2
    const e = natError(() => decodeNatPmpMapReply(refused, 'tcp'))
    expect([e.code, e.detail]).toEqual(['NAT_REFUSED', 2])
  })
})

describe('PCP (RFC 6887)', () => {
  const req: PcpMapRequest = {
    nonce: new Uint8Array(12).fill(7),
    transport: 'udp',
    clientAddress: '192.168.77.10',
    internalPort: 6881,
    externalPort: 6881,
    lifetime: 7200,
  }
  const reply = (result = 0, nonce = req.nonce) => {
    const out = encodePcpMapRequest({ ...req, externalAddress: '5.5.5.1' })
    out[1] = 0x81
    out[3] = result
    out.set([0, 0, 0, 5], 8) // epoch replaces the client address's first word
    out.set(nonce, 24)
    return out
  }
  it('encodes a 60-byte MAP request with an IPv4-mapped client address', () => {
    const out = encodePcpMapRequest(req)
    expect(out.length).toBe(60)
    expect([...out.subarray(0, 8)]).toEqual([2, 1, 0, 0, 0, 0, 0x1c, 0x20])
    expect([...out.subarray(8, 24)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 192, 168, 77, 10])
    expect(out[36]).toBe(17)
  })
  it('decodes a reply and checks it answers the request', () => {
    expect(decodePcpMapReply(reply(), req)).toMatchObject({
      epoch: 5,
      externalPort: 6881,
      externalAddress: '5.5.5.1',
    })
    expect(natError(() => decodePcpMapReply(reply(0, new Uint8Array(12)), req)).code).toBe('NAT_BAD_REPLY')
    expect(natError(() => decodePcpMapReply(reply(), { ...req, transport: 'tcp' })).code).toBe(
      'NAT_BAD_REPLY',
    )
    expect(natError(() => decodePcpMapReply(reply().subarray(0, 58), req)).code).toBe('NAT_BAD_REPLY')
    const e = natError(() => decodePcpMapReply(reply(2).subarray(0, 24), req))
    expect([e.code, e.detail]).toEqual(['NAT_REFUSED', 2])
  })
})

describe('SSDP, device description and SOAP', () => {
  it('builds M-SEARCH and parses replies, refusing non-http locations', () => {
    expect(new TextDecoder().decode(encodeMSearch('urn:x'))).toContain('ST: urn:x\r\n')
    const ok = enc('HTTP/1.1 200 OK\r\nST: urn:x\r\nLocation: http://192.168.77.1:5000/rootDesc.xml\r\n\r\n')
    expect(parseSsdpReply(ok)).toEqual({
      location: 'http://192.168.77.1:5000/rootDesc.xml',
      searchTarget: 'urn:x',
    })
    expect(
      natError(() => parseSsdpReply(enc('HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\n\r\n'))).code,
    ).toBe('NAT_BAD_REPLY')
    expect(natError(() => parseSsdpReply(enc('NOTIFY * HTTP/1.1\r\n\r\n'))).code).toBe('NAT_BAD_REPLY')
    expect(natError(() => parseSsdpReply(new Uint8Array(5000))).code).toBe('NAT_BAD_REPLY')
  })

  const description = (control: string, base = '') =>
    parseXml(
      `<root>${base}<device><deviceList><device><serviceList>` +
        '<service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType><controlURL>/x</controlURL></service>' +
        `<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>${control}</controlURL></service>` +
        '</serviceList></device></deviceList></device></root>',
    )
  it('finds the WAN service and resolves its control URL on the same host only', () => {
    expect(findWanService(description('/ctl/IPConn'), 'http://192.168.77.1:5000/rootDesc.xml')).toEqual({
      serviceType: 'urn:schemas-upnp-org:service:WANIPConnection:1',
      controlUrl: 'http://192.168.77.1:5000/ctl/IPConn',
    })
    const based = description('ctl', '<URLBase>http://192.168.77.1:6000/a/</URLBase>')
    expect(findWanService(based, 'http://192.168.77.1:5000/d.xml').controlUrl).toBe(
      'http://192.168.77.1:6000/a/ctl',
    )
    expect(
      natError(() => findWanService(description('http://203.0.113.9/ctl'), 'http://192.168.77.1/d.xml')).code,
    ).toBe('NAT_NO_IGD')
    expect(natError(() => findWanService(parseXml('<root/>'), 'http://192.168.77.1/d.xml')).code).toBe(
      'NAT_NO_IGD',
    )
  })

  it('encodes SOAP requests with escaped arguments and parses replies and faults', () => {
    const body = encodeSoapRequest('urn:t', 'AddPortMapping', {
      NewPortMappingDescription: '<p2p&>',
      NewExternalPort: 1,
    })
    expect(body).toContain('<NewPortMappingDescription>&#60;p2p&#38;&#62;</NewPortMappingDescription>')
    expect(parseXml(body).name).toBe('Envelope')
    const ok =
      '<s:Envelope xmlns:s="e"><s:Body><u:GetExternalIPAddressResponse xmlns:u="t">' +
      '<NewExternalIPAddress>5.5.5.1</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>'
    expect(parseSoapResponse(ok, 'GetExternalIPAddress').get('NewExternalIPAddress')).toBe('5.5.5.1')
    const fault =
      '<s:Envelope><s:Body><s:Fault><faultcode>s:Client</faultcode><detail><UPnPError>' +
      '<errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>'
    const e = natError(() => parseSoapResponse(fault, 'AddPortMapping'))
    expect([e.code, e.detail]).toEqual(['NAT_REFUSED', 718])
    expect(natError(() => parseSoapResponse(ok, 'AddPortMapping')).code).toBe('NAT_BAD_REPLY')
  })
})

describe('gateway, external address and epoch', () => {
  it('reads the default gateway from /proc/net/route, lowest metric first', () => {
    const text =
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
      'eth1\t00000000\t0201A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n' +
      'eth0\t00000000\t014DA8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n' +
      'eth0\t004DA8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n'
    expect(parseProcNetRoute(text)).toBe('192.168.77.1')
    expect(parseProcNetRoute('Iface\n')).toBeUndefined()
  })
  it('rejects impossible external addresses and flags private ones', () => {
    expect(checkExternalAddress('5.5.5.1')).toEqual({ address: '5.5.5.1', private: false })
    expect(checkExternalAddress('100.64.0.1').private).toBe(true)
    expect(checkExternalAddress('192.168.1.1').private).toBe(true)
    expect(checkExternalAddress('2001:db8::1').private).toBe(false)
    for (const lie of [
      '0.0.0.0',
      '127.0.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      'ff02::1',
      '',
      'x',
    ])
      expect(natError(() => checkExternalAddress(lie)).code).toBe('NAT_BAD_EXTERNAL_ADDRESS')
  })
  it('detects a gateway restart or a lying epoch (RFC 6887 8.5)', () => {
    const t = new EpochTracker()
    expect(t.observe(1000, 0)).toBe(false)
    expect(t.observe(1060, 60_000)).toBe(false)
    expect(t.observe(5, 61_000)).toBe(true) // went back: restarted
    expect(t.observe(65, 121_000)).toBe(false)
    expect(t.observe(100_000, 122_000)).toBe(true) // leapt ahead
    expect(t.observe(100_001, 200_000)).toBe(true) // stood still while we waited
  })
})
