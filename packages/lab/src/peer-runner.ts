// The lab's peer process for our own swarm (@p2p/swarm's Client), same JSON lines as the libtorrent runner.
import { readFile } from 'node:fs/promises'
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
  close(): Promise<void>
}
type SwarmModule = { Client: new (opts: Record<string, unknown>) => SwarmClient }

/** Module name held in a variable so the lab builds before @p2p/swarm exists. */
const SWARM = '@p2p/swarm'

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
  const torrent = await client.add(await readFile(config.torrent), {
    path: config.dir,
    peers: config.peers.map(parse),
    strategy: config.strategy,
    seed: config.seed,
  })
  torrent.on('piece', (e) =>
    emit({ type: 'piece', index: e.index, ok: e.ok, algorithm: e.algorithm, peers: e.peers }),
  )
  torrent.on('ban', (e) => emit({ type: 'ban', peer: e.peer ?? e.address, reason: e.reason }))
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
