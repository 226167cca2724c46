// Usage: node src/main.mjs <file-or-folder> [out.torrent] [--version 1|2|hybrid] [--announce URL]
// Creates a torrent over @p2p/metainfo's public API, shows hashing progress, writes it, parses it
// back and prints what a user checks: info hashes, files, piece count and the magnet link.
import { writeFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import { createTorrent, MetainfoError, parseTorrent, toMagnet } from '@p2p/metainfo'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { version: { type: 'string', default: 'hybrid' }, announce: { type: 'string', multiple: true } },
})
const [input, out = `${basename(positionals[0] ?? 'content')}.torrent`] = positionals
if (!input) {
  console.error(
    'usage: node src/main.mjs <file-or-folder> [out.torrent] [--version 1|2|hybrid] [--announce URL]',
  )
  process.exit(2)
}
const version = values.version === 'hybrid' ? 'hybrid' : Number(values.version)

const ac = new AbortController()
process.once('SIGINT', () => ac.abort())
try {
  let shown = -1
  const { torrent } = await createTorrent(input, {
    version,
    announce: (values.announce ?? []).map((url) => [url]),
    signal: ac.signal,
    onProgress(done, total) {
      const pct = total ? Math.floor((done / total) * 100) : 100
      if (pct < shown + 10 && done !== total) return
      shown = pct
      console.log(`hashing ${pct}%`)
    },
  })
  await writeFile(out, torrent)
  // Parse the bytes back, as a user of the .torrent file would.
  const meta = parseTorrent(torrent)
  console.log(`wrote ${out} (${torrent.length} bytes)`)
  console.log(`version ${meta.version}, ${meta.pieceCount} pieces of ${meta.pieceLength} bytes`)
  if (meta.infoHash) console.log(`info hash v1 ${meta.infoHash}`)
  if (meta.infoHashV2) console.log(`info hash v2 ${meta.infoHashV2}`)
  for (const f of meta.files.filter((f) => !f.pad)) console.log(`  ${f.path.join('/')} ${f.length}`)
  console.log(toMagnet(meta))
} catch (err) {
  if (err instanceof MetainfoError) {
    console.error(`error ${err.code}: ${err.message}`)
    process.exit(3)
  }
  throw err
}
