import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { main } from '@p2p/cli'
import { requireBuilt, spawnChild, tempDir, waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { io, trackerUrls } from './io.js'

const pct = (b: Uint8Array) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')

describe('p2p tracker', () => {
  it('prints the HTTP and UDP announce URLs, serves announces and /stats, stops on abort', async () => {
    const t = io()
    const run = main(['tracker', '--host', '127.0.0.1', '--json'], t.io)
    const { httpUrl, udpUrl } = await waitFor(
      () => {
        const line = t.out().split('\n')[0]
        return line ? (JSON.parse(line) as { type: string; httpUrl: string; udpUrl: string }) : undefined
      },
      10_000,
      'the listening line',
    )
    expect(httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/announce$/)
    expect(udpUrl).toMatch(/^udp:\/\/127\.0\.0\.1:\d+$/)
    const q = `info_hash=${pct(randomBytes(20))}&peer_id=${pct(randomBytes(20))}&port=6881&left=1&event=started`
    const body = Buffer.from(await (await fetch(`${httpUrl}?${q}`)).arrayBuffer()).toString('latin1')
    expect(body).toMatch(/^d8:completei0e/)
    const stats = await (await fetch(httpUrl.replace('/announce', '/stats'))).json()
    expect(stats).toMatchObject({ torrents: 1, leechers: 1 })
    t.stop()
    expect(await run).toBe(130)
    expect(t.err()).toContain('"msg":"listening"')
    expect(t.out().split('\n').filter(Boolean)).toHaveLength(1)
    await expect(fetch(`${httpUrl}?${q}`)).rejects.toThrow()
  })

  it('tracks only the --allow list', async () => {
    const d = await tempDir()
    const allowed = randomBytes(20)
    const file = join(d.path, 'allow.txt')
    await writeFile(file, `# private\n${allowed.toString('hex')}\n`)
    const t = io()
    const run = main(['tracker', '--allow', file, '--port', '0'], t.io)
    const httpUrl = await waitFor(() => t.out().split('\n')[0] || undefined, 10_000, 'the URL')
    const ask = async (h: Uint8Array) =>
      Buffer.from(
        await (
          await fetch(`${httpUrl}?info_hash=${pct(h)}&peer_id=${pct(randomBytes(20))}&port=1`)
        ).arrayBuffer(),
      ).toString()
    expect(await ask(randomBytes(20))).toContain('not registered')
    expect(await ask(allowed)).toContain('8:interval')
    t.stop()
    expect(await run).toBe(130)
    await d.remove()
  })

  it.each([
    [['--port', '70000'], /--port expects an integer in 0\.\.65535/, 2],
    [['--workers', '0'], /--workers expects an integer in 1\.\.64/, 2],
    [['--redis', 'localhost:6379'], /--redis expects a redis:\/\/ URL/, 2],
    [['--host', 'not-an-ip'], /host must be an IP address/, 2],
    [['--allow', '/nonexistent/allow.txt'], /cannot read --allow file/, 3],
  ])('rejects %j with a one-line error', async (argv, message, code) => {
    const t = io()
    expect(await main(['tracker', ...argv], t.io)).toBe(code)
    expect(t.err()).toMatch(message)
    expect(t.err().split('\n')).toHaveLength(2)
  })

  it('runs as the p2p binary until SIGINT', async (ctx) => {
    const bin = requireBuilt(ctx, new URL('../dist/bin.js', import.meta.url), '@p2p/cli')
    const child = spawnChild(process.execPath, [bin, 'tracker', '--host', '127.0.0.1'])
    const lines = await trackerUrls(child, 15_000)
    expect(lines[0]).toMatch(/^http:\/\//)
    expect(lines[1]).toMatch(/^udp:\/\//)
    const exited = new Promise<number | null>((r) => child.proc.once('exit', (c) => r(c)))
    process.kill(child.proc.pid!, 'SIGINT')
    expect(await exited).toBe(130)
    await child.stop()
  })
})

describe('p2p tracker --workers', () => {
  it('runs a cluster on one port pair and stops every worker on SIGINT to the process group', async (ctx) => {
    const bin = requireBuilt(ctx, new URL('../dist/bin.js', import.meta.url), '@p2p/cli')
    const child = spawnChild(process.execPath, [bin, 'tracker', '--workers', '2'])
    const [httpUrl] = await trackerUrls(child, 20_000)
    const stats = await (await fetch(httpUrl!.replace('/announce', '/stats'))).json()
    expect(stats).toMatchObject({ torrents: 0 })
    const exited = new Promise<number | null>((r) => child.proc.once('exit', (c) => r(c)))
    process.kill(-child.proc.pid!, 'SIGINT') // like Ctrl-C in a terminal: primary and workers
    expect(await exited).toBe(130)
    expect(child.output()).toContain('cluster closed')
    expect(child.output()).not.toContain('restarting')
    await child.stop()
  })
})
