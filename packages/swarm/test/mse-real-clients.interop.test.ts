import { join } from 'node:path'
import type { ConnectionEncryption, Torrent } from '@p2p/swarm'
import { COMPONENTS, requireComponents, waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession } from './helpers.js'
import { aria2, realClientSetup, transmission } from './interop-helpers.js'

const { dir, client, onCleanup } = useSession('swarm-mse-real-')

const FILES = { 'pack/a.bin': 1_500_000, 'pack/c.txt': 777 }
const setup = () => realClientSetup({ dir, onCleanup }, FILES)

/** Our side's connection kinds, recorded as wires come up. */
function record(t: Torrent): ConnectionEncryption[] {
  const seen: ConnectionEncryption[] = []
  t.on('wire', () => seen.push(...t.connections().map((c) => c.encryption)))
  return seen
}

describe('MSE interop with Transmission (encryption required, -er)', () => {
  it('transmission seeds to our forced RC4 leecher, which dials it', async (ctx) => {
    requireComponents(ctx, COMPONENTS.transmissionCli, COMPONENTS.opentracker)
    const { src, content, torrent, file } = await setup()
    const tr = await transmission(file, src, 'er')
    const c = client({ encryption: 'forced', encryptionLevel: 'rc4' })
    const out = await dir()
    const t = await c.add(torrent, { path: out, peers: [{ host: '127.0.0.1', port: tr.port }] })
    const seen = record(t)
    await doneWithin(t, 60_000)
    expect(await differing(out, content)).toEqual([])
    expect(seen).toContain('rc4')
    expect(seen.every((k) => k === 'rc4')).toBe(true)
  })

  it('our forced seeder serves a transmission leecher', async (ctx) => {
    requireComponents(ctx, COMPONENTS.transmissionCli, COMPONENTS.opentracker)
    const { src, content, torrent, file } = await setup()
    const out = await dir()
    const tr = await transmission(file, out, 'er')
    const seeder = client({ encryption: 'forced' })
    const st = await seeder.seed(join(src, 'pack'), { torrent })
    const seen = record(st)
    st.addPeer({ host: '127.0.0.1', port: tr.port })
    await waitFor(
      async () => (await differing(out, content)).length === 0,
      60_000,
      `transmission download\n${tr.child.output().slice(-2000)}`,
      500,
    )
    expect(seen).toContain('rc4')
    expect(seen.every((k) => k === 'rc4')).toBe(true)
  })
})

describe('MSE interop with aria2 (--bt-require-crypto=true)', () => {
  it('aria2 (min level arc4) seeds to our forced RC4 leecher', async (ctx) => {
    requireComponents(ctx, COMPONENTS.aria2, COMPONENTS.opentracker)
    const { src, content, torrent, file } = await setup()
    await aria2(file, src, true, 'rc4')
    const c = client({ encryption: 'forced', encryptionLevel: 'rc4' })
    const out = await dir()
    const t = await c.add(torrent, { path: out })
    const seen = record(t)
    await doneWithin(t, 60_000)
    expect(await differing(out, content)).toEqual([])
    expect(seen).toContain('rc4')
    expect(seen.every((k) => k === 'rc4')).toBe(true)
  })

  it('our forced plaintext-over-MSE seeder serves an aria2 leecher (min level plain)', async (ctx) => {
    requireComponents(ctx, COMPONENTS.aria2, COMPONENTS.opentracker)
    const { src, content, torrent, file } = await setup()
    const seeder = client({ encryption: 'forced', encryptionLevel: 'plaintext' })
    const st = await seeder.seed(join(src, 'pack'), { torrent })
    const seen = record(st)
    const out = await dir()
    const child = await aria2(file, out, false, 'plaintext')
    await waitFor(
      async () => (await differing(out, content)).length === 0,
      60_000,
      `aria2 download\n${child.output().slice(-2000)}`,
      500,
    )
    expect(seen).toContain('plaintext-mse')
    expect(seen.every((k) => k === 'plaintext-mse')).toBe(true)
  })
})
