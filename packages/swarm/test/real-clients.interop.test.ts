import { join } from 'node:path'
import { COMPONENTS, requireComponents, waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession } from './helpers.js'
import { aria2, realClientSetup, transmission } from './interop-helpers.js'

const { dir, client, onCleanup } = useSession('swarm-real-')

const FILES = { 'pack/a.bin': 3_000_000, 'pack/sub/b.bin': 2_000_000, 'pack/c.txt': 777 }
const setup = () => realClientSetup({ dir, onCleanup }, FILES)

describe('aria2 interop (v1 torrent, opentracker)', () => {
  // aria2 1.36 sends its bitfield after other messages when it reconnects holding pieces; the
  // wire takes that order (as libtorrent does).
  it('our seeder serves an aria2 leecher', async (ctx) => {
    requireComponents(ctx, COMPONENTS.aria2, COMPONENTS.opentracker)
    const { src, content, torrent, file } = await setup()
    const seeder = client()
    const st = await seeder.seed(join(src, 'pack'), { torrent })
    if (process.env.SWARM_DEBUG) {
      console.log(st.metainfo?.files.map((f) => [f.path.join('/'), f.length, f.offset, f.pad]))
      st.on('wire', (w) => {
        w.on('request', (r) => console.log('req', r.index, r.begin, r.length))
        w.on('close', (e) => console.log('close', e?.message))
      })
      st.on('warning', (w) => console.log('warn', w.message))
    }
    const out = await dir()
    const child = await aria2(file, out, false)
    await waitFor(
      async () => (await differing(out, content)).length === 0,
      50_000,
      `aria2 download\n${child.output()}`,
      500,
    ).catch((e) => {
      throw new Error(`${e}\n${child.output()}`)
    })
  })

  it('aria2 seeds to our leecher', async (ctx) => {
    requireComponents(ctx, COMPONENTS.aria2, COMPONENTS.opentracker)
    const { src, content, torrent, file } = await setup()
    await aria2(file, src, true)
    const c = client()
    const out = await dir()
    // aria2 announces once it has checked its files; our leecher re-announces until it hears of it.
    const t = await c.add(torrent, { path: out })
    await doneWithin(t, 90_000)
    expect(await differing(out, content)).toEqual([])
  })
})

describe('transmission interop (v1 torrent, opentracker)', () => {
  it('our seeder dials a transmission leecher it learns from the tracker', async (ctx) => {
    requireComponents(ctx, COMPONENTS.transmissionCli, COMPONENTS.opentracker)
    const { src, content, torrent, file } = await setup()
    const out = await dir()
    const tr = await transmission(file, out)
    // Transmission announces first, so our seeder's first announce already lists it.
    await new Promise((r) => setTimeout(r, 3000))
    const seeder = client()
    const t = await seeder.seed(join(src, 'pack'), { torrent })
    t.addPeer({ host: '127.0.0.1', port: tr.port })
    await waitFor(
      async () => (await differing(out, content)).length === 0,
      90_000,
      `transmission download\n${tr.child.output().slice(-2000)}`,
      500,
    )
  })

  it('transmission seeds to our leecher', async (ctx) => {
    requireComponents(ctx, COMPONENTS.transmissionCli, COMPONENTS.opentracker)
    const { src, content, torrent, file } = await setup()
    const tr = await transmission(file, src)
    const c = client()
    const out = await dir()
    const t = await c.add(torrent, { path: out, peers: [{ host: '127.0.0.1', port: tr.port }] })
    await doneWithin(t, 90_000)
    expect(await differing(out, content)).toEqual([])
  })
})
