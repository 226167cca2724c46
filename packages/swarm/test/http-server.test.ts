import { once } from 'node:events'
import type { Server } from 'node:http'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { contentType, parseRange } from '../src/http-server.js'
import { useSession, writeContent } from './helpers.js'

/** Listens on a free loopback port until the test ends; resolves with the port. */
async function serveOnLoopback(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  onCleanup(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(() => r(undefined)))
  })
  return (server.address() as AddressInfo).port
}

const { dir, client, local, onCleanup } = useSession('swarm-http-')

/** One raw request (no URL normalisation, unlike fetch): status, headers and body. */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('parseRange and contentType', () => {
  it('parses single ranges, suffixes and open ends; ignores several; flags the unsatisfiable', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 })
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 })
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 })
    expect(parseRange('bytes=-1000', 100)).toEqual({ start: 0, end: 99 })
    expect(parseRange('bytes=50-1000', 100)).toEqual({ start: 50, end: 99 })
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable')
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable')
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined()
    expect(parseRange('bytes=9-1', 100)).toBeUndefined()
    expect(parseRange('items=0-1', 100)).toBeUndefined()
    expect(parseRange(undefined, 100)).toBeUndefined()
    expect(contentType('a.WebM')).toBe('video/webm')
    expect(contentType('notes.txt')).toBe('text/plain; charset=utf-8')
    expect(contentType('blob')).toBe('application/octet-stream')
  })
})

describe('client.createServer', () => {
  it('lists files and serves them with ranges, HEAD, If-Range, and refuses paths out of the torrent', async () => {
    const src = await dir()
    const content = await writeContent(src, { 's/clip.webm': 300_000, 's/sub dir/notes.txt': 40_000 })
    const seeder = client()
    const t = await seeder.seed(join(src, 's'), { version: 'hybrid', pieceLength: 32768 })
    const server = seeder.createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    onCleanup(() => new Promise((r) => server.close(() => r())))
    const { port } = server.address() as AddressInfo

    const index = await get(port, '/index.json')
    expect(index.status).toBe(200)
    const list = JSON.parse(index.body.toString()) as {
      torrents: {
        infoHash: string
        files: { path: string; length: number; url: string; progress: number }[]
      }[]
    }
    expect(list.torrents[0]!.infoHash).toBe(t.infoHash)
    const files = list.torrents[0]!.files
    expect(files.map((f) => f.path).sort()).toEqual(['s/clip.webm', 's/sub dir/notes.txt'])
    const html = await get(port, '/')
    expect(html.headers['content-type']).toMatch(/text\/html/)
    for (const f of files) expect(html.body.toString()).toContain(`href="${f.url}"`)

    const clip = files.find((f) => f.path === 's/clip.webm')!
    const bytes = content.get('s/clip.webm')!
    const whole = await get(port, clip.url)
    expect(whole.status).toBe(200)
    expect(whole.headers['content-type']).toBe('video/webm')
    expect(whole.headers['accept-ranges']).toBe('bytes')
    expect(whole.body.equals(bytes)).toBe(true)
    const notes = files.find((f) => f.path.endsWith('notes.txt'))!
    expect(notes.url).toContain('sub%20dir')
    const text = await get(port, notes.url)
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(text.body.equals(content.get('s/sub dir/notes.txt')!)).toBe(true)

    const part = await get(port, clip.url, { Range: 'bytes=32760-70000' })
    expect(part.status).toBe(206)
    expect(part.headers['content-range']).toBe(`bytes 32760-70000/${bytes.length}`)
    expect(part.headers['content-length']).toBe(String(70000 - 32760 + 1))
    expect(part.body.equals(bytes.subarray(32760, 70001))).toBe(true)
    const tail = await get(port, clip.url, { Range: 'bytes=-100' })
    expect(tail.body.equals(bytes.subarray(bytes.length - 100))).toBe(true)
    const bad = await get(port, clip.url, { Range: `bytes=${bytes.length}-` })
    expect(bad.status).toBe(416)
    expect(bad.headers['content-range']).toBe(`bytes */${bytes.length}`)

    const head = await get(port, clip.url, { Range: 'bytes=0-99' }, 'HEAD')
    expect(head.status).toBe(206)
    expect(head.headers['content-length']).toBe('100')
    expect(head.body.length).toBe(0)
    const etag = whole.headers.etag as string
    expect(etag).toMatch(/^"/)
    const same = await get(port, clip.url, { Range: 'bytes=0-9', 'If-Range': etag })
    expect(same.status).toBe(206)
    const changed = await get(port, clip.url, { Range: 'bytes=0-9', 'If-Range': '"other"' })
    expect(changed.status).toBe(200)
    expect(changed.body.length).toBe(bytes.length)

    for (const path of [
      `/${t.infoHash}/../../etc/passwd`,
      `/${t.infoHash}/s/..%2f..%2fetc%2fpasswd`,
      '/..',
    ]) {
      expect((await get(port, path)).status).toBe(403)
    }
    expect((await get(port, `/${t.infoHash}/s/missing.bin`)).status).toBe(404)
    expect((await get(port, `/${t.infoHash}/s/%E0%A4%A`)).status).toBe(400)
    expect((await get(port, clip.url, {}, 'POST')).status).toBe(405)
  })
})

describe('torrent.createServer', () => {
  it("serves one torrent's files under / (not the client's other torrents), while they download", async () => {
    const src = await dir()
    const content = await writeContent(src, {
      'a/clip.webm': 400_000,
      'a/x y.txt': 20_000,
      'b/other.bin': 10_000,
    })
    const seeder = client()
    const a = await seeder.seed(join(src, 'a'), { version: 1, pieceLength: 16384 })
    const b = await seeder.seed(join(src, 'b'), { version: 1, pieceLength: 16384 })
    // The leecher holds both torrents; the server of one lists and serves that one only.
    const leecher = client({ downloadLimit: 150_000 })
    const t = await leecher.add(a.metainfo!, { path: await dir(), peers: [local(seeder)] })
    await leecher.add(b.metainfo!, { path: await dir(), peers: [local(seeder)] })
    const port = await serveOnLoopback(t.createServer())

    const index = await get(port, '/index.json')
    const list = JSON.parse(index.body.toString()) as {
      torrents: { infoHash: string; files: { path: string; url: string }[] }[]
    }
    expect(list.torrents.map((x) => x.infoHash)).toEqual([t.infoHash])
    expect(list.torrents[0]!.files.map((f) => [f.path, f.url]).sort()).toEqual([
      ['a/clip.webm', '/a/clip.webm'],
      ['a/x y.txt', '/a/x%20y.txt'],
    ])
    expect((await get(port, '/')).body.toString()).toContain('href="/a/clip.webm"')
    // Started before the download is done: the response waits for each piece it needs.
    expect(t.stats().progress).toBeLessThan(1)
    const bytes = content.get('a/clip.webm')!
    const part = await get(port, '/a/clip.webm', { Range: 'bytes=300000-' })
    expect(part.status).toBe(206)
    expect(part.headers['content-type']).toBe('video/webm')
    expect(part.body.equals(bytes.subarray(300_000))).toBe(true)
    const whole = await get(port, '/a/clip.webm')
    expect(whole.status).toBe(200)
    expect(whole.body.equals(bytes)).toBe(true)
    expect((await get(port, '/a/x%20y.txt')).body.equals(content.get('a/x y.txt')!)).toBe(true)

    expect((await get(port, '/b/other.bin')).status).toBe(404)
    expect((await get(port, `/${t.infoHash}/a/clip.webm`)).status).toBe(404)
    expect((await get(port, '/a/../../etc/passwd')).status).toBe(403)
    expect((await get(port, '/a/clip.webm', {}, 'PUT')).status).toBe(405)
  })
})
