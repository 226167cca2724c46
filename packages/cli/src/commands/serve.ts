import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { fileUrlPath } from '@p2p/swarm'
import { type Command, intFlag, parseFlags } from '../command.js'
import { CliError, interrupted } from '../errors.js'
import { stdoutRecords } from '../output.js'
import { createProgressView } from '../progress.js'
import { logTorrentProblems } from '../warnings.js'
import {
  aborted,
  cliError,
  closeClient,
  ENCRYPTION_USAGE,
  listenAndReportMapping,
  peerFlags,
  SWARM_FLAGS,
  showProgress,
  torrentArgument,
  trackerTiers,
  transferClient,
} from './swarm-flags.js'

/** `p2p serve`: downloads a torrent and serves its files over HTTP while they download. */
export const serve: Command = {
  summary: 'serve a torrent or magnet link over HTTP while it downloads (a <video> plays as it arrives)',
  usage: `usage: p2p serve <file.torrent|magnet> [-o dir] [--port N] [--host addr] [--tracker url]...
                 [--peer host:port]... [--listen-port N] [--listen-host addr] [--transports utp,tcp]
                 [--upload-limit N] [--download-limit N]
                 [--encryption forced|enabled|disabled] [--encryption-level rc4|plaintext|both] [--json]

Downloads into <dir> (default: the current directory) and serves the files over HTTP, printing
'serving on http://<host>:<port>/' once it listens, then one URL per file. '/' lists the files
(JSON at /index.json); each file answers Range requests, and a read waits for the pieces it needs,
which are fetched first. Runs until Ctrl-C (or SIGTERM), which exits 130; the data and resume file stay.
  --port N            HTTP port (default: any free port)
  --host addr         HTTP address (default: 127.0.0.1, this machine only)
  --tracker url       announce to this tracker too (repeatable; --announce is the same)
  --peer host:port    connect to this peer (repeatable)
  --listen-port N     BitTorrent port (default: any free port)
  --listen-host addr  BitTorrent address (default: all)
  --transports list   utp, tcp or utp,tcp: dial in this order, accept on each (default: tcp,utp)
  --upload-limit N    bytes per second (default: unlimited)
  --download-limit N  bytes per second (default: unlimited)
${ENCRYPTION_USAGE}
  --verbose           also log debug lines (peers resetting their connections)
  --json              every stdout line is JSON ({"type":"serving"}, {"type":"file"}, progress, logs)`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...SWARM_FLAGS,
      out: { type: 'string', short: 'o', default: '.' },
      peer: { type: 'string', multiple: true },
      'listen-port': { type: 'string' },
      'listen-host': { type: 'string' },
    })
    const input = positionals[0]
    if (!input || positionals.length > 1) {
      throw new CliError('CLI_USAGE', 'p2p serve needs exactly one torrent file or magnet link')
    }
    const httpPort = intFlag('port', values.port as string | undefined, 0, 0, 65535)
    const httpHost = (values.host as string | undefined) ?? '127.0.0.1'
    const announce = trackerTiers(values)
    const peers = peerFlags(values.peer as string[] | undefined)
    const torrent = await torrentArgument(input)
    const json = values.json === true
    const client = transferClient(
      { ...values, port: values['listen-port'], host: values['listen-host'] },
      io.signal,
    )
    const view = createProgressView({ stream: json ? io.stdout : io.stderr, mode: json ? 'json' : undefined })
    const server = client.createServer()
    let stop = () => {}
    try {
      await listenAndReportMapping(client, view)
      const t = await client
        .add(torrent, { path: values.out as string, peers, announce, signal: io.signal })
        .catch((err: unknown) => {
          throw cliError(err)
        })
      logTorrentProblems(view, t, values.verbose === true)
      server.listen(httpPort, httpHost)
      await Promise.race([
        once(server, 'listening'),
        once(server, 'error').then(([err]) => {
          throw new CliError(
            'CLI_FAILED',
            `cannot listen on ${httpHost}:${httpPort}: ${(err as Error).message}`,
          )
        }),
      ])
      const { port } = server.address() as AddressInfo
      const base = `http://${httpHost.includes(':') ? `[${httpHost}]` : httpHost}:${port}/`
      const record = stdoutRecords(io, json)
      record('serving', { url: base }, `serving on ${base}`)
      const listFiles = () => {
        for (const f of t.files) {
          const url = new URL(fileUrlPath(t.infoHash, f.path), base).href
          record('file', { path: f.path, length: f.length, url }, `  ${url}`)
        }
      }
      if (t.files.length) listFiles()
      else t.once('ready', listFiles)
      stop = showProgress(view, t)
      await aborted(io.signal)
      throw interrupted(
        'serving stopped; run the same command again to continue (the data and resume file stay)',
      )
    } finally {
      stop()
      view.stop()
      server.close()
      server.closeAllConnections()
      await closeClient(client)
    }
  },
}
