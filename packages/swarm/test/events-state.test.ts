import { connect } from 'node:net'
import { parseTorrent } from '@p2p/metainfo'
import { generatePeerId } from '@p2p/peer-address'
import { Wire } from '@p2p/peer-wire'
import { expect, it } from 'vitest'
import { doneWithin, useSession, v1Torrent, writeContent } from './helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-events-', { hashThreads: 1 })

it('a piece event describes the state after the piece: stats() count it, the last one reads 100 %', async () => {
  const pieces = 64
  const src = await dir()
  const files = await writeContent(src, { 'f.bin': pieces * 16384 })
  const torrent = await v1Torrent('f.bin', [{ path: ['f.bin'], bytes: files.get('f.bin')! }], 16384, true)
  const seeder = client()
  await seeder.listen()
  await seeder.add(torrent, { path: src, resume: false })
  const leecher = client()
  const t = await leecher.add(torrent, { path: await dir(), peers: [local(seeder)], resume: false })
  const seen: number[] = []
  t.on('piece', (e) => {
    if (e.ok) seen.push(t.stats().progress)
  })
  await doneWithin(t, 30_000)
  expect(seen).toHaveLength(pieces)
  // The n-th verified piece is counted by the time its event is heard.
  expect(seen.map((p, i) => Math.round(p * pieces) - (i + 1))).toEqual(new Array(pieces).fill(0))
  expect(seen.at(-1)).toBe(1)
})

it('a private torrent (BEP 27) offers no ut_pex, so no peer learns of others through it or tells it of any', async () => {
  const src = await dir()
  const files = await writeContent(src, { 'p.bin': 8 * 16384 })
  const bytes = files.get('p.bin')!
  const torrent = await v1Torrent('p.bin', [{ path: ['p.bin'], bytes }], 16384, true, { private: 1 })
  const seeder = client()
  await seeder.listen()
  await seeder.add(torrent, { path: src, resume: false })
  const wire = new Wire(connect(local(seeder)), {
    infoHash: parseTorrent(torrent).infoHashBytes,
    peerId: generatePeerId('-PX0001-'),
    pieceCount: 8,
    pieceLength: 16384,
    length: bytes.length,
  })
  onCleanup(async () => wire.destroy())
  const extended = new Promise<{ m?: object }>((r) => wire.once('extended-handshake', (h) => r(h)))
  wire.handshake()
  const h = await extended
  expect(Object.keys(h.m ?? {})).toContain('ut_metadata')
  expect(Object.keys(h.m ?? {})).not.toContain('ut_pex')
  expect(wire.peerSupports('ut_pex')).toBe(false)
})
