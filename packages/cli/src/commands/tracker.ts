import { readFile } from 'node:fs/promises'
import {
  createTrackerServer,
  DEFAULT_MAX_PEERS,
  DEFAULT_PEER_TIMEOUT_MS,
  jsonLogger,
  type LogEntry,
  type Logger,
  MemoryStore,
  RedisStore,
  runCluster,
  TrackerServerError,
} from '@p2p/tracker-server'
import { type Command, type CommandIo, intFlag, parseFlags } from '../command.js'
import { CliError, interrupted } from '../errors.js'
import { stdoutRecords } from '../output.js'

/** `p2p tracker`: an HTTP + UDP tracker until SIGINT/SIGTERM. */
export const tracker: Command = {
  summary: 'run an HTTP + UDP BitTorrent tracker (memory or Redis store, optional worker cluster)',
  usage: `usage: p2p tracker [--host 127.0.0.1] [--port N] [--udp-port N] [--redis URL] [--workers N] [--json]

Runs a tracker until Ctrl-C (or SIGTERM), which exits 130. Prints the HTTP then the UDP announce URL,
each on its own line (with --json one {"type":"listening","httpUrl","udpUrl"} line), once it listens; /stats (JSON) and /metrics (Prometheus) are served on the HTTP port.
  --host ADDR        address to listen on (default 127.0.0.1; an IPv4 or IPv6 literal)
  --port N           HTTP port (alias --http-port; default 0 = any free port)
  --udp-port N       UDP port (default: the HTTP port when free, else any)
  --redis URL        keep swarms in Redis (redis://host:port) so several trackers share them
  --workers N        run N worker processes on the same ports (1..64; default 1)
  --interval S       announce interval sent to clients, seconds (default 1800)
  --allow FILE       only track the info hashes (40 hex, one a line) listed in FILE
  --rate-limit N     requests per second per client IP, 0 = unlimited (default 50)
  --peer-timeout S   drop a peer not heard from for S seconds (default 1860; memory store, one worker)
  --max-peers N      most peers kept over all torrents; the least recently seen go first
                     (default 5000000, about 550 MB; memory store, one worker)
  --json             JSON on stdout, structured JSON logs on stderr (default: one-line human logs)`,
  async run(argv, io) {
    const { values } = parseFlags(
      argv,
      {
        host: { type: 'string' },
        port: { type: 'string' },
        'http-port': { type: 'string' },
        'udp-port': { type: 'string' },
        redis: { type: 'string' },
        workers: { type: 'string' },
        interval: { type: 'string' },
        allow: { type: 'string' },
        'rate-limit': { type: 'string' },
        'peer-timeout': { type: 'string' },
        'max-peers': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      false,
    )
    const { common, workers, redisUrl, memory } = await trackerOptions(values, io)
    const record = stdoutRecords(io, values.json === true)
    const printUrls = (u: { httpUrl?: string; udpUrl?: string }) =>
      record('listening', u, `${u.httpUrl}\n${u.udpUrl}`)
    const stopped = () => interrupted('tracker stopped; run the same command again to start it again')
    try {
      if (workers > 1) {
        const c = await runCluster({ ...common, workers, ...(redisUrl ? { redisUrl } : {}) })
        printUrls(c)
        await aborted(io.signal)
        await c.close()
        throw stopped()
      }
      const server = createTrackerServer({
        ...common,
        store: redisUrl ? new RedisStore({ url: redisUrl }) : new MemoryStore(memory),
        closeStore: true,
      })
      const { httpUrl, udpUrl } = await server.listen()
      printUrls({ httpUrl, udpUrl })
      await aborted(io.signal)
      await server.close()
      throw stopped()
    } catch (err) {
      if (err instanceof TrackerServerError) {
        throw new CliError(
          err.code === 'TRACKER_SERVER_BAD_OPTION' ? 'CLI_USAGE' : 'CLI_FAILED',
          err.message,
          { cause: err },
        )
      }
      throw err
    }
  },
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}

async function readAllowList(file: string): Promise<string[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new CliError('CLI_BAD_INPUT', `cannot read --allow file ${file}: ${(err as Error).message}`)
  }
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  for (const l of lines) {
    if (!/^[0-9a-fA-F]{40}$/.test(l))
      throw new CliError(
        'CLI_BAD_INPUT',
        `--allow file: not a 40-hex info hash: ${JSON.stringify(l.slice(0, 60))}`,
      )
  }
  return lines
}

/** The server options the flags give, checked (a bad value is a usage error). */
async function trackerOptions(values: Record<string, unknown>, io: Pick<CommandIo, 'stderr'>) {
  const str = (k: string) => values[k] as string | undefined
  const host = str('host') ?? '127.0.0.1'
  const httpPort = intFlag('port', str('port') ?? str('http-port'), 0, 0, 65535)
  const udpPort =
    str('udp-port') === undefined ? undefined : intFlag('udp-port', str('udp-port'), 0, 0, 65535)
  const workers = intFlag('workers', str('workers'), 1, 1, 64)
  const interval = intFlag('interval', str('interval'), 1800, 1, 86_400)
  const rate = intFlag('rate-limit', str('rate-limit'), 50, 0, 1_000_000)
  const redisUrl = str('redis')
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new CliError('CLI_USAGE', `--redis expects a redis:// URL, got ${JSON.stringify(redisUrl)}`)
  }
  const memory = {
    peerTimeout:
      intFlag('peer-timeout', str('peer-timeout'), DEFAULT_PEER_TIMEOUT_MS / 1000, 1, 86_400) * 1000,
    maxPeers: intFlag('max-peers', str('max-peers'), DEFAULT_MAX_PEERS, 1, 1_000_000_000),
  }
  if ((str('peer-timeout') ?? str('max-peers')) !== undefined && (redisUrl !== undefined || workers > 1))
    throw new CliError('CLI_USAGE', '--peer-timeout and --max-peers apply to the memory store of one worker')
  const allowList = str('allow') === undefined ? undefined : await readAllowList(str('allow')!)
  const logger: Logger = values.json
    ? jsonLogger({ stream: io.stderr })
    : (e: LogEntry) => {
        if (e.level !== 'debug')
          io.stderr.write(`tracker: ${e.msg}${e.worker === undefined ? '' : ` (worker ${e.worker})`}\n`)
      }
  const common = {
    host,
    httpPort,
    ...(udpPort === undefined ? {} : { udpPort }),
    interval,
    minInterval: Math.min(300, interval),
    rateLimit: rate === 0 ? (false as const) : { perSecond: rate, burst: rate * 4 },
    ...(allowList ? { allowList } : {}),
    logger,
  }
  return { common, workers, redisUrl, memory }
}
