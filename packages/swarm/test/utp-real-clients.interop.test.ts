import { join } from 'node:path'
import type { Torrent } from '@p2p/swarm'
import { COMPONENTS, requireComponents, waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession } from './helpers.js'
import { realClientSetup, transmission } from './interop-helpers.js'

// Our side runs with uTP only: it neither listens on nor dials TCP, so every byte moved went over uTP.
const { dir, client, onCleanup } = useSession('swarm-utp-real-', { transports: ['utp'] })

const FILES = { 'pack/a.bin': 1_500_000, 'pack/c.txt': 777 }
const setup = () => realClientSetup({ dir, onCleanup }, FILES)

/** The most uTP and TCP peers the torrent had at once (sampled every 50 ms and on every piece). */
function transportsSeen(t: Torrent): { utp: number; tcp: number } {
  const seen = { utp: 0, tcp: 0 }
  const note = () => {
    const now = t.stats().peersByTransport
    seen.utp = Math.max(seen.utp, now.utp)
    seen.tcp = Math.max(seen.tcp, now.tcp)
  }
  t.on('piece', note)
  const timer = setInterval(note, 50)
  onCleanup(async () => clearInterval(timer))
  return seen
}

describe('Transmission interop over uTP only (its libutp is on by default)', () => {
  it('our uTP-only seeder serves a transmission leecher', async (ctx) => {
    requireComponents(ctx, COMPONENTS.transmissionCli, COMPONENTS.opentracker)
    const { src, content, torrent, file } = await setup()
    const out = await dir()
    const tr = await transmission(file, out)
    const seeder = client()
    const t = await seeder.seed(join(src, 'pack'), { torrent })
    const seen = transportsSeen(t)
    t.addPeer({ host: '127.0.0.1', port: tr.port })
    await waitFor(
      async () => (await differing(out, content)).length === 0,
      60_000,
      `transmission download\n${tr.child.output().slice(-2000)}`,
      500,
    )
    expect(seen).toEqual({ utp: 1, tcp: 0 })
  })

  it('transmission seeds to our uTP-only leecher', async (ctx) => {
    requireComponents(ctx, COMPONENTS.transmissionCli, COMPONENTS.opentracker)
    const { src, content, torrent, file } = await setup()
    const tr = await transmission(file, src)
    const c = client()
    const out = await dir()
    const t = await c.add(torrent, { path: out, peers: [{ host: '127.0.0.1', port: tr.port }] })
    const seen = transportsSeen(t)
    await doneWithin(t, 60_000)
    expect(await differing(out, content)).toEqual([])
    expect(seen).toEqual({ utp: 1, tcp: 0 })
  })
})
