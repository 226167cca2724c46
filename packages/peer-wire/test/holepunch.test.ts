import {
  decodeHolepunch,
  encodeHolepunch,
  HolepunchError,
  HolepunchType,
  rendezvousVerdict,
  UtHolepunch,
  Wire,
} from '@p2p/peer-wire'
import { describe, expect, it } from 'vitest'
import { duplexPair, INFO_HASH, once, PEER_A, PEER_B } from './helpers.js'

async function holepunchPair(bUses = true) {
  const [sa, sb] = duplexPair()
  const wa = new Wire(sa, { infoHash: INFO_HASH, peerId: PEER_A })
  const wb = new Wire(sb, { infoHash: INFO_HASH, peerId: PEER_B })
  const ha = wa.use(new UtHolepunch(wa))
  const hb = bUses ? wb.use(new UtHolepunch(wb)) : undefined
  const ready = Promise.all([once(wa, 'extended-handshake'), once(wb, 'extended-handshake')])
  wa.handshake()
  wb.handshake()
  await ready
  return { wa, wb, ha, hb }
}

describe('ut_holepunch (BEP 55)', () => {
  it('encodes the BEP 55 layout for IPv4 and IPv6 and decodes it back', () => {
    const v4 = encodeHolepunch({
      type: HolepunchType.connect,
      addr: { host: '10.1.2.3', port: 6881 },
      error: 0,
    })
    expect([...v4]).toEqual([1, 0, 10, 1, 2, 3, 0x1a, 0xe1, 0, 0, 0, 0])
    const v6 = {
      type: HolepunchType.error,
      addr: { host: '2001:db8::1', port: 1 },
      error: HolepunchError.noSupport,
    }
    const bytes = encodeHolepunch(v6)
    expect(bytes.length).toBe(24)
    expect(decodeHolepunch(bytes)).toEqual(v6)
  })

  it('rejects bad types, address types and lengths with PEER_WIRE_BAD_EXTENDED', () => {
    for (const bad of [
      [3, 0, 1, 2, 3, 4, 0, 1, 0, 0, 0, 0],
      [0, 2, 1, 2, 3, 4, 0, 1, 0, 0, 0, 0],
      [0, 0, 1, 2, 3],
      [0],
    ]) {
      expect(() => decodeHolepunch(Uint8Array.from(bad))).toThrow(
        expect.objectContaining({ code: 'PEER_WIRE_BAD_EXTENDED' }),
      )
    }
  })

  it('decides a rendezvous as the BEP says: NoSuchPeer, NoSelf, NotConnected, NoSupport, or connect', () => {
    expect(rendezvousVerdict({ connected: true, supportsHolepunch: true }, false, 0)).toBe(
      HolepunchError.noSuchPeer,
    )
    expect(rendezvousVerdict(undefined, true, 6881)).toBe(HolepunchError.noSelf)
    expect(rendezvousVerdict(undefined, false, 6881)).toBe(HolepunchError.notConnected)
    expect(rendezvousVerdict({ connected: true, supportsHolepunch: false }, false, 6881)).toBe(
      HolepunchError.noSupport,
    )
    expect(rendezvousVerdict({ connected: true, supportsHolepunch: true }, false, 6881)).toBe(0)
  })

  it('carries rendezvous, connect and error between two wires', async () => {
    const { ha, hb } = await holepunchPair()
    const target = { host: '192.0.2.7', port: 51413 }
    const got = new Promise((resolve) => hb!.once('rendezvous', resolve))
    expect(ha.rendezvous(target)).toBe(true)
    expect(await got).toEqual(target)
    const connect = new Promise((resolve) => ha.once('connect', resolve))
    hb!.connect({ host: '198.51.100.9', port: 7000 })
    expect(await connect).toEqual({ host: '198.51.100.9', port: 7000 })
    const error = new Promise((resolve) => ha.once('error', (addr, code) => resolve([addr, code])))
    hb!.error(target, HolepunchError.notConnected)
    expect(await error).toEqual([target, HolepunchError.notConnected])
  })

  it('does not send to a peer without the extension', async () => {
    const { ha } = await holepunchPair(false)
    expect(ha.rendezvous({ host: '192.0.2.7', port: 1 })).toBe(false)
  })
})
