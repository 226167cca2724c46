// The lab's peer process for our own swarm (@p2p/swarm's Client), same JSON lines as the libtorrent runner.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { emit, peerMain } from './peer-main.js'

/** The part of @p2p/swarm's contract this runner uses (see contracts: Client, Torrent). */
interface SwarmTorrent {
  done: Promise<void>
  stats(): {
    progress: number
    downloaded: number
    uploaded: number
    downloadSpeed: number
    uploadSpeed: number
    peers: number
  }
  addPeer(addr: { host: string; port: number }): void
  on(event: string, fn: (e: Record<string, unknown>) => void): void
}
interface SwarmClient {
  add(torrent: Uint8Array, opts: Record<string, unknown>): Promise<SwarmTorrent>
  seed(path: string, opts: Record<string, unknown>): Promise<SwarmTorrent>
  close(): Promise<void>
}
type SwarmModule = { Client: new (opts: Record<string, unknown>) => SwarmClient }

/** Module name held in a variable so the lab builds before @p2p/swarm exists. */
const SWARM = '@p2p/swarm'

/** `host:port` strings from whatever the swarm reports (strings or PeerAddress objects). */
function addresses(list: unknown): string[] {
  if (!Array.isArray(list)) return []
  return list.map((a) => {
    if (typeof a === 'string') return a
    const { host, port } = (a ?? {}) as { host?: string; port?: number }
    return host?.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  })
}

function parse(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':')
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(addr.slice(i + 1)) }
}

peerMain(async (config) => {
  const { Client } = (await import(SWARM)) as SwarmModule
  const client = new Client({
    host: config.host,
    port: config.noIncoming ? undefined : config.port,
    uploadLimit: config.uploadLimit,
    downloadLimit: config.downloadLimit,
  })
  const bytes = await readFile(config.torrent)
  const torrent = config.seed
    ? await client.seed(join(config.dir, config.name), { torrent: bytes })
    : await client.add(bytes, { path: config.dir, peers: config.peers.map(parse), strategy: config.strategy })
  if (config.seed) for (const p of config.peers) torrent.addPeer(parse(p))
  torrent.on('piece', (e) =>
    emit({ type: 'piece', index: e.index, ok: e.ok, algorithm: e.algorithm, peers: addresses(e.peers) }),
  )
  torrent.on('ban', (e) => emit({ type: 'ban', peer: addresses([e.peer ?? e.address])[0], reason: e.reason }))
  torrent.on('warning', (e) => emit({ type: 'warning', message: String(e.message ?? e) }))
  emit({ type: 'ready', host: config.host, port: config.port })
  void torrent.done.then(() => emit({ type: 'done' }))
  const timer = setInterval(() => emit({ type: 'progress', ...torrent.stats() }), config.sampleMs ?? 250)
  return {
    connect(peers) {
      for (const p of peers) torrent.addPeer(parse(p))
    },
    async stop() {
      clearInterval(timer)
      await client.close()
    },
  }
})
