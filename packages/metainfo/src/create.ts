import { encode } from '@p2p/bencode'
import { layoutPieceSpace, planChunks } from './chunk-plan.js'
import { checkAbort, type TorrentKind, torrentKind } from './create-options.js'
import { fail } from './errors.js'
import { fileRoots, hashContent } from './hash-chunks.js'
import { infoDict, topDict } from './info-dict.js'
import { parseTorrent } from './parse.js'
import { choosePieceLength } from './piece-length.js'
import { sanitizeElement } from './sanitize.js'
import { collectSources, type SourceFile } from './sources.js'
import type { CreateOptions, FileInput, Metainfo } from './types.js'

/**
 * Creates a `.torrent`: v1 (BEP 3), v2 (BEP 52) or hybrid (default, with BEP 47 pad files), with
 * libtorrent's file order and layout, so the same content and options give libtorrent's info
 * hashes. Hashing runs on worker threads over large sequential reads (content up to 1 MiB is
 * hashed on the calling thread, sparing the worker start-up); at most `maxBufferedBytes` of
 * content are in memory at once.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises'
 * import { createTorrent } from '@p2p/metainfo'
 * const { torrent, metainfo } = await createTorrent('./album', {
 *   announce: [['udp://tracker.example:6969/announce']],
 *   onProgress: (done, total) => console.log(`${Math.round((100 * done) / total)}%`),
 * })
 * await writeFile(`${metainfo.name}.torrent`, torrent)
 * ```
 * @param input a file or directory path, the bytes of one file (needs `options.name`), or a list
 *   of files with their content.
 * @throws MetainfoError `METAINFO_INVALID_INPUT`, `METAINFO_INVALID_OPTION`, `METAINFO_IO`,
 *   `METAINFO_ABORTED`.
 */
export async function createTorrent(
  input: string | Uint8Array | FileInput[],
  options: CreateOptions = {},
): Promise<{ torrent: Uint8Array; metainfo: Metainfo }> {
  checkAbort(options.signal)
  const kind = torrentKind(options)
  const content = await collectContent(input, options, kind)
  const pieceLength = choosePieceLength(options.pieceLength, kind.transmission, content.size)
  const { version } = kind
  const v1 = version !== 2
  const v2 = version !== 1
  const padded = version === 'hybrid' && !content.single
  const { files, totalSize } = layoutPieceSpace(content.files, pieceLength, padded)
  const pieceCount = Math.ceil(totalSize / pieceLength)
  const plan = planChunks(files, pieceLength, v1, v2)
  const sha1 = v1 ? new Uint8Array(new SharedArrayBuffer(pieceCount * 20)) : undefined
  const rootsOut = v2 ? new Uint8Array(new SharedArrayBuffer(plan.rootCount * 32)) : undefined
  const { name, size: contentSize, single } = content
  const padTo = padded ? pieceLength : 0
  await hashContent(plan, { files, name, contentSize, pieceLength, padTo, sha1, rootsOut }, options)
  const pieceLayers = fileRoots(plan.rootBase, rootsOut, pieceLength)
  const { transmission } = kind
  const { roots } = pieceLayers
  const info = infoDict({ name, pieceLength, files, single, v1, v2, sha1, roots, transmission }, options)
  const torrent = encode(topDict(info, options, pieceLayers))
  return {
    torrent,
    metainfo: parseTorrent(torrent, {
      maxSize: Math.max(80_000_000, torrent.length),
      maxPieces: Math.max(0x200000, pieceCount),
    }),
  }
}

/**
 * The files to put in the torrent, in torrent order, with the sanitised name and the content size.
 *
 * @throws MetainfoError `METAINFO_INVALID_INPUT` (no usable name, empty content), `METAINFO_IO`.
 */
async function collectContent(
  input: string | Uint8Array | FileInput[],
  options: CreateOptions,
  { transmission, version }: TorrentKind,
): Promise<{ name: string; files: SourceFile[]; single: boolean; size: number }> {
  const src = await collectSources(input, {
    name: options.name,
    includeHidden: options.includeHidden ?? !transmission,
    maxFiles: options.maxFiles ?? 1_000_000,
    order:
      options.order === 'given' && version === 1 ? 'given' : transmission ? 'transmission-3' : 'libtorrent',
  })
  if (transmission) {
    // transmission-create 3.00 leaves out empty files and writes no BEP 47 attributes
    src.files = src.files.filter((f) => f.length > 0)
    for (const f of src.files) delete f.attr
  }
  const name = sanitizeElement(src.name)
  if (!name) fail('METAINFO_INVALID_INPUT', `unusable torrent name ${JSON.stringify(src.name)}`)
  const size = src.files.reduce((n, f) => n + f.length, 0)
  if (size === 0)
    fail('METAINFO_INVALID_INPUT', 'the content is empty (0 bytes): no client loads such a torrent')
  return { name, files: src.files, single: src.single, size }
}
