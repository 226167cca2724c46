import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { commands, main } from '@p2p/cli'
import { freePort, waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { io, useTempDirs } from './io.js'

const dir = useTempDirs('cli-json-')

/** A tracker nobody answers on: its announces fail, so the command has warnings to print. */
const DEAD_TRACKER = 'http://127.0.0.1:9/announce'

/** Every stdout line parsed; throws on a line that is not a JSON object with a string `type`. */
function records(out: string): { type: string; level?: string; [k: string]: unknown }[] {
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const v = JSON.parse(l) as { type?: unknown }
      if (typeof v !== 'object' || v === null || typeof v.type !== 'string')
        throw new Error(`not a JSON record: ${l}`)
      return v as { type: string }
    })
}

/** Commands that print nothing but their report and take no --json (they only run on request). */
const WITHOUT_JSON = ['demo', 'lab']

describe('--json: every stdout line is JSON, in every command', () => {
  it('every command but demo and lab takes --json', async () => {
    const names = Object.keys(commands).filter((n) => !WITHOUT_JSON.includes(n))
    for (const n of names) expect((await commands[n]!()).usage, n).toContain('--json')
    expect(names.sort()).toEqual(['create', 'dht', 'download', 'info', 'seed', 'serve', 'tracker'])
  })

  it('create, info (torrent and magnet), seed, download, serve: results, progress, warnings and hints', async () => {
    const src = await dir()
    const data = randomBytes(200_000)
    await writeFile(join(src, 'f.bin'), data)
    const torrent = join(src, 'f.torrent')
    const c = io()
    expect(await main(['create', join(src, 'f.bin'), '-o', torrent, '--json'], c.io)).toBe(0)
    const created = records(c.out())
    expect(created.map((r) => r.type)).toEqual(['created'])
    const i = io()
    expect(await main(['info', torrent, '--json'], i.io)).toBe(0)
    expect(records(i.out())).toHaveLength(1)
    const m = io()
    expect(await main(['info', String(created[0]!.magnet), '--json'], m.io)).toBe(0)
    expect(records(m.out()).map((r) => r.type)).toEqual(['magnet'])

    const port = await freePort()
    const s = io()
    const seeding = main(
      [
        'seed',
        join(src, 'f.bin'),
        '--torrent',
        torrent,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
      ].concat(['--no-lsd', '--tracker', DEAD_TRACKER, '--json']),
      s.io,
    )
    // Its dead tracker makes it warn: the warning is a JSON line too.
    await waitFor(
      () => records(s.out()).find((r) => r.type === 'log' && r.level === 'warning'),
      60_000,
      'a seed warning',
    )
    expect(records(s.out())[0]!.type).toBe('seeding')

    const d = io()
    const downloading = main(
      ['download', torrent, '-o', await dir(), '--peer', `127.0.0.1:${port}`, '--host', '127.0.0.1'].concat([
        '--no-dht',
        '--no-lsd',
        '--tracker',
        DEAD_TRACKER,
        '--seed',
        '--json',
      ]),
      d.io,
    )
    await waitFor(
      () =>
        records(d.out()).some((r) => r.type === 'log' && String(r.message).startsWith('done:')) &&
        records(d.out()).some((r) => r.type === 'log' && r.level === 'warning'),
      60_000,
      'the download done and a warning',
    )
    expect(records(d.out()).some((r) => r.type === 'progress' && r.progress === 1)).toBe(true)

    const v = io()
    const serving = main(
      [
        'serve',
        torrent,
        '-o',
        await dir(),
        '--peer',
        `127.0.0.1:${port}`,
        '--listen-host',
        '127.0.0.1',
      ].concat(['--no-lsd', '--tracker', DEAD_TRACKER, '--json']),
      v.io,
    )
    const url = await waitFor(
      () => records(v.out()).find((r) => r.type === 'file')?.url as string | undefined,
      60_000,
      'the file line',
    )
    expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(data)).toBe(true)
    expect(records(v.out()).map((r) => r.type)).toContain('serving')

    for (const [run, stop] of [
      [downloading, d.stop],
      [serving, v.stop],
      [seeding, s.stop],
    ] as const) {
      stop()
      expect(await run).toBe(130)
    }
    // Everything each printed until it stopped, its last progress line included, is JSON.
    for (const x of [s, d, v]) expect(records(x.out()).length).toBeGreaterThan(1)
  }, 120_000)

  it('tracker and dht: the listening line', async () => {
    const t = io()
    const tracking = main(['tracker', '--host', '127.0.0.1', '--json'], t.io)
    const listening = await waitFor(() => records(t.out())[0], 30_000, 'tracker line')
    expect(listening).toMatchObject({ type: 'listening', httpUrl: expect.stringMatching(/^http:\/\//) })
    const n = io()
    const node = main(['dht', '--host', '127.0.0.1', '--json'], n.io)
    const dht = await waitFor(() => records(n.out())[0], 30_000, 'dht line')
    expect(dht).toMatchObject({ type: 'listening', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) })
    t.stop()
    n.stop()
    expect([await tracking, await node]).toEqual([130, 130])
    expect(records(t.out())).toHaveLength(1)
    expect(records(n.out())).toHaveLength(1)
  })
})
