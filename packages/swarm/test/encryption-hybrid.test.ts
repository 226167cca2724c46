import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { connect } from 'node:net'
import { join } from 'node:path'
import { createTorrent } from '@p2p/metainfo'
import { CRYPTO_RC4, mseHandshake } from '@p2p/mse'
import { decodeHandshake, encodeHandshake, HANDSHAKE_LENGTH } from '@p2p/peer-wire'
import { describe, expect, it } from 'vitest'
import { useSession, writeContent } from './helpers.js'

const { dir, client } = useSession('swarm-mse-hybrid-')

describe('incoming MSE for a hybrid (v1 + v2) torrent', () => {
  for (const which of ['v1 info hash', 'truncated v2 hash'] as const) {
    it(`finds the torrent when the initiator's SKEY is the ${which}, and answers with that hash`, async () => {
      const src = await dir()
      await writeContent(src, { 'h/a.bin': 300_000, 'h/b.bin': 5000 })
      const { torrent, metainfo } = await createTorrent(join(src, 'h'), {
        version: 'hybrid',
        pieceLength: 65536,
      })
      const seeder = client({ encryption: 'forced', encryptionLevel: 'rc4' })
      const st = await seeder.seed(join(src, 'h'), { torrent })
      const skey =
        which === 'v1 info hash'
          ? Buffer.from(metainfo.infoHash!, 'hex')
          : Buffer.from(metainfo.infoHashV2!, 'hex').subarray(0, 20)
      const socket = connect(seeder.port, '127.0.0.1')
      await once(socket, 'connect')
      const stream = await mseHandshake(socket, {
        role: 'initiator',
        skey,
        allowed: CRYPTO_RC4,
        initialPayload: encodeHandshake({
          infoHash: skey,
          peerId: randomBytes(20),
          fast: true,
          extended: true,
        }),
      })
      expect(stream.method).toBe('rc4')
      let got = Buffer.alloc(0)
      for await (const chunk of stream) {
        got = Buffer.concat([got, chunk as Buffer])
        if (got.length >= HANDSHAKE_LENGTH + 5) break
      }
      const reply = decodeHandshake(got.subarray(0, HANDSHAKE_LENGTH))
      expect(Buffer.from(reply.infoHash).toString('hex')).toBe(skey.toString('hex'))
      // then a message (its bitfield or have-all): the wire took the connection
      expect(got.readUInt32BE(HANDSHAKE_LENGTH)).toBeGreaterThan(0)
      expect(st.connections().map((c) => c.encryption)).toEqual(['rc4'])
    })
  }
})
