import { describe, expect, it } from 'vitest'
import { rawPeer } from './helpers.js'

describe('a message must complete in time once its header arrived', () => {
  it('closes a peer trickling a 16 KiB piece one byte at a time (each byte resets the idle timer)', async () => {
    const p = rawPeer({ pieceCount: 4, messageTimeout: 300, idleTimeout: 60_000 })
    await p.handshake()
    // piece header: length 9 + 16384, id 7, index 0, begin 0; then the block, byte by byte
    const header = Buffer.alloc(13)
    header.writeUInt32BE(9 + 16384, 0)
    header[4] = 7
    p.raw.write(header)
    const trickle = setInterval(() => p.raw.write(Buffer.from([0])), 20)
    try {
      const err = await Promise.race([p.closed, new Promise((r) => setTimeout(() => r('open'), 5000))])
      expect(err).toMatchObject({ code: 'PEER_WIRE_MESSAGE_TIMEOUT' })
    } finally {
      clearInterval(trickle)
      p.wire.destroy()
    }
  })

  it('a steady stream of complete messages is never cut off', async () => {
    const p = rawPeer({ pieceCount: 4, messageTimeout: 2000, idleTimeout: 60_000 })
    await p.handshake()
    const have = Buffer.from([0, 0, 0, 5, 4, 0, 0, 0, 1])
    // every chunk ends inside a message: a have split across writes, for longer than messageTimeout
    const chunk = Buffer.concat([have.subarray(5), have.subarray(0, 5)])
    const stream = setInterval(() => p.raw.write(chunk), 20)
    p.raw.write(have.subarray(0, 5))
    try {
      const outcome = await Promise.race([p.closed, new Promise((r) => setTimeout(() => r('open'), 3000))])
      expect(outcome).toBe('open')
    } finally {
      clearInterval(stream)
      p.wire.destroy()
    }
  })
})
