import type { EventLog } from './event-log.js'
import type { LabHost } from './hosts.js'
import { type DhtNodeConfig, type PeerMessage, PeerProcess, type TrackerConfig } from './peer-process.js'
import type { RunTag } from './swarm-peers.js'

/** Announce interval the lab's tracker hands out, seconds (runs last tens of seconds). */
const TRACKER_INTERVAL_S = 30
/** How long the tracker or DHT node process may take to listen. */
const SERVICE_START_MS = 30_000

/** A service process of a run (the tracker T0 or the DHT node D0) and the address it will listen on. */
export interface LabService {
  proc: PeerProcess
  /** The tracker's announce URL or the DHT node's `host:port`, once it listens (rejects if it does not). */
  listening: Promise<string>
}

/** Starts the lab's tracker T0 on `host`; it logs each announce with the announcing peer's name. */
export function startTracker(
  host: LabHost,
  protocol: 'http' | 'udp',
  log: EventLog,
  tag: RunTag,
  nameOf: (address: string) => string,
): LabService {
  const config: TrackerConfig = { host: host.ip, port: host.port, protocol, interval: TRACKER_INTERVAL_S }
  return startService('T0', 'tracker', host, config, 'url', log, tag, (m) => {
    if (m.type !== 'announce') return false
    const from = `${m.host}:${m.port}`
    const { type: _type, host: _host, port: _port, ...data } = m
    log.add({ ...tag, peer: nameOf(from), type: 'announce', ...data })
    return true
  })
}

/** Starts the lab's DHT node D0 on `host`: the one address the peers join the DHT through. */
export function startDhtNode(host: LabHost, log: EventLog, tag: RunTag): LabService {
  const config: DhtNodeConfig = { host: host.ip, port: host.port }
  return startService('D0', 'dht', host, config, 'address', log, tag, (m) => {
    if (m.type !== 'dht-stats') return false
    log.add({ ...tag, peer: 'D0', ...m })
    return true
  })
}

/**
 * Spawns a service; it listens when it says `ready` (with its address in `readyKey`), within
 * {@link SERVICE_START_MS}. `onMessage` takes its other messages (false: not one it knows); errors
 * and warnings are logged.
 */
function startService(
  name: string,
  kind: 'tracker' | 'dht',
  host: LabHost,
  config: TrackerConfig | DhtNodeConfig,
  readyKey: string,
  log: EventLog,
  tag: RunTag,
  onMessage: (m: PeerMessage) => boolean,
): LabService {
  let ready: (address: string) => void = () => {}
  const listening = new Promise<string>((resolve) => {
    ready = resolve
  })
  const proc = new PeerProcess(name, kind, host, config, (m) => {
    if (m.type === 'ready') ready(String(m[readyKey]))
    else if (!onMessage(m) && (m.type === 'error' || m.type === 'warning'))
      log.add({ ...tag, peer: name, type: m.type, message: m.message })
  })
  const what = kind === 'tracker' ? 'tracker' : 'DHT node'
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`${what} did not listen: ${proc.stderr}`)), SERVICE_START_MS).unref(),
  )
  return { proc, listening: Promise.race([listening, proc.exited.then(() => timeout), timeout]) }
}
