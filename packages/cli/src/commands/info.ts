import { toHex } from '@p2p/bytes'
import {
  type MagnetLink,
  type Metainfo,
  parseMagnet,
  parseTorrent,
  readTorrentFile,
  toMagnet,
} from '@p2p/metainfo'
import { type Command, parseFlags } from '../command.js'
import { CliError } from '../errors.js'
import { formatBytes, metainfoSummary } from '../format.js'
import { metainfoToCliError } from './create.js'

/** Largest .torrent file read (bytes). */

function hex(b: Uint8Array | undefined): string | null {
  return b ? toHex(b) : null
}

function metainfoJson(m: Metainfo): Record<string, unknown> {
  return {
    type: 'torrent',
    ...metainfoSummary(m),
    private: m.private,
    announce: m.announce,
    urlList: m.urlList,
    comment: m.comment ?? null,
    createdBy: m.createdBy ?? null,
    creationDate: m.creationDate ?? null,
    source: m.source ?? null,
    files: m.files.map((f, index) => ({
      index,
      path: f.path.join('/'),
      length: f.length,
      offset: f.offset,
      pad: f.pad,
      attr: f.attr ?? null,
      piecesRoot: hex(f.piecesRoot),
      symlink: f.symlinkPath ? f.symlinkPath.join('/') : null,
    })),
    magnet: toMagnet(m),
  }
}

function metainfoText(m: Metainfo, showPads: boolean): string {
  // Each file keeps its index in the torrent (pads hidden or not): `p2p download --files` takes it.
  const files = m.files.map((f, index) => ({ f, index })).filter(({ f }) => showPads || !f.pad)
  const width = String(m.files.length - 1).length
  const lines = [
    `name:         ${m.name}`,
    `format:       ${m.version === 'hybrid' ? 'hybrid (v1+v2)' : `v${m.version}`}`,
    ...(m.infoHash ? [`info hash:    ${m.infoHash}`] : []),
    ...(m.infoHashV2 ? [`info hash v2: ${m.infoHashV2}`] : []),
    `size:         ${formatBytes(m.length)} (${m.length} bytes)`,
    `pieces:       ${m.pieceCount} x ${formatBytes(m.pieceLength)}`,
    `private:      ${m.private ? 'yes' : 'no'}`,
    ...(m.comment ? [`comment:      ${m.comment}`] : []),
    ...(m.createdBy ? [`created by:   ${m.createdBy}`] : []),
    ...(m.creationDate !== undefined
      ? [`created:      ${new Date(m.creationDate * 1000).toISOString()}`]
      : []),
    ...(m.source ? [`source:       ${m.source}`] : []),
    ...m.announce.map((tier, i) => `tracker ${i}:    ${tier.join(' ')}`),
    ...m.urlList.map((u) => `web seed:     ${u}`),
    `files (${files.length}; index, size, path):`,
    ...files.map(
      ({ f, index }) =>
        `  ${String(index).padStart(width)}  ${formatBytes(f.length).padStart(10)}  ${f.path.join('/')}${f.pad ? '  [pad]' : ''}${f.attr ? `  [${f.attr}]` : ''}`,
    ),
    `magnet:       ${toMagnet(m)}`,
  ]
  return lines.join('\n')
}

function magnetText(m: MagnetLink): string {
  return [
    ...(m.name ? [`name:         ${m.name}`] : []),
    ...(m.infoHash ? [`info hash:    ${m.infoHash}`] : []),
    ...(m.infoHashV2 ? [`info hash v2: ${m.infoHashV2}`] : []),
    ...m.trackers.map((t) => `tracker:      ${t}`),
    ...m.urlList.map((u) => `web seed:     ${u}`),
    ...m.peers.map((p) => `peer:         ${p.host}:${p.port}`),
    ...(m.selectOnly ? [`select only:  ${m.selectOnly.join(',')}`] : []),
  ].join('\n')
}

/** `p2p info`: shows what a .torrent file or magnet link holds. */
export const info: Command = {
  summary: 'show a .torrent file or magnet link: name, info hashes, files, trackers',
  usage: `usage: p2p info <file.torrent|magnet:?...> [--json] [--pads]

Parses the torrent with libtorrent's validation rules and prints its name, format, info hashes
(v1 SHA-1, v2 SHA-256), size, pieces, trackers, web seeds, files and magnet link. Each file is
listed with its index, which 'p2p download --files' and '--priority' take.
  --json   one JSON object on stdout
  --pads   also list BEP 47 pad files`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      json: { type: 'boolean', default: false },
      pads: { type: 'boolean', default: false },
    })
    if (positionals.length !== 1)
      throw new CliError('CLI_USAGE', 'p2p info expects one .torrent file or magnet link')
    const arg = positionals[0]!
    try {
      if (/^magnet:/i.test(arg)) {
        const m = parseMagnet(arg)
        io.stdout.write(values.json ? `${JSON.stringify({ type: 'magnet', ...m })}\n` : `${magnetText(m)}\n`)
        return 0
      }
      const m = parseTorrent(await readTorrentFile(arg))
      io.stdout.write(
        values.json ? `${JSON.stringify(metainfoJson(m))}\n` : `${metainfoText(m, values.pads === true)}\n`,
      )
      return 0
    } catch (err) {
      throw metainfoToCliError(err)
    }
  },
}
