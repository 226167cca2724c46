import { createServer } from 'node:http'
import { join } from 'node:path'
import { encode } from '@p2p/bencode'
import type { DisconnectEvent, NoPeersEvent, TrackerErrorEvent, TrackerReplyEvent } from '@p2p/swarm'
import { waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { doneWithin, useSession } from './helpers.js'
import { webSeedContent } from './web-seed-helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-ui-', { hashThreads: 1 })

async function seeded() {
  const root = await dir()
  const content = await webSeedContent(root, 'multi')
  const seeder = client()
  const st = await seeder.seed(join(root, 'multi'), { torrent: content.torrent })
  return { seeder, st, ...content, out: await dir() }
}

describe('events a UI needs', () => {
  it('download/upload events add up to the bytes moved; getters describe a finished torrent', async () => {
    const { seeder, st, torrent, out } = await seeded()
    let uploaded = 0
    st.on('upload', (n) => {
      uploaded += n
    })
    const t = await client().add(torrent, { path: out, peers: [local(seeder)] })
    let downloaded = 0
    let events = 0
    t.on('download', (n) => {
      downloaded += n
      events++
    })
    expect(t.progress).toBe(0)
    expect(t.timeRemaining).toBe(Number.POSITIVE_INFINITY)
    await doneWithin(t, 30_000)
    await waitFor(() => downloaded === t.stats().downloaded, 5_000, 'the last download event')
    await waitFor(() => uploaded === st.stats().uploaded && uploaded > 0, 5_000, 'the last upload event')
    expect(events).toBeGreaterThan(0)
    expect(t.progress).toBe(1)
    expect(t.timeRemaining).toBe(0)
    expect(t.downloadSpeed).toBeGreaterThanOrEqual(0)
    expect(st.uploadSpeed).toBeGreaterThanOrEqual(0)
    expect(t.numPeers).toBe(t.stats().peers)
  })

  it('disconnect says why a peer went', async () => {
    const { seeder, torrent, out } = await seeded()
    const t = await client().add(torrent, { path: out, peers: [local(seeder)] })
    const gone: DisconnectEvent[] = []
    t.on('disconnect', (e) => gone.push(e))
    await new Promise<void>((r) => t.once('wire', () => r()))
    expect(t.numPeers).toBe(1)
    await t.pause()
    await waitFor(() => gone.length > 0, 5_000, 'a disconnect event')
    expect(gone[0]).toEqual({ peer: local(seeder), reason: 'paused' })
  })

  it('trackerReply and trackerError come per tracker', async () => {
    const server = createServer((_req, res) => {
      res.end(Buffer.from(encode({ interval: 60, complete: 1, incomplete: 2, peers: new Uint8Array(0) })))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    onCleanup(async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    })
    const good = `http://127.0.0.1:${(server.address() as { port: number }).port}/announce`
    const bad = 'http://127.0.0.1:9/announce'
    const { torrent } = await seeded()
    const t = await client().add(torrent, { path: await dir(), announce: [[bad], [good]] })
    const [reply, error] = await Promise.all([
      new Promise<TrackerReplyEvent>((r) => t.once('trackerReply', r)),
      new Promise<TrackerErrorEvent>((r) => t.once('trackerError', r)),
    ])
    expect(reply).toEqual({ url: good, peers: 0, complete: 1, incomplete: 2, interval: 60 })
    expect(error.url).toBe(bad)
  })

  it('noPeers comes when nothing is connected for a while', async () => {
    const { torrent } = await seeded()
    const t = await client().add(torrent, { path: await dir(), noPeersTimeout: 600 })
    const e = await new Promise<NoPeersEvent>((r) => t.once('noPeers', r))
    expect(e).toMatchObject({ trackers: 0, knownPeers: 0, webSeeds: 0 })
    expect(e.sinceMs).toBeGreaterThanOrEqual(600)
  })
})
