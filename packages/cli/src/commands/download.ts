import type { DhtNode } from '@p2p/dht'
import { type Command, parseFlags } from '../command.js'
import { CliError, interrupted } from '../errors.js'
import { parseFileList, parsePriorities } from '../file-selection.js'
import { createProgressView } from '../progress.js'
import { logTorrentProblems } from '../warnings.js'
import { DHT_FLAGS, DHT_USAGE, startDht } from './dht-flags.js'
import { type DownloadAsk, watchDownload } from './download-outcome.js'
import { NO_SOURCE_HINT_MS } from './handoff.js'
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
  torrentArgument,
  trackerTiers,
  transferClient,
} from './swarm-flags.js'

/** `p2p download`: downloads a torrent or magnet link; exits 0 once complete and verified. */
export const download: Command = {
  summary: 'download a torrent or magnet link (exits 0 once every file is complete and verified)',
  usage: `usage: p2p download <file.torrent|magnet> [-o dir] [--tracker url]... [--peer host:port]...
                    [--port N] [--host addr] [--seed] [--sequential] [--files 0,2-4]
                    [--priority i=p]... [--transports utp,tcp] [--no-dht] [--dht-bootstrap host:port]...
                    [--recheck] [--encryption forced|enabled|disabled] [--encryption-level rc4|plaintext|both] [--json]

Downloads into <dir> (default: the current directory), verifying every piece, and exits 0 once
every selected file is complete. Ctrl-C stops cleanly (exit 130) and keeps resume data, so running
the same command again continues where it stopped. With no tracker, peer or web seed to ask, it says
'no way to find peers: pass --tracker or --peer' after a few seconds. Pieces the resume data lists are taken as had while
their files' sizes and times are unchanged (the final line says how many were not hashed).
  --tracker url       announce to this tracker too (repeatable; --announce is the same)
  --peer host:port    connect to this peer (repeatable)
  --transports list   utp, tcp or utp,tcp: dial in this order, accept on each (default: tcp,utp)
  --seed              keep seeding after the download until Ctrl-C (exit 130)
  --sequential        download pieces in order
  --files 0,2-4       only these files (indexes as 'p2p info' lists them); the others are skipped
  --priority i=p      file i's priority: 0 skips it, 1 (low) to 7 (top), 4 by default; pieces of
                      higher-priority files come first (repeatable; wins over --files for file i)
Without --files/--priority, the priorities saved in the resume data of an earlier run apply.
  --recheck           hash every piece on disk, whatever the resume data says
  --download-limit N  bytes per second, units allowed: 500k, 2M (default: unlimited)
  --upload-limit N    bytes per second, units allowed (default: unlimited)
  --verbose           also log debug lines (peers resetting their connections)
${NAT_FLAGS_USAGE}
${DHT_USAGE}
${ENCRYPTION_USAGE}
  --json              every stdout line is JSON: progress, logs and warnings (level in each)`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...SWARM_FLAGS,
      ...DHT_FLAGS,
      out: { type: 'string', short: 'o', default: '.' },
      peer: { type: 'string', multiple: true },
      seed: { type: 'boolean', default: false },
      sequential: { type: 'boolean', default: false },
      files: { type: 'string' },
      priority: { type: 'string', multiple: true },
      recheck: { type: 'boolean', default: false },
    })
    const input = positionals[0]
    if (!input || positionals.length > 1) {
      throw new CliError('CLI_USAGE', 'p2p download needs exactly one torrent file or magnet link')
    }
    const files = values.files !== undefined ? parseFileList(String(values.files)) : undefined
    const priorities = values.priority ? parsePriorities(values.priority as string[]) : undefined
    const announce = trackerTiers(values)
    const ask: DownloadAsk = {
      input,
      files,
      priorities,
      peers: peerFlags(values.peer as string[] | undefined),
    }
    const torrent = await torrentArgument(input)
    const json = values.json === true
    const client = transferClient(values, io.signal)
    const view = createProgressView({ stream: json ? io.stdout : io.stderr, mode: json ? 'json' : undefined })
    let stop = () => {}
    let dht: DhtNode | undefined
    try {
      await listenAndReportMapping(client, view)
      const t = await client
        .add(torrent, {
          path: values.out as string,
          peers: ask.peers,
          strategy: values.sequential ? 'sequential' : undefined,
          files,
          filePriorities: priorities,
          recheck: values.recheck === true,
          signal: io.signal,
          announce,
          noPeersTimeout: NO_SOURCE_HINT_MS,
        })
        .catch((err: unknown) => {
          throw cliError(err)
        })
      const outcome = watchDownload(t, ask, view)
      logTorrentProblems(view, t, values.verbose === true)
      dht = await startDht(values, client, t, (line) => view.log(line))
      stop = showProgress(view, t)
      await Promise.race([t.done, aborted(io.signal), outcome.ended])
      outcome.check(io.signal)
      stop()
      stop = () => {}
      const resumed = t.resumedPieces
      view.log(
        resumed === 0
          ? `done: ${t.name} complete and verified`
          : `done: ${t.name} complete (${resumed} pieces taken from the resume data without hashing; --recheck hashes them)`,
      )
      if (!values.seed) return 0
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
