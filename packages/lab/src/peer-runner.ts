// The lab's peer process for our own swarm (@p2p/swarm's Client), same JSON lines as the libtorrent runner.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createDhtNode, DhtNode } from '@p2p/dht'
import { Client, DEFAULT_TRANSPORTS, type Torrent, useDht } from '@p2p/swarm'
import { LAB_DHT_RATE_LIMIT } from './dht-settings.js'
import { emit, peerMain } from './peer-main.js'
import type { PeerConfig } from './peer-process.js'

/** `host:port` of a peer address (IPv6 in brackets), as the lab's controller knows peers. */
function address(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}

function parse(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':')
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(addr.slice(i + 1)) }
}

/**
 * Joins the DHT through `bootstrap` on the client's UDP port (shared with uTP, as other clients do;
 * on a port of its own if uTP could not bind), with the BEP 5 handshake bit and `port` message on.
 */
async function joinDht(
  client: Client,
  bootstrap: { host: string; port: number }[],
  host: string,
): Promise<DhtNode> {
  await client.listen()
  const options = { bootstrap, rateLimit: LAB_DHT_RATE_LIMIT }
  const node = client.udp
    ? new DhtNode({ ...options, transport: client.udp })
    : await createDhtNode({ ...options, host, port: 0 })
  client.dhtPort = node.addresses()[0]!.port
  node.start().catch((e: Error) => emit({ type: 'warning', message: `dht: ${e.message}` }))
  return node
}

/** How long a peer behind a router waits for its port mapping before it starts without one. */
const MAPPING_WAIT_MS = 10_000

/**
 * Listens, and waits until the router mapped our TCP port (or mapping failed): the tracker then hears the
 * external port from the first announce. Reports the mapping.
 */
async function mappedPort(client: Client): Promise<void> {
  await client.listen()
  const mapper = client.portMapper!
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, MAPPING_WAIT_MS)
    const done = () => {
      clearTimeout(timer)
      resolve()
    }
    mapper.on('mapped', (m) => {
      emit({
        type: 'warning',
        message: `port mapping: ${m.transport} ${m.externalPort} -> ${m.internalPort} via ${m.method}`,
      })
      if (m.transport === 'tcp') done()
    })
    mapper.on('failed', done)
  })
}

/** A connection's wire (what it downloaded) and the address it is seen under. */
type Counted = { wire: { downloaded: number }; addr: string }

/**
 * Bytes downloaded from each peer address over every connection so far (one that moved nothing still
 * counts: the NAT scenario counts connections by it).
 */
function bytesFrom(wires: Counted[]): Record<string, number> {
  const from: Record<string, number> = {}
  for (const w of wires) from[w.addr] = (from[w.addr] ?? 0) + w.wire.downloaded
  return from
}

/** Warnings the `piece` event already carries (a failed hash check): not repeated in the log. */
const PIECE_FAILED = /^piece \d+ failed/

/** Our swarm's client as the config asks for it; its warnings go to the log. */
function createClient(config: PeerConfig): Client {
  const client = new Client({
    host: config.host,
    // A NATed/firewalled peer in loopback mode is emulated by not telling anyone its port.
    port: config.noIncoming ? 0 : config.port,
    uploadLimit: config.uploadLimit,
    downloadLimit: config.downloadLimit,
    lsd: config.lsd === true,
    portMapping: config.portMapping === true,
    ...(config.transports ? { transports: config.transports } : {}),
  })
  client.on('warning', (w) => emit({ type: 'warning', message: w.message }))
  return client
}

/** Seeds the shared file (dialing the configured peers) or starts downloading it, resume off either way. */
async function addTorrent(client: Client, config: PeerConfig): Promise<Torrent> {
  const bytes = new Uint8Array(await readFile(config.torrent))
  const announce = config.trackers?.length ? [config.trackers] : undefined
  if (!config.seed)
    return client.add(bytes, {
      path: config.dir,
      peers: config.peers.map(parse),
      strategy: config.strategy,
      resume: false,
      announce,
    })
  const torrent = await client.seed(join(config.dir, config.name), {
    torrent: bytes,
    resume: false,
    superSeed: config.superSeed === true,
    announce,
  })
  for (const p of config.peers) torrent.addPeer(parse(p))
  return torrent
}

/** Forwards the torrent's events to the log and returns the list its connections are recorded in. */
function logEvents(torrent: Torrent): Counted[] {
  torrent.on('piece', (e) =>
    emit({ type: 'piece', index: e.index, ok: e.ok, algorithm: e.algorithm, peers: e.peers.map(address) }),
  )
  torrent.on('ban', (e) => emit({ type: 'ban', peer: address(e.peer), reason: e.reason }))
  torrent.on('warning', (w) => {
    if (!PIECE_FAILED.test(w.message)) emit({ type: 'warning', message: w.message })
  })
  torrent.on('error', (e) => emit({ type: 'error', message: `${e.code}: ${e.message}` }))
  const wires: Counted[] = []
  torrent.on('wire', (wire, addr) => wires.push({ wire, addr: address(addr) }))
  return wires
}

/** What this side runs with (the report prints it next to libtorrent's); the rest are @p2p/swarm's defaults. */
function settingsOf(config: PeerConfig, dht: DhtNode | undefined): Record<string, unknown> {
  return {
    listen: config.noIncoming ? 'none (NAT emulated)' : `${config.host}:${config.port}`,
    trackers: config.trackers ?? [],
    uploadLimit: config.uploadLimit ?? 0,
    downloadLimit: config.downloadLimit ?? 0,
    strategy: config.strategy ?? 'rarest',
    superSeed: config.seed && config.superSeed === true,
    transports: (config.transports ?? DEFAULT_TRANSPORTS).join(','),
    encryption: 'none',
    dht: dht ? `on the client's UDP port, bootstrap ${config.dhtBootstrap!.join(',')}` : false,
    lsd: config.lsd === true,
  }
}

/** Emits a progress line from the torrent's stats, the DHT's node count and the bytes from each peer. */
function emitProgress(torrent: Torrent, dht: DhtNode | undefined, wires: Counted[]): void {
  const s = torrent.stats()
  emit({
    type: 'progress',
    progress: s.progress,
    downloaded: s.downloaded,
    uploaded: s.uploaded,
    downloadSpeed: s.downloadSpeed,
    uploadSpeed: s.uploadSpeed,
    peers: s.peers,
    dhtNodes: dht ? dht.stats().nodes.v4 : undefined,
    utpPeers: s.peersByTransport.utp,
    holepunches: torrent.holepunches,
    from: bytesFrom(wires),
  })
}

peerMain(async (config) => {
  const client = createClient(config)
  if (config.portMapping) await mappedPort(client)
  const dht = config.dhtBootstrap
    ? await joinDht(client, config.dhtBootstrap.map(parse), config.host)
    : undefined
  const torrent = await addTorrent(client, config)
  if (dht)
    useDht(torrent, dht, {
      port: client.port,
      onWarning: (e) => emit({ type: 'warning', message: `dht: ${e.message}` }),
    })
  const wires = logEvents(torrent)
  emit({ type: 'ready', host: config.host, port: config.port, settings: settingsOf(config, dht) })
  void torrent.done.then(() => emit({ type: 'done' }))
  const sample = () => emitProgress(torrent, dht, wires)
  const timer = setInterval(sample, config.sampleMs ?? 250)
  return {
    connect(peers) {
      for (const p of peers) torrent.addPeer(parse(p))
    },
    async stop() {
      clearInterval(timer)
      sample()
      await dht?.close()
      await client.close()
    },
  }
})
