import {
  DEFAULT_PACKET_SIZE,
  decodePacket,
  EXTENSION_PADDING,
  encodePacket,
  MAX_DATAGRAM_READ,
  PacketType,
  padPacket,
  pumpSimLink,
  SimLink,
  seededRandom,
} from '@p2p/utp'
import { describe, expect, it } from 'vitest'

function data(seed: number, size: number): Buffer {
  const r = seededRandom(seed)
  const out = Buffer.alloc(size)
  for (let i = 0; i < size; i++) out[i] = Math.floor(r() * 256)
  return out
}

/**
 * Sends `size` bytes from end 0 to end 1 on a link of `mtu` bytes; both ends may probe up to 65507. The
 * 256 KiB window makes the transfer take many round trips (the search resolves one probe per round trip).
 */
function transfer(seed: number, mtu: number, size: number, loss = 0) {
  const options = { pathMtu: MAX_DATAGRAM_READ, receiveWindow: 256 * 1024 }
  const link = new SimLink(seed, { mtu, loss, delayMs: 2 }, options)
  const sent = data(seed, size)
  pumpSimLink(link, 0, sent)
  link.run(() => link.ends[0].closed && link.ends[1].closed)
  return { link, sent, received: Buffer.concat(link.ends[1].received) }
}

describe('padPacket', () => {
  it.each([2, 3, 257, 258, 259, 1000, 60_000])(
    'pads by %i bytes and keeps the payload and the sack',
    (extra) => {
      const sack = new Uint8Array([5, 0, 0, 1])
      const header = {
        type: PacketType.DATA,
        connectionId: 7,
        timestamp: 1,
        timestampDiff: 2,
        windowSize: 3,
        seq: 4,
        ack: 5,
      }
      const { bytes, payloadOffset } = encodePacket(header, 100, { sack, maxDatagram: 9000 })
      bytes.fill(9, payloadOffset)
      const padded = padPacket(bytes, bytes.length + extra)
      expect(padded.length).toBe(bytes.length + extra)
      expect(padded[1]).toBe(EXTENSION_PADDING)
      const p = decodePacket(padded)
      expect(Buffer.from(p.payload).equals(bytes.subarray(payloadOffset))).toBe(true)
      expect(Array.from(p.sack!)).toEqual([5, 0, 0, 1])
      expect(p.maxDatagram).toBe(9000)
      expect(p.seq).toBe(4)
    },
  )
})

describe('MTU probing on a simulated link', () => {
  it.each([1500, 9000, MAX_DATAGRAM_READ])(
    'converges to a %i-byte link MTU and never sends data above it',
    (mtu) => {
      const { link, sent, received } = transfer(mtu, mtu, 8_000_000)
      expect(received.equals(sent)).toBe(true)
      const conn = link.ends[0].conn!
      // Within a byte: padding a probe takes two.
      expect(conn.packetSize).toBeGreaterThanOrEqual(mtu - 1)
      expect(conn.packetSize).toBeLessThanOrEqual(mtu)
      // Only probes (padded packets, resent without their padding) were ever too large for the link.
      for (const d of link.oversized) expect(d[1]).toBe(EXTENSION_PADDING)
      expect(conn.stats.probesLost).toBe(link.oversized.length)
      // Once converged, nothing above the MTU is sent.
      const last = link.sizes.findLastIndex((s) => s > mtu)
      expect(link.sizes.slice(last + 1).some((s) => s === conn.packetSize)).toBe(true)
      // Lost probes are no congestion: no window cut, no loss counted.
      expect(conn.stats.losses).toBe(0)
      expect(conn.stats.timeouts).toBe(0)
    },
  )

  it.each([11, 12, 13])(
    'seed %i: with random loss it still delivers every byte and stays at or below the MTU',
    (seed) => {
      const mtu = 4000
      const { link, sent, received } = transfer(seed, mtu, 1_000_000, 0.03)
      expect(received.equals(sent)).toBe(true)
      expect(link.ends[0].conn!.packetSize).toBeLessThanOrEqual(mtu)
      for (const d of link.oversized) expect(d[1]).toBe(EXTENSION_PADDING)
    },
  )

  it('does not probe without a path MTU above the default packet size', () => {
    const link = new SimLink(3, { mtu: DEFAULT_PACKET_SIZE })
    const sent = data(3, 500_000)
    pumpSimLink(link, 0, sent)
    link.run(() => link.ends[0].closed && link.ends[1].closed)
    expect(Buffer.concat(link.ends[1].received).equals(sent)).toBe(true)
    expect(link.ends[0].conn!.stats.probes).toBe(0)
    expect(Math.max(...link.sizes)).toBeLessThanOrEqual(DEFAULT_PACKET_SIZE)
  })
})
