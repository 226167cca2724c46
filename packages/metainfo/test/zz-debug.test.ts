import { readFileSync } from 'node:fs'
import { parseTorrent } from '@p2p/metainfo'
import { it } from 'vitest'
it('debug', () => {
  for (const f of (process.env.DBG ?? '').split(',')) {
    const m = parseTorrent(readFileSync(`/work/shared/fixtures/libtorrent-test-torrents/${f}`))
    console.log(f, m.files.map((x) => `${x.path.join('/')} ${x.length} ${x.pad}`))
  }
})
