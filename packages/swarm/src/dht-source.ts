import type { DhtNode } from '@p2p/dht'
import type { ExternalAddress, Mapping, PortMapper } from '@p2p/nat'
import type { PeerAddress } from '@p2p/peer-address'
import type { Torrent } from './torrent.js'

/** First retry while the torrent has no peer (ms); it doubles up to {@link DHT_EAGER_INTERVAL_MS}. */
export const DHT_FIRST_RETRY_MS = 2_000
/** Longest wait between lookups while the torrent has no peer (ms). */
export const DHT_EAGER_INTERVAL_MS = 30_000
/** Lookups and re-announces once it has peers (BEP 5 tokens live ~10 minutes; clients re-announce every 15). */
export const DHT_INTERVAL_MS = 15 * 60_000

/** Options of {@link useDht}. */
export interface DhtSourceOptions {
  /** The TCP port peers should connect to (the client's listening port). */
  port: number
  /** Stops the source. */
  signal?: AbortSignal
  /** Called when a lookup fails (the source keeps going). */
  onWarning?: (error: Error) => void
}

/**
 * The DHT as a peer source of one torrent (BEP 5): looks its info hash up, announces `port`, and
 * gives every peer found to the torrent; again after 2, 4, 8... up to 30 s while it has no peers,
 * every 15 minutes after. The DHT nodes that peers tell in BEP 5 `port` messages are pinged and
 * enter the routing table if they answer. Private torrents (BEP 27) never use the DHT: the source stops as soon as the metadata
 * says private. Returns a function that stops it.
 *
 * @example
 * ```ts
 * await client.listen()
 * const dht = new DhtNode({ transport: client.udp!, bootstrap })
 * await dht.start()
 * const stop = useDht(torrent, dht, { port: client.port })
 * ```
 */
export function useDht(torrent: Torrent, dht: DhtNode, options: DhtSourceOptions): () => void {
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let retry = DHT_FIRST_RETRY_MS
  const addNode = (address: PeerAddress) => void dht.addNode(address)
  const stop = () => {
    stopped = true
    clearTimeout(timer)
    torrent.off('dht-node', addNode)
  }
  const round = async () => {
    if (stopped || torrent.metainfo?.private) return stop()
    try {
      const { peers } = await dht.announce(torrent.infoHashBytes, options.port)
      if (stopped || torrent.metainfo?.private) return
      for (const p of peers) torrent.addPeer(p, 'dht')
    } catch (err) {
      options.onWarning?.(err as Error)
    }
    if (stopped) return
    const hasPeers = torrent.stats().peers > 0
    timer = setTimeout(round, hasPeers ? DHT_INTERVAL_MS : retry)
    retry = Math.min(retry * 2, DHT_EAGER_INTERVAL_MS)
    timer.unref()
  }
  torrent.on('dht-node', addNode)
  torrent.once('metadata', (m) => {
    if (m.private) stop()
  })
  options.signal?.addEventListener('abort', stop, { once: true })
  void round()
  return stop
}

/**
 * Gives `dht` the external address the client's port mapper learns from the gateway, so its
 * BEP 42 node id matches that address from the start (without waiting for replies to agree),
 * with the mapped UDP port when there is one. Addresses with another NAT beyond are skipped.
 * Returns a function that stops following the mapper.
 *
 * @example
 * ```ts
 * if (client.portMapper) useMappedAddress(client.portMapper, dht)
 * ```
 */
export function useMappedAddress(mapper: PortMapper, dht: DhtNode): () => void {
  const take = (external: ExternalAddress | undefined) => {
    if (!external || external.private) return
    const udp = mapper.mappings.find((m) => m.transport === 'udp')
    dht.setExternalAddress({ host: external.address, port: udp?.externalPort ?? dht.addresses()[0]!.port })
  }
  const mapped = (m: Mapping) => m.transport === 'udp' && take(mapper.externalAddress)
  take(mapper.externalAddress)
  mapper.on('external-address', take)
  mapper.on('mapped', mapped)
  return () => {
    mapper.off('external-address', take)
    mapper.off('mapped', mapped)
  }
}
