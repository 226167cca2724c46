import { writeFile } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { createTorrent, type Metainfo, MetainfoError, type TorrentVersion, toMagnet } from '@p2p/metainfo'
import { type Command, intFlag, parseFlags, parseSize } from '../command.js'
import { CliError } from '../errors.js'
import { formatBytes, metainfoSummary } from '../format.js'
import { createProgressView, type ProgressView } from '../progress.js'

/** Parses `256k`, `1MiB`, `262144` into bytes. */
function parsePieceLength(text: string): number {
  const n = parseSize(text)
  if (!Number.isSafeInteger(n) || n < 16384 || n > 2 ** 29 || (n & (n - 1)) !== 0) {
    throw new CliError(
      'CLI_USAGE',
      `--piece-length expects a power of two from 16k to 512MiB (e.g. 256k), got ${JSON.stringify(text)}`,
    )
  }
  return n
}

/** `--format`: the torrent version, checked. */
export function parseVersion(text: string): TorrentVersion {
  if (text === '1' || text === 'v1') return 1
  if (text === '2' || text === 'v2') return 2
  if (text === 'hybrid') return 'hybrid'
  throw new CliError('CLI_USAGE', `--format expects v1, v2 or hybrid, got ${JSON.stringify(text)}`)
}

/** Maps a metainfo error to the CLI's codes. */
export function metainfoToCliError(err: unknown): unknown {
  if (!(err instanceof MetainfoError)) return err
  const code =
    err.code === 'METAINFO_INVALID_OPTION'
      ? 'CLI_USAGE'
      : err.code === 'METAINFO_ABORTED'
        ? 'CLI_FAILED'
        : 'CLI_BAD_INPUT'
  return new CliError(code, `${err.message} [${err.code}]`, { cause: err })
}

/** `p2p create`: makes a .torrent (v1, v2 or hybrid) from a file or directory. */
export const create: Command = {
  summary: 'create a .torrent (v1, v2 or hybrid) from a file or directory',
  usage: `usage: p2p create <file|dir> [-o out.torrent] [--format hybrid|v1|v2] [--piece-length 256k]
                [--announce URL[,URL...]]... [--web-seed URL]... [--private] [--name NAME]
                [--comment TEXT] [--created-by TEXT] [--source TEXT] [--no-date] [--threads N] [--json]

Hashes the content on worker threads and writes the torrent (default <name>.torrent), then prints
its name, info hashes and magnet link. Same content and options give libtorrent's info hashes.
  --format        hybrid (default, v1+v2 with pad files), v1 or v2
  --piece-length  power of two >= 16k (default: chosen from the size)
  --announce      a tracker tier; comma-separate URLs of one tier, repeat for more tiers
  --no-date       omit the creation date (reproducible output)
  --json          print the result (and progress on stderr) as JSON lines`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      output: { type: 'string', short: 'o' },
      format: { type: 'string', default: 'hybrid' },
      'piece-length': { type: 'string' },
      announce: { type: 'string', multiple: true },
      'web-seed': { type: 'string', multiple: true },
      private: { type: 'boolean', default: false },
      name: { type: 'string' },
      comment: { type: 'string' },
      'created-by': { type: 'string' },
      source: { type: 'string' },
      'no-date': { type: 'boolean', default: false },
      threads: { type: 'string' },
      json: { type: 'boolean', default: false },
    })
    if (positionals.length !== 1) {
      throw new CliError('CLI_USAGE', 'p2p create expects exactly one file or directory')
    }
    const input = resolve(positionals[0]!)
    const version = parseVersion(String(values.format))
    const pieceLength = values['piece-length'] ? parsePieceLength(String(values['piece-length'])) : undefined
    const threads =
      values.threads === undefined ? undefined : intFlag('threads', String(values.threads), 2, 1, 64)
    const announce = ((values.announce as string[] | undefined) ?? []).map((t) =>
      t
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    const json = values.json === true
    const view = createProgressView({ stream: io.stderr, mode: json ? 'json' : undefined })
    let result: Awaited<ReturnType<typeof createTorrent>>
    try {
      result = await createTorrent(input, {
        version,
        pieceLength,
        name: values.name as string | undefined,
        announce: announce.length > 0 ? announce : undefined,
        urlList: values['web-seed'] as string[] | undefined,
        private: values.private === true,
        comment: values.comment as string | undefined,
        createdBy: (values['created-by'] as string | undefined) ?? 'p2p-toolkit',
        source: values.source as string | undefined,
        creationDate: values['no-date'] ? false : undefined,
        threads,
        // one process, one torrent: the otherwise idle main thread hashes too (one worker fewer to start)
        hashOnCallingThread: true,
        signal: io.signal,
        onProgress: hashingProgress(view, `hashing ${basename(input)}`),
      })
    } catch (err) {
      throw metainfoToCliError(err)
    } finally {
      view.stop()
    }
    const { torrent, metainfo } = result
    const out = resolve((values.output as string | undefined) ?? `${metainfo.name}.torrent`)
    try {
      await writeFile(out, torrent)
    } catch (err) {
      throw new CliError('CLI_FAILED', `cannot write ${out}: ${(err as Error).message}`, { cause: err })
    }
    io.stdout.write(createdReport(out, metainfo, json))
    return 0
  },
}

/** Shows hashing progress on `view`: bytes hashed per second, as a download's speed. */
function hashingProgress(view: ProgressView, label: string): (done: number, total: number) => void {
  const started = Date.now()
  return (done, total) => {
    const secs = Math.max(0.001, (Date.now() - started) / 1000)
    const speed = done / secs
    view.update({
      label,
      progress: total > 0 ? done / total : 1,
      downloadSpeed: speed,
      uploadSpeed: 0,
      peers: 0,
      eta: speed > 0 ? (total - done) / speed : undefined,
    })
  }
}

/** What `p2p create` prints once the torrent file is written: a JSON line, or a few lines and the magnet. */
function createdReport(out: string, metainfo: Metainfo, json: boolean): string {
  const magnet = toMagnet(metainfo)
  const files = metainfo.files.filter((f) => !f.pad).length
  if (json) {
    return `${JSON.stringify({
      type: 'created',
      file: out,
      ...metainfoSummary(metainfo),
      files,
      magnet,
    })}\n`
  }
  const lines = [
    `created ${out}`,
    `name:        ${metainfo.name}`,
    `format:      ${metainfo.version === 'hybrid' ? 'hybrid (v1+v2)' : `v${metainfo.version}`}`,
    ...(metainfo.infoHash ? [`info hash:   ${metainfo.infoHash}`] : []),
    ...(metainfo.infoHashV2 ? [`info hash 2: ${metainfo.infoHashV2}`] : []),
    `size:        ${formatBytes(metainfo.length)} in ${files} file(s)`,
    `pieces:      ${metainfo.pieceCount} x ${formatBytes(metainfo.pieceLength)}`,
    magnet,
  ]
  return `${lines.join('\n')}\n`
}
