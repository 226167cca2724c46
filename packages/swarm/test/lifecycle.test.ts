import { existsSync } from 'node:fs'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SwarmError, type SwarmWarning } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { fetchTorrentFile } from '../src/torrent-url.js'
import { differing, doneWithin, useSession } from './helpers.js'
import { startWebServer, stopWebServer, WEB_SEED_FILES, webSeedContent } from './web-seed-helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-lifecycle-', { hashThreads: 1 })

/** A seeding client of a multi-file torrent (`multi/...`) and a fresh download dir. */
async function seeded(sizes: Record<string, number> = WEB_SEED_FILES) {
  const root = await dir()
  const content = await webSeedContent(root, 'multi', undefined, sizes)
  const seeder = client()
  const st = await seeder.seed(join(root, 'multi'), { torrent: content.torrent })
  return { root, seeder, st, ...content, out: await dir() }
}

const code = (err: unknown) => (err instanceof SwarmError ? err.code : String(err))

describe('pause and resume', () => {
  it('a paused torrent has no connections and gets no data; resumed, it completes', async () => {
    const { seeder, torrent, files, out } = await seeded({ 'big.bin': 2_000_000 })
    const t = await client().add(torrent, { path: out, peers: [local(seeder)], downloadLimit: 200_000 })
    await new Promise<void>((r) => t.once('piece', () => r()))
    await t.pause()
    expect(t.paused).toBe(true)
    expect(t.connections()).toEqual([])
    const before = t.stats().downloaded
    // Seeder tries to come back in: refused while paused.
    await new Promise((r) => setTimeout(r, 1_500))
    expect(t.connections()).toEqual([])
    expect(t.stats().downloaded).toBe(before)
    expect(t.complete).toBe(false)
    t.resume()
    t.setLimits({ download: 0 })
    expect(t.paused).toBe(false)
    await doneWithin(t, 30_000)
    expect(await differing(join(out, 'multi'), files)).toEqual([])
  })
})

describe('destroy', () => {
  it('an abort signal starts destroy; the client destroying the torrent too waits until its resume file is written', async () => {
    const { seeder, torrent, out } = await seeded({ 'big.bin': 2_000_000 })
    const c = client()
    const abort = new AbortController()
    const t = await c.add(torrent, {
      path: out,
      peers: [local(seeder)],
      downloadLimit: 200_000,
      signal: abort.signal,
    })
    await new Promise<void>((r) => t.once('piece', () => r()))
    abort.abort()
    // The second caller (as the CLI does after Ctrl-C) must not return while the first is still writing.
    await c.close()
    expect(existsSync(join(out, '.p2p-state', `${t.infoHash}.resume`))).toBe(true)
  })

  it("a client's abort signal starts close; a second close waits until the resume file is written", async () => {
    const { seeder, torrent, out } = await seeded({ 'big.bin': 2_000_000 })
    const abort = new AbortController()
    const c = client({ signal: abort.signal })
    const t = await c.add(torrent, { path: out, peers: [local(seeder)], downloadLimit: 200_000 })
    await new Promise<void>((r) => t.once('piece', () => r()))
    abort.abort()
    // The CLI closes its client after Ctrl-C too: that call must not return while the first runs.
    await c.close()
    expect(existsSync(join(out, '.p2p-state', `${t.infoHash}.resume`))).toBe(true)
  })
})

describe('limits at runtime', () => {
  it('lifting a client download limit at runtime lets a stalled download finish', async () => {
    const { seeder, torrent, files, out } = await seeded()
    const c = client({ downloadLimit: 1 })
    const t = await c.add(torrent, { path: out, peers: [local(seeder)] })
    await new Promise<void>((r) => t.once('wire', () => r()))
    expect(t.complete).toBe(false)
    c.setLimits({ download: 0 })
    await doneWithin(t, 30_000)
    expect(await differing(join(out, 'multi'), files)).toEqual([])
  })

  it('refuses a negative or non-finite limit with SWARM_INVALID_ARGUMENT', async () => {
    const c = client()
    expect(() => c.setLimits({ upload: -1 })).toThrow(
      expect.objectContaining({ code: 'SWARM_INVALID_ARGUMENT' }),
    )
    const { torrent } = await seeded()
    const t = await c.add(torrent, { path: await dir() })
    expect(() => t.setLimits({ download: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'SWARM_INVALID_ARGUMENT' }),
    )
  })
})

describe('client.remove', () => {
  it('deleteFiles deletes the torrent files and bookkeeping only, and nothing through a link', async () => {
    const { seeder, torrent, files, out, metainfo } = await seeded()
    const c = client()
    const t = await c.add(torrent, { path: out, peers: [local(seeder)] })
    await doneWithin(t, 30_000)
    // Files that are not the torrent's, beside and inside its folder, and outside behind a link.
    await writeFile(join(out, 'other.txt'), 'keep')
    await writeFile(join(out, 'multi', 'mine.txt'), 'keep')
    const outside = await dir()
    await writeFile(join(outside, 'b c.bin'), 'keep')
    const { rm } = await import('node:fs/promises')
    await rm(join(out, 'multi', 'sub dir'), { recursive: true })
    await symlink(outside, join(out, 'multi', 'sub dir'))
    await c.remove(t.infoHash, { deleteFiles: true })
    expect(c.get(t.infoHash)).toBeUndefined()
    expect(existsSync(join(out, 'multi', 'a.bin'))).toBe(false)
    expect(existsSync(join(out, '.p2p-state', `${metainfo.infoHash}.resume`))).toBe(false)
    expect(await readFile(join(out, 'other.txt'), 'utf8')).toBe('keep')
    expect(await readFile(join(out, 'multi', 'mine.txt'), 'utf8')).toBe('keep')
    expect(await readFile(join(outside, 'b c.bin'), 'utf8')).toBe('keep')
    expect(files.size).toBe(3)
  })

  it('without deleteFiles keeps the files; an unknown info hash is SWARM_INVALID_ARGUMENT', async () => {
    const { seeder, torrent, files, out } = await seeded()
    const c = client()
    const t = await c.add(torrent, { path: out, peers: [local(seeder)] })
    await doneWithin(t, 30_000)
    await c.remove(t.infoHash)
    expect(c.torrents).toEqual([])
    expect(await differing(join(out, 'multi'), files)).toEqual([])
    expect(await c.remove('00'.repeat(20)).catch(code)).toBe('SWARM_INVALID_ARGUMENT')
  })
})

describe('add options', () => {
  it('path defaults to the current directory', async () => {
    const { seeder, torrent, files } = await seeded()
    const cwd = process.cwd()
    const here = await dir()
    process.chdir(here)
    onCleanup(async () => process.chdir(cwd))
    const t = await client().add(torrent, { peers: [local(seeder)] })
    await doneWithin(t, 30_000)
    expect(await differing(join(here, 'multi'), files)).toEqual([])
  })

  it('announce takes one tracker URL as a string', async () => {
    const { torrent } = await seeded()
    const t = await client().add(torrent, { path: await dir(), announce: 'http://127.0.0.1:9/announce' })
    const warning = await new Promise<SwarmWarning>((r) => t.on('warning', r))
    expect(warning.message).toContain('http://127.0.0.1:9/announce')
  })

  it('magnet so= selects the files and x.pe= peers are dialed', async () => {
    const { seeder, st, files, out } = await seeded()
    const magnet = `${st.magnetURI}&so=0,2&x.pe=127.0.0.1:${seeder.port}`
    const t = await client().add(magnet, { path: out })
    await doneWithin(t, 30_000)
    expect(t.filePriorities).toEqual([4, 0, 4])
    const want = new Map([...files].filter(([k]) => k !== 'sub dir/b c.bin'))
    expect(await differing(join(out, 'multi'), want)).toEqual([])
  })
})

describe('client.add(url)', () => {
  it('adds a .torrent from an http URL; a 404, an oversized body and a timeout are SWARM_TORRENT_URL', async () => {
    const { seeder, torrent, files, out } = await seeded()
    const root = await dir()
    await mkdir(join(root, 't'))
    await writeFile(join(root, 't', 'x.torrent'), torrent)
    const web = await startWebServer(root, (n) => (n === 4 ? 'hang' : 'serve'))
    onCleanup(() => stopWebServer(web.server))
    const t = await client().add(`${web.url}t/x.torrent`, { path: out, peers: [local(seeder)] })
    await doneWithin(t, 30_000)
    expect(await differing(join(out, 'multi'), files)).toEqual([])
    expect(await client().add(`${web.url}t/none.torrent`, { path: out }).catch(code)).toBe(
      'SWARM_TORRENT_URL',
    )
    expect(await fetchTorrentFile(`${web.url}t/x.torrent`, { maxBytes: 10 }).catch(code)).toBe(
      'SWARM_TORRENT_URL',
    )
    const slow = await fetchTorrentFile(`${web.url}t/x.torrent`, { timeoutMs: 300 }).catch((e) => e)
    expect(code(slow)).toBe('SWARM_TORRENT_URL')
    expect(String(slow.message)).toContain('no answer within 300 ms')
  })
})
