// The README's library quick start: a tracker, a seeder and a downloader in one process, on 127.0.0.1.
//   pnpm --filter @p2p/example-quick-start start
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@p2p/swarm'
import { createTrackerServer } from '@p2p/tracker-server'

const dir = await mkdtemp(join(tmpdir(), 'p2p-quick-start-'))
await writeFile(join(dir, 'hello.bin'), new Uint8Array(4 * 2 ** 20).fill(7))

const tracker = createTrackerServer({ host: '127.0.0.1' })
const { httpUrl } = await tracker.listen()

const seeder = new Client({ host: '127.0.0.1' })
const seeding = await seeder.seed(join(dir, 'hello.bin'), { announce: [[httpUrl]] })

const leecher = new Client({ host: '127.0.0.1' })
const torrent = await leecher.add(seeding.magnetURI, { path: join(dir, 'download') })
torrent.on('piece', (e) => console.log(`piece ${e.index} ${e.algorithm} ${e.ok ? 'ok' : 'BAD'}`))
torrent.on('done', () => console.log(`done: ${torrent.name}, ${torrent.stats().downloaded} bytes`))
await torrent.done

await Promise.all([leecher.close(), seeder.close(), tracker.close()])
