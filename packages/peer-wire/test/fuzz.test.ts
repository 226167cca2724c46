import { encodeMessage, PeerWireError } from '@p2p/peer-wire'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { messageArb } from './arbitraries.js'
import { rawPeer, tick } from './helpers.js'

const torrent = { pieceCount: 20, pieceLength: 32768, length: 19 * 32768 + 5 }

describe('wire fuzz', () => {
  it('random bytes after the handshake close the wire with a PeerWireError or are accepted, never crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
        fc.boolean(),
        async (chunks, fast) => {
          const p = rawPeer(torrent, { fast })
          await p.handshake()
          for (const c of chunks) p.raw.write(c)
          await tick()
          if (p.wire.destroyed) expect(await p.closed).toBeInstanceOf(PeerWireError)
          p.wire.destroy()
        },
      ),
      { numRuns: 300 },
    )
  })

  it('random valid messages close the wire only with a PeerWireError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(messageArb, { maxLength: 12 }), fc.boolean(), async (msgs, fast) => {
        const p = rawPeer(torrent, { fast })
        await p.handshake()
        for (const m of msgs) p.raw.write(encodeMessage(m))
        await tick()
        if (p.wire.destroyed) expect(await p.closed).toBeInstanceOf(PeerWireError)
        p.wire.destroy()
      }),
      { numRuns: 300 },
    )
  })
})
