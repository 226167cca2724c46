import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { main } from '@p2p/cli'
import { STATE_DIR } from '@p2p/swarm'
import { freePort, waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { MAX_FILE_LIST, missingFile, parseFileList, parsePriorities } from '../src/file-selection.js'
import { io, useTempDirs } from './io.js'

const dir = useTempDirs('cli-files-')

describe('--files / --priority parsing', () => {
  it('parses index lists with ranges, sorted and without duplicates', () => {
    expect(parseFileList('0,2-4')).toEqual([0, 2, 3, 4])
    expect(parseFileList(' 5 , 1-2,2 ,3-3')).toEqual([1, 2, 3, 5])
    expect(parseFileList('7')).toEqual([7])
  })

  it('refuses malformed, reversed, negative and huge lists with CLI_USAGE', () => {
    for (const bad of [
      '',
      ',',
      '1,',
      'a',
      '1.5',
      '-1',
      '3-1',
      '1-2-3',
      '0x1',
      '1e3',
      '2-',
      `0-${MAX_FILE_LIST}`,
      '99999999',
    ]) {
      expect(() => parseFileList(bad), bad).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }))
    }
  })

  it('parses priorities, a later value for the same file winning', () => {
    const p = parsePriorities(['0=7', '2=0', '0=1'])
    expect(p[0]).toBe(1)
    expect(p[1]).toBeUndefined()
    expect(p[2]).toBe(0)
    for (const bad of ['', '1', '=3', '1=', '1=8', '1=-1', '-1=3', 'a=3', '1=3.5', '1=3=4']) {
      expect(() => parsePriorities([bad]), bad).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }))
    }
  })

  it('names an index the torrent lacks', () => {
    expect(missingFile(3, [0, 2], [7, undefined as unknown as number, 1])).toBeUndefined()
    expect(missingFile(3, [0, 3], undefined)?.message).toMatch(/--files: no file 3 .*3 files/)
    const p: number[] = []
    p[5] = 4
    expect(missingFile(3, undefined, p)?.message).toMatch(/--priority: no file 5/)
  })

  it('p2p download reports bad values as one coded line with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--files', '1-x'], /--files expects file indexes/],
      [['--files', '4-2'], /reversed/],
      [['--priority', '1=9'], /priority must be 0\.\.7/],
      [['--priority', 'two=1'], /--priority expects/],
      [['--priority'], /argument missing|--priority/],
    ]
    for (const [flags, message] of cases) {
      const t = io()
      expect(await main(['download', 'x.torrent', '-o', await dir(), ...flags], t.io), flags.join(' ')).toBe(
        2,
      )
      const lines = t.err().trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/CLI_USAGE/)
      expect(lines[0]).toMatch(message)
    }
  })
})

describe('p2p download --files against p2p seed', () => {
  it('downloads only the selected file, complete and verified; a missing index is a usage error', async () => {
    const src = await dir()
    const content = {
      'a.bin': randomBytes(90_000),
      'b.bin': randomBytes(130_000),
      'c.bin': randomBytes(50_000),
    }
    await mkdir(join(src, 'set'))
    for (const [name, bytes] of Object.entries(content)) await writeFile(join(src, 'set', name), bytes)
    const torrentFile = join(src, 'set.torrent')
    const c = io()
    expect(await main(['create', join(src, 'set'), '-o', torrentFile, '--piece-length', '16k'], c.io)).toBe(0)

    // `p2p info` lists each file with the index --files takes (pads are hidden but keep their indexes).
    const i = io()
    expect(await main(['info', torrentFile, '--json'], i.io)).toBe(0)
    const files = (JSON.parse(i.out()) as { files: { index: number; path: string; pad: boolean }[] }).files
    const b = files.find((f) => f.path === 'set/b.bin')!
    const text = io()
    expect(await main(['info', torrentFile], text.io)).toBe(0)
    expect(text.out()).toMatch(new RegExp(`^\\s+${b.index}\\s+.*set/b\\.bin$`, 'm'))

    const port = await freePort()
    const s = io()
    const seeding = main(
      [
        'seed',
        join(src, 'set'),
        '--torrent',
        torrentFile,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--no-lsd',
      ],
      s.io,
    )
    try {
      await waitFor(() => s.out().includes('magnet:'), 30_000, 'seed to print its magnet link')
      const out = await dir()
      const d = io()
      const peer = ['--peer', `127.0.0.1:${port}`, '--host', '127.0.0.1', '--no-lsd']
      const code = await main(['download', torrentFile, '-o', out, '--files', String(b.index), ...peer], d.io)
      expect(d.err()).not.toMatch(/p2p:/)
      expect(code).toBe(0)
      expect(d.err()).toMatch(/complete and verified/)
      expect(Buffer.compare(await readFile(join(out, 'set', 'b.bin')), content['b.bin'])).toBe(0)
      expect(existsSync(join(out, 'set', 'a.bin'))).toBe(false)
      expect(existsSync(join(out, 'set', 'c.bin'))).toBe(false)

      // Run again without --files: the selection saved in the resume data still applies.
      const again = io()
      expect(await main(['download', torrentFile, '-o', out, ...peer], again.io)).toBe(0)
      expect(existsSync(join(out, 'set', 'a.bin'))).toBe(false)

      // A corrupt saved selection is a warning line, then every file is downloaded.
      const state = join(out, STATE_DIR)
      const resume = join(state, (await readdir(state)).find((f) => f.endsWith('.resume'))!)
      const bytes = (await readFile(resume)).toString('latin1')
      expect(bytes).toContain('15:file-prioritiesl')
      await writeFile(
        resume,
        Buffer.from(bytes.replace('15:file-prioritiesl', '15:file-prioritiesli9e'), 'latin1'),
      )
      const all = io()
      expect(await main(['download', torrentFile, '-o', out, ...peer], all.io)).toBe(0)
      expect(all.err()).toMatch(/warning: .*file-priorities ignored/)
      for (const [name, bytes] of Object.entries(content)) {
        expect(Buffer.compare(await readFile(join(out, 'set', name)), bytes), name).toBe(0)
      }

      const e = io()
      const bad = await main(['download', torrentFile, '-o', await dir(), '--files', '0,42', ...peer], e.io)
      expect(bad).toBe(2)
      expect(e.err().trim().split('\n')).toEqual([expect.stringMatching(/--files: no file 42 .*CLI_USAGE/)])
      // From a magnet link the check waits for the metadata.
      const magnet = s
        .out()
        .split('\n')
        .find((l) => l.startsWith('magnet:'))!
      const m = io()
      expect(await main(['download', magnet, '-o', await dir(), '--priority', '9=1', ...peer], m.io)).toBe(2)
      expect(m.err()).toMatch(/--priority: no file 9 .*CLI_USAGE/)
    } finally {
      s.stop()
      expect(await seeding).toBe(130)
    }
  })
})
