import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { main } from '@p2p/cli'
import { describe, expect, it } from 'vitest'
import { io, useTempDirs } from './io.js'

const dir = useTempDirs('p2p-cli-flags-')
const MAGNET = `magnet:?xt=urn:btih:${'ab'.repeat(20)}`

/** `p2p download MAGNET ...flags`: its exit code and stderr (stopped after 10 s: a download that started waits for peers). */
async function download(flags: string[], out?: string): Promise<{ code: number; err: string }> {
  const t = io()
  const stop = setTimeout(t.stop, 10_000)
  try {
    return {
      code: await main(['download', MAGNET, '-o', out ?? (await dir()), '--no-lsd', ...flags], t.io),
      err: t.err(),
    }
  } finally {
    clearTimeout(stop)
  }
}

describe('--peer and --port are validated before anything is resolved or bound', () => {
  for (const peer of ['999.999.999.999:80', `${'a'.repeat(100_000)}:80`, `${'b'.repeat(64)}.example:80`]) {
    it(`--peer ${peer.slice(0, 24)}... is a usage error`, async () => {
      const { code, err } = await download(['--peer', peer])
      expect(code).toBe(2)
      expect(err).toMatch(/--peer expects host:port/)
    })
  }
  for (const port of ['1e3', '0x10', ' 80', '', '8.0']) {
    it(`--port ${JSON.stringify(port)} is a usage error`, async () => {
      const { code, err } = await download(['--port', port])
      expect(code).toBe(2)
      expect(err).toMatch(/--port expects an integer/)
    })
  }
})

describe('-o is checked when the torrent is added', () => {
  it('p2p download -o <a file> fails at once with SWARM_STORAGE', async () => {
    const file = join(await dir(), 'not-a-dir')
    await writeFile(file, 'x')
    const { code, err } = await download(['--host', '127.0.0.1'], file)
    expect(code).toBe(1)
    expect(err).toMatch(/cannot write into .*not-a-dir: E\w+ \(SWARM_STORAGE\)/)
  })
})

describe('p2p lab checks its choice flags before running anything', () => {
  const cases: [string[], RegExp][] = [
    [['--simulate', '--model', 'graph'], /--model expects auto\|wire\|piece, got "graph"/],
    [['--discovery', 'dht'], /--discovery expects tracker\|direct, got "dht"/],
    [['--tracker-protocol', 'ws'], /--tracker-protocol expects http\|udp, got "ws"/],
  ]
  for (const [flags, message] of cases) {
    it(`p2p lab ${flags.join(' ')} is a usage error`, async () => {
      const t = io()
      const code = await main(['lab', '--out', await dir(), ...flags], t.io)
      expect(code).toBe(2)
      expect(t.err()).toMatch(message)
    })
  }
})
