import type { DhtNode } from '@p2p/dht'
import { readTorrentFile } from '@p2p/metainfo'
import { type Command, parseFlags, sizeFlag } from '../command.js'
import { CliError, interrupted } from '../errors.js'
import { stdoutRecords } from '../output.js'
import { createProgressView } from '../progress.js'
import { logTorrentProblems } from '../warnings.js'
import { metainfoToCliError, parseVersion } from './create.js'
import { DHT_FLAGS, DHT_USAGE, startDht } from './dht-flags.js'
import { seedHandoff } from './handoff.js'
import {
  aborted,
  cliError,
  closeClient,
  ENCRYPTION_USAGE,
  listenAndReportMapping,
  NAT_FLAGS_USAGE,
  peerFlags,
  SWARM_FLAGS,
  showProgress,
  trackerTiers,
  transferClient,
} from './swarm-flags.js'

/** `p2p seed`: seeds a file or directory, prints its magnet link, runs until stopped. */
export const seed: Command = {
  summary: 'seed a file or directory (prints its magnet link, runs until Ctrl-C)',
  usage: `usage: p2p seed <path> [--torrent file.torrent] [--tracker url]... [--port N] [--host addr]
                [--peer host:port]... [--format hybrid|v1|v2] [--piece-length N]
                [--transports utp,tcp] [--no-dht] [--dht-bootstrap host:port]...
                [--encryption forced|enabled|disabled] [--encryption-level rc4|plaintext|both] [--json]

Creates the torrent of <path> (or checks <path> against --torrent), prints 'listening on ip:port',
its magnet link (every tracker, and this seeder as x.pe=) as a line starting with 'magnet:' and a
'p2p download ...' line to paste on the other machine, then progress, and keeps seeding until
Ctrl-C (or SIGTERM), which exits 130.
  --format f          torrent version when created: hybrid (default), v1 or v2 (--v1/--v2/--hybrid)
  --tracker url       announce to this tracker (repeatable; --announce is the same)
  --port N            TCP port to listen on (default: any free port)
  --transports list   utp, tcp or utp,tcp: dial in this order, accept on each (default: tcp,utp)
  --peer host:port    also connect to this peer (repeatable)
  --upload-limit N    bytes per second, units allowed: 500k, 2M (default: unlimited)
  --download-limit N  bytes per second, units allowed (default: unlimited)
${NAT_FLAGS_USAGE}
${DHT_USAGE}
${ENCRYPTION_USAGE}
  --verbose           also log debug lines (peers resetting their connections)
  --json              every stdout line is JSON (the hand-off lines as one {"type":"seeding"} line)`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...SWARM_FLAGS,
      ...DHT_FLAGS,
      torrent: { type: 'string' },
      peer: { type: 'string', multiple: true },
      v1: { type: 'boolean', default: false },
      v2: { type: 'boolean', default: false },
      hybrid: { type: 'boolean', default: false },
      format: { type: 'string' },
      'piece-length': { type: 'string' },
    })
    const path = positionals[0]
    if (!path || positionals.length > 1) throw new CliError('CLI_USAGE', 'p2p seed needs exactly one <path>')
    if ([values.v1, values.v2, values.hybrid, values.format].filter(Boolean).length > 1) {
      throw new CliError('CLI_USAGE', 'choose one of --format, --v1, --v2, --hybrid')
    }
    const version = values.format
      ? parseVersion(String(values.format))
      : values.v1
        ? 1
        : values.v2
          ? 2
          : 'hybrid'
    const pieceLength =
      values['piece-length'] === undefined
        ? undefined
        : sizeFlag('piece-length', values['piece-length'] as string, 0, 16384, 2 ** 28)
    const announce = trackerTiers(values)
    const peers = peerFlags(values.peer as string[] | undefined)
    let torrentBytes: Uint8Array | undefined
    if (values.torrent) {
      torrentBytes = await readTorrentFile(values.torrent as string).catch((err) => {
        throw metainfoToCliError(err)
      })
    }
    const client = transferClient(values, io.signal)
    const view = createProgressView({
      stream: values.json ? io.stdout : io.stderr,
      mode: values.json ? 'json' : undefined,
    })
    let stop = () => {}
    let dht: DhtNode | undefined
    try {
      await listenAndReportMapping(client, view)
      const t = await client
        .seed(path, { torrent: torrentBytes, announce, version, pieceLength, signal: io.signal })
        .catch((err: unknown) => {
          throw cliError(err)
        })
      const handoff = seedHandoff(client, t, values.host as string | undefined, announce)
      stdoutRecords(io, values.json === true)(
        'seeding',
        handoff,
        `${handoff.listening}\n${handoff.magnet}\n${handoff.command}`,
      )
      logTorrentProblems(view, t, values.verbose === true)
      for (const p of peers) t.addPeer(p)
      dht = await startDht(values, client, t, (line) => view.log(line))
      stop = showProgress(view, t)
      await aborted(io.signal)
      throw interrupted('seeding stopped; run the same command again to continue seeding')
    } finally {
      stop()
      view.stop()
      await dht?.close()
      await closeClient(client)
    }
  },
}
