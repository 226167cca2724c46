import { join } from 'node:path'
import { parseTransports } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, v1Torrent, writeContent } from './helpers.js'

const { dir, client, local } = useSession('swarm-transports-')

async function setup() {
  const src = await dir()
  const content = await writeContent(src, { 'u.bin': 700_000 })
  const torrent = await v1Torrent('u.bin', [{ path: ['u.bin'], bytes: content.get('u.bin')! }], 32768, true)
  return { src, content, torrent }
}

describe('Client transports', () => {
  it('seeds and downloads over uTP only', async () => {
    const { src, content, torrent } = await setup()
    const seeder = client({ transports: ['utp'] })
    await seeder.seed(join(src, 'u.bin'), { torrent })
    const c = client({ transports: ['utp'] })
    const d = await dir()
    const t = await c.add(torrent, { path: d, peers: [local(seeder)] })
    let seen = { utp: 0, tcp: 0 }
    t.on('piece', () => {
      seen = t.stats().peersByTransport
    })
    await doneWithin(t, 30_000)
    expect(await differing(d, content)).toEqual([])
    expect(seen).toEqual({ utp: 1, tcp: 0 })
  })

  it('reaches IPv4 peers over uTP from clients on the dual-stack default address', async () => {
    const { src, content, torrent } = await setup()
    const seeder = client({ transports: ['utp'], host: undefined })
    await seeder.seed(join(src, 'u.bin'), { torrent })
    const c = client({ transports: ['utp'], host: undefined })
    const d = await dir()
    const t = await c.add(torrent, { path: d, peers: [local(seeder)] })
    await doneWithin(t, 30_000)
    expect(await differing(d, content)).toEqual([])
  })

  it('dials uTP first and falls back to TCP when the peer has no uTP', async () => {
    const { src, content, torrent } = await setup()
    const seeder = client({ transports: ['tcp'] })
    await seeder.seed(join(src, 'u.bin'), { torrent })
    const c = client({ transports: ['utp', 'tcp'] })
    const d = await dir()
    const t = await c.add(torrent, { path: d, peers: [local(seeder)] })
    let seen = { utp: 0, tcp: 0 }
    t.on('piece', () => {
      seen = t.stats().peersByTransport
    })
    await doneWithin(t, 30_000)
    expect(await differing(d, content)).toEqual([])
    expect(seen).toEqual({ utp: 0, tcp: 1 })
  })

  it('parses transport lists', () => {
    expect(parseTransports('utp,tcp')).toEqual(['utp', 'tcp'])
    expect(parseTransports(' tcp ')).toEqual(['tcp'])
    expect(() => parseTransports('quic')).toThrow(expect.objectContaining({ code: 'SWARM_INVALID_ARGUMENT' }))
    expect(() => parseTransports('')).toThrow(expect.objectContaining({ code: 'SWARM_INVALID_ARGUMENT' }))
  })
})
