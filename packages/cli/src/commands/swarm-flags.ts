import { setFlagsFromString } from 'node:v8'
import { readTorrentFile } from '@p2p/metainfo'
import { parsePeer } from '@p2p/peer-address'
import {
  Client,
  type ClientOptions,
  type EncryptionOptions,
  parseTransports,
  SwarmError,
  type Transport,
} from '@p2p/swarm'
import { choiceFlag, intFlag, sizeFlag } from '../command.js'
import { CliError } from '../errors.js'
import type { ProgressView } from '../progress.js'
import { metainfoToCliError } from './create.js'

/** Flags shared by `p2p seed` and `p2p download`. */
export const SWARM_FLAGS = {
  tracker: { type: 'string', multiple: true },
  announce: { type: 'string', multiple: true },
  port: { type: 'string' },
  host: { type: 'string' },
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  'upload-limit': { type: 'string' },
  'download-limit': { type: 'string' },
  transports: { type: 'string' },
  'port-mapping': { type: 'boolean', default: false },
  'no-lsd': { type: 'boolean', default: false },
  encryption: { type: 'string' },
  'encryption-level': { type: 'string' },
} as const

/** Usage lines of the encryption flags, shared by `p2p seed` and `p2p download`. */
export const ENCRYPTION_USAGE = `  --encryption forced|enabled|disabled
                      Message Stream Encryption: forced = encrypted connections only, enabled
                      (default) = try encrypted first and accept both, disabled = plain only
  --encryption-level rc4|plaintext|both
                      what an encrypted connection carries (default both, RC4 preferred)`

/** `--encryption` and `--encryption-level`, checked. */
function encryptionFlags(values: Record<string, unknown>): EncryptionOptions {
  const pick = <T extends string>(name: string, allowed: readonly T[]) =>
    choiceFlag(name, values[name], allowed)
  return {
    encryption: pick('encryption', ['forced', 'enabled', 'disabled'] as const),
    encryptionLevel: pick('encryption-level', ['rc4', 'plaintext', 'both'] as const),
  }
}

/** Usage lines of the flags every transfer command takes for NAT traversal and LAN discovery. */
export const NAT_FLAGS_USAGE = `  --port-mapping      map the port on the router (PCP, NAT-PMP, UPnP) and announce the external port
  --no-lsd            do not look for peers on the LAN (BEP 14 local service discovery, on by default
                      for public torrents, on the interface of --host when given)`

/** `--transports utp,tcp`: transports in order of preference (undefined: the client's default). */
export function transportsFlag(value: string | undefined): Transport[] | undefined {
  if (value === undefined) return undefined
  try {
    return parseTransports(value)
  } catch {
    throw new CliError(
      'CLI_USAGE',
      `--transports expects utp, tcp or both (utp,tcp), got ${JSON.stringify(value)}`,
    )
  }
}

/** Tracker tiers from `--tracker` / `--announce` (one URL per tier), or undefined. */
export function trackerTiers(values: Record<string, unknown>): string[][] | undefined {
  const urls = [
    ...((values.tracker as string[] | undefined) ?? []),
    ...((values.announce as string[] | undefined) ?? []),
  ]
  for (const u of urls) {
    if (!/^(https?|udp):\/\//.test(u))
      throw new CliError(
        'CLI_USAGE',
        `--tracker expects an http(s):// or udp:// URL, got ${JSON.stringify(u)}`,
      )
  }
  return urls.length ? urls.map((u) => [u]) : undefined
}

/**
 * A swarm client for `p2p seed` / `p2p download`, configured from the shared flags. Also keeps V8's
 * young generation at its initial size for the bulk transfer that follows (a process-wide setting,
 * fine for these commands, which own their process): its per-block garbage dies young, and a young
 * generation grown to its 2 x 16 MiB maximum was most of a download's peak memory (1 GiB download:
 * peak RSS about 100 -> 86 MiB, same CPU). The flag is read whenever V8 resizes the young generation.
 */
export function transferClient(values: Record<string, unknown>, signal: AbortSignal): Client {
  setFlagsFromString('--semi-space-growth-factor=1')
  return new Client(clientOptions(values, signal))
}

/** Client options from the shared flags. */
function clientOptions(values: Record<string, unknown>, signal: AbortSignal): ClientOptions {
  const rate = (name: string) => sizeFlag(name, values[name] as string | undefined, 0, 0, 2 ** 40)
  return {
    port: intFlag('port', values.port as string | undefined, 0, 0, 65535),
    host: values.host as string | undefined,
    uploadLimit: rate('upload-limit'),
    downloadLimit: rate('download-limit'),
    transports: transportsFlag(values.transports as string | undefined),
    portMapping: values['port-mapping'] === true,
    lsd: values['no-lsd'] !== true,
    ...encryptionFlags(values),
    signal,
  }
}

/**
 * Starts listening, and with `--port-mapping` prints every mapping the router grants (and why it fails).
 * @throws {CliError} when the client cannot listen.
 */
export async function listenAndReportMapping(client: Client, view: ProgressView): Promise<void> {
  await client.listen().catch((err: unknown) => {
    throw cliError(err)
  })
  const mapper = client.portMapper
  if (!mapper) return
  mapper.on('external-address', (a) => view.log(`port mapping: external address ${a.address}`))
  mapper.on('mapped', (m) =>
    view.log(`port mapping: ${m.transport} ${m.externalPort} -> ${m.internalPort} via ${m.method}`),
  )
  mapper.on('failed', (e) => view.log(`port mapping: ${e.message} (${e.code})`))
}

/** A torrent argument: a magnet link as it is, else the `.torrent` file's bytes (read with a size cap). */
export async function torrentArgument(input: string): Promise<Uint8Array | string> {
  if (input.startsWith('magnet:')) return input
  return readTorrentFile(input).catch((err) => {
    throw metainfoToCliError(err)
  })
}

/** Parses `--peer host:port` values. */
export function peerFlags(list: string[] | undefined): { host: string; port: number }[] {
  return (list ?? []).map((p) => {
    try {
      return parsePeer(p)
    } catch {
      throw new CliError('CLI_USAGE', `--peer expects host:port, got ${JSON.stringify(p)}`)
    }
  })
}

/** Turns swarm errors into CLI errors with the matching exit code. */
export function cliError(err: unknown): unknown {
  if (!(err instanceof SwarmError)) return err
  const code =
    err.code === 'SWARM_BAD_TORRENT' ||
    err.code === 'SWARM_PATH_TRAVERSAL' ||
    err.code === 'SWARM_INVALID_ARGUMENT'
      ? 'CLI_BAD_INPUT'
      : err.code === 'SWARM_LISTEN'
        ? 'CLI_UNREACHABLE'
        : 'CLI_FAILED'
  return new CliError(code, `${err.message} (${err.code})`, { cause: err })
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((r) => {
    if (signal.aborted) r()
    else signal.addEventListener('abort', () => r(), { once: true })
  })
}

/** Feeds a torrent's stats to the progress view every `ms`; returns a stop function. */
export function showProgress(
  view: ProgressView,
  torrent: {
    name: string
    stats(): { progress: number; downloadSpeed: number; uploadSpeed: number; peers: number; eta?: number }
  },
  ms = 500,
): () => void {
  const tick = () => view.update({ label: torrent.name, ...torrent.stats() })
  const timer = setInterval(tick, ms)
  tick()
  return () => {
    clearInterval(timer)
    tick()
  }
}

/** Closes the client, bounded so Ctrl-C never hangs. */
export async function closeClient(client: Client, ms = 8_000): Promise<void> {
  await Promise.race([client.close(), new Promise((r) => setTimeout(r, ms).unref())])
}
