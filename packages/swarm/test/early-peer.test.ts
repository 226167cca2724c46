import { connect } from 'node:net'
import { parseTorrent } from '@p2p/metainfo'
import { generatePeerId } from '@p2p/peer-address'
import { Wire } from '@p2p/peer-wire'
import { waitFor } from '@p2p/test-utils'
import { it } from 'vitest'
import { useSession, v1Torrent, writeContent } from './helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-early-', { hashThreads: 1 })

it('a peer that connects while the seeder still checks its data learns every piece once the check ends', async () => {
  const pieces = 512
  const src = await dir()
  const files = await writeContent(src, { 'f.bin': pieces * 16384 })
  const torrent = await v1Torrent('f.bin', [{ path: ['f.bin'], bytes: files.get('f.bin')! }], 16384, true)
  const seeder = client()
  await seeder.listen()
  // The torrent is added (and starts checking 8 MiB) while the peer below connects and handshakes.
  const adding = seeder.add(torrent, { path: src, resume: false })
  // add() registers the torrent after a few file-system checks of `path`; a handshake before that
  // names an unknown torrent and is dropped, so the peer dials again until the seeder takes it.
  let wire: Wire | undefined
  for (let attempt = 0; !wire && attempt < 200; attempt++) {
    const w = new Wire(connect(local(seeder)), {
      infoHash: parseTorrent(torrent).infoHashBytes,
      peerId: generatePeerId('-EP0001-'),
      pieceCount: pieces,
      pieceLength: 16384,
      length: pieces * 16384,
    })
    onCleanup(async () => w.destroy())
    const shaken = await new Promise<boolean>((r) => {
      w.once('handshake', () => r(true))
      w.once('close', () => r(false))
      w.handshake()
    })
    if (shaken) wire = w
    else await new Promise((r) => setTimeout(r, 5))
  }
  if (!wire) throw new Error('the seeder never took the connection')
  const peer = wire
  peer.haveNone()
  const t = await adding
  await t.done
  const told = () => peer.peerHasAll || peer.peerPieces.count() === pieces
  await waitFor(told, 20_000, `the seeder to announce all ${pieces} pieces`)
})
