import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the fake NAT-PMP/PCP server answers: a function of the request, or undefined to stay silent. */
export type UdpBehaviour = (request: Buffer) => Buffer[] | undefined

/** A UDP server on 127.0.0.1 answering with `behaviour`; every request is recorded. */
export async function startUdpGateway(
  behaviour: UdpBehaviour,
): Promise<{ port: number; requests: Buffer[]; close(): void }> {
  const sock: Socket = createSocket('udp4')
  const requests: Buffer[] = []
  sock.on('message', (msg, from) => {
    requests.push(msg)
    for (const reply of behaviour(msg) ?? []) sock.send(reply, from.port, from.address)
  })
  sock.bind(0, '127.0.0.1')
  await once(sock, 'listening')
  return { port: sock.address().port, requests, close: () => sock.close() }
}

/** A NAT-PMP reply to `request` (RFC 6886): the address reply, or a map reply granting `externalPort`. */
export function natPmpReply(request: Buffer, epoch: number, externalPort?: number, result = 0): Buffer {
  if (request[1] === 0) {
    return Buffer.from([0, 128, 0, result, ...u32(epoch), 5, 5, 5, 1])
  }
  const port = externalPort ?? request.readUInt16BE(6)
  return Buffer.from([
    0,
    128 + request[1]!,
    0,
    result,
    ...u32(epoch),
    ...request.subarray(4, 6),
    port >> 8,
    port & 255,
    ...request.subarray(8, 12),
  ])
}

/** A PCP MAP reply to `request` (RFC 6887) granting the suggested port at `address`. */
export function pcpReply(request: Buffer, epoch: number, address = [5, 5, 5, 1], result = 0): Buffer {
  const out = Buffer.from(request)
  out[1] = 0x81
  out[3] = result
  out.writeUInt32BE(epoch, 8)
  out.fill(0, 12, 24)
  out.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...address], 44)
  return out
}

function u32(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
}

/** A fake IGD: SSDP answers on a unicast UDP port, a description and a SOAP control URL over HTTP. */
export interface FakeIgd {
  ssdpPort: number
  /** SOAP actions received, with their arguments. */
  calls: { action: string; body: string }[]
  /** Current mappings, `TCP:6881` -> internal client. */
  table: Map<string, string>
  close(): Promise<void>
}

/** Options of the fake IGD: its service type, a description to serve instead, or a fault to answer. */
export interface FakeIgdOptions {
  serviceType?: string
  description?: (controlUrl: string) => string
  fault?: (action: string, body: string) => number | undefined
  externalAddress?: string
}

export async function startFakeIgd(options: FakeIgdOptions = {}): Promise<FakeIgd> {
  const serviceType = options.serviceType ?? 'urn:schemas-upnp-org:service:WANIPConnection:1'
  const calls: FakeIgd['calls'] = []
  const table = new Map<string, string>()
  const http: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      if (req.method === 'GET') {
        const control = `http://127.0.0.1:${(http.address() as AddressInfo).port}/ctl`
        res.end(
          options.description?.(control) ??
            `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device><serviceList><service>` +
              `<serviceType>${serviceType}</serviceType><controlURL>/ctl</controlURL></service></serviceList></device></root>`,
        )
        return
      }
      const action = /#(\w+)"/.exec(String(req.headers.soapaction))?.[1] ?? ''
      calls.push({ action, body })
      const arg = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1] ?? ''
      const fault = options.fault?.(action, body)
      if (fault) {
        res.statusCode = 500
        res.end(
          `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode>` +
            `<detail><UPnPError><errorCode>${fault}</errorCode><errorDescription>no</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>`,
        )
        return
      }
      const out: Record<string, string> = {}
      if (action === 'GetExternalIPAddress') out.NewExternalIPAddress = options.externalAddress ?? '5.5.5.1'
      if (action === 'AddPortMapping')
        table.set(`${arg('NewProtocol')}:${arg('NewExternalPort')}`, arg('NewInternalClient'))
      if (action === 'AddAnyPortMapping') {
        table.set(`${arg('NewProtocol')}:40000`, arg('NewInternalClient'))
        out.NewReservedPort = '40000'
      }
      if (action === 'DeletePortMapping') table.delete(`${arg('NewProtocol')}:${arg('NewExternalPort')}`)
      const args = Object.entries(out).map(([k, v]) => `<${k}>${v}</${k}>`)
      res.end(
        `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:${action}Response xmlns:u="${serviceType}">` +
          `${args.join('')}</u:${action}Response></s:Body></s:Envelope>`,
      )
    })
  })
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  const ssdp = createSocket('udp4')
  ssdp.on('message', (msg, from) => {
    if (!msg.toString().startsWith('M-SEARCH')) return
    const location = `http://127.0.0.1:${(http.address() as AddressInfo).port}/rootDesc.xml`
    ssdp.send(
      `HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: ${location}\r\n\r\n`,
      from.port,
      from.address,
    )
  })
  ssdp.bind(0, '127.0.0.1')
  await once(ssdp, 'listening')
  return {
    ssdpPort: ssdp.address().port,
    calls,
    table,
    close: async () => {
      ssdp.close()
      http.closeAllConnections()
      await new Promise((r) => http.close(r))
    },
  }
}
