// Nothing a request opens outlives it: sockets and timers are released on success, failure, timeout
// and abort alike.
import { setTimeout as sleep } from 'node:timers/promises'
import { encode } from '@p2p/bencode'
import { announce, UdpTransport } from '@p2p/tracker-client'
import { expect, it } from 'vitest'
import { httpTracker, UdpTracker } from './servers.js'

const params = { infoHash: new Uint8Array(20).fill(1), peerId: new Uint8Array(20).fill(2), port: 1 }

function handles(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((r) => r === 'TCPSocketWrap' || r === 'Timeout' || r === 'UDPWrap')
}

it('releases every socket and timer after HTTP and UDP requests, whatever their outcome', async () => {
  const ok = await httpTracker((_req, res) => res.end(encode({ interval: 60, peers: '' })))
  const silent = await httpTracker(() => {})
  const big = await httpTracker((_req, res) => res.end(Buffer.alloc(4096)))
  const udp = await UdpTracker.start()
  const udpSilent = await UdpTracker.start()
  udpSilent.hook = () => null
  const transport = new UdpTransport()
  const outcomes = await Promise.allSettled([
    announce(ok.url, params),
    announce(silent.url, params, { timeout: 100 }),
    announce(silent.url, params, { signal: AbortSignal.timeout(50) }),
    announce(big.url, params, { maxResponseBytes: 100 }),
    announce(udp.url, params, { udpTransport: transport }),
    announce(udpSilent.url, params, { udpTransport: transport, timeout: 100, udpRetransmit: { baseMs: 20 } }),
  ])
  expect(outcomes.map((o) => o.status)).toEqual([
    'fulfilled',
    'rejected',
    'rejected',
    'rejected',
    'fulfilled',
    'rejected',
  ])
  transport.close() // the shared UDP socket lingers for the connection-id lifetime (unref'd, not counted)
  await Promise.all([ok.close(), silent.close(), big.close(), udp.close(), udpSilent.close()])
  await sleep(50)
  expect(handles()).toEqual([])
})
