import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import {
  decodePacket,
  encodePacket,
  PacketType,
  pumpSimLink,
  SimLink,
  seededRandom,
  UtpError,
  UtpSocket,
} from '@p2p/utp'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'

const sockets: UtpSocket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) await s.close()
})

function header(type: number, fields: Partial<Record<'connectionId' | 'seq' | 'ack', number>> = {}) {
  return encodePacket(
    {
      type: type as 0,
      connectionId: fields.connectionId ?? 1,
      timestamp: 1,
      timestampDiff: 0,
      windowSize: 1 << 20,
      seq: fields.seq ?? 1,
      ack: fields.ack ?? 0,
    },
    0,
  ).bytes
}

describe('hostile uTP input', () => {
  it('decodePacket throws only UtpError with a stable code on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodePacket(bytes)
        } catch (error) {
          expect(error).toBeInstanceOf(UtpError)
          expect(['UTP_PACKET_TOO_SHORT', 'UTP_BAD_VERSION', 'UTP_BAD_TYPE', 'UTP_BAD_EXTENSION']).toContain(
            (error as UtpError).code,
          )
        }
      }),
      { numRuns: 5000 },
    )
  })

  it('rejects each malformed header with its code', () => {
    const ok = header(PacketType.STATE)
    expect(() => decodePacket(ok.subarray(0, 19))).toThrow(
      expect.objectContaining({ code: 'UTP_PACKET_TOO_SHORT' }),
    )
    const v2 = Buffer.from(ok)
    v2[0] = (PacketType.STATE << 4) | 2
    expect(() => decodePacket(v2)).toThrow(expect.objectContaining({ code: 'UTP_BAD_VERSION' }))
    const t5 = Buffer.from(ok)
    t5[0] = (5 << 4) | 1
    expect(() => decodePacket(t5)).toThrow(expect.objectContaining({ code: 'UTP_BAD_TYPE' }))
    const ext = Buffer.concat([ok, Buffer.from([0, 8, 1, 2])])
    ext[1] = 1
    expect(() => decodePacket(ext)).toThrow(expect.objectContaining({ code: 'UTP_BAD_EXTENSION' }))
    const sack0 = Buffer.concat([ok, Buffer.from([0, 0])])
    sack0[1] = 1
    expect(() => decodePacket(sack0)).toThrow(expect.objectContaining({ code: 'UTP_BAD_EXTENSION' }))
    // libtorrent sends (span + 7) / 8 bytes of mask, not always the 4n BEP 29 asks for.
    const sack3 = Buffer.concat([ok, Buffer.from([0, 3, 1, 2, 3])])
    sack3[1] = 1
    expect(Array.from(decodePacket(sack3).sack!)).toEqual([1, 2, 3])
    const unknown = Buffer.concat([ok, Buffer.from([0, 2, 9, 9]), Buffer.from('payload')])
    unknown[1] = 77
    expect(Buffer.from(decodePacket(unknown).payload).toString()).toBe('payload')
  })

  it('a transfer survives injected garbage, foreign ids, far-off seq/ack numbers and bogus selective acks', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = seededRandom(seed)
      const link = new SimLink(seed, { loss: 0.03, reorder: 0.1, delayMs: 5, jitterMs: 5 })
      const data = randomBytes(150_000)
      pumpSimLink(link, 0, data)
      let injected = 0
      link.run(() => {
        if (link.ends[1].conn && injected < 400 && r() < 0.3) {
          injected++
          const to = r() < 0.5 ? 0 : 1
          const conn = link.ends[to].conn!
          const kind = Math.floor(r() * 5)
          const type = [PacketType.DATA, PacketType.STATE, PacketType.FIN, PacketType.SYN][
            Math.floor(r() * 4)
          ]!
          let bytes: Uint8Array
          if (kind === 0) bytes = randomBytes(Math.floor(r() * 60))
          else if (kind === 1) bytes = header(type, { connectionId: (conn.recvId + 7) & 0xffff })
          else if (kind === 2) {
            // An ack far outside what was sent, and data far beyond the reorder window.
            bytes = header(type, { connectionId: conn.recvId, seq: Math.floor(r() * 0x10000), ack: 0x8000 })
          } else if (kind === 3) {
            const b = Buffer.concat([
              header(PacketType.STATE, { connectionId: conn.recvId, ack: 0x8000 }),
              Buffer.from([0, 4, 255, 255, 255, 255]),
            ])
            b[1] = 1
            bytes = b
          } else
            bytes = Buffer.concat([header(PacketType.DATA, { connectionId: conn.recvId }), randomBytes(0)])
          link.inject(to, bytes)
        }
        return link.ends[0].closed && link.ends[1].closed
      })
      expect(Buffer.concat(link.ends[1].received).equals(data), `seed ${seed}`).toBe(true)
      expect(link.ends[0].error, `seed ${seed}`).toBeUndefined()
      expect(link.ends[1].error, `seed ${seed}`).toBeUndefined()
    }
  })

  it('counts malformed datagrams and rate-limits RESETs to unknown connections', async () => {
    const target = new UtpSocket({ resetRate: 20 })
    const attacker = new UtpSocket()
    sockets.push(target, attacker)
    await target.listen(0, '127.0.0.1')
    await attacker.bind(0, '127.0.0.1')
    const port = target.address().port
    const bad = Buffer.concat([header(PacketType.STATE), Buffer.from([0, 200])])
    bad[1] = 1
    let resets = 0
    const raw = new UtpSocket({ onMessage: () => {} })
    sockets.push(raw)
    for (let i = 0; i < 300; i++) {
      attacker.send(header(PacketType.DATA, { connectionId: 1000 + i }), port, '127.0.0.1')
      attacker.send(bad, port, '127.0.0.1')
      attacker.send(randomBytes(10), port, '127.0.0.1')
    }
    while (target.stats.datagramsIn < 900) await new Promise((r) => setTimeout(r, 20))
    resets = target.stats.resetsSent
    expect(target.stats.malformed.UTP_BAD_EXTENSION).toBe(300)
    expect(target.stats.notUtp).toBe(300)
    expect(target.stats.unknownConnection).toBe(300)
    expect(resets).toBeGreaterThan(0)
    expect(resets).toBeLessThan(60)
    expect(resets + target.stats.resetsSuppressed).toBe(300)
    expect(target.connections).toBe(0)
  })

  it('refuses SYNs beyond maxConnections with a RESET', async () => {
    const server = new UtpSocket({ maxConnections: 2 })
    const client = new UtpSocket()
    sockets.push(server, client)
    await server.listen(0, '127.0.0.1')
    await client.bind(0, '127.0.0.1')
    const port = server.address().port
    const ok = [client.connect(port, '127.0.0.1'), client.connect(port, '127.0.0.1')]
    await Promise.all(ok.map((s) => once(s, 'connect')))
    const third = client.connect(port, '127.0.0.1')
    const [error] = (await once(third, 'error')) as [{ code: string }]
    expect(error.code).toBe('UTP_RESET')
    expect(server.stats.refused).toBe(1)
    expect(server.connections).toBe(2)
  })
})
