import { createDhtNode, DhtNode } from '@p2p/dht'
import { type IpFamily, type PeerAddress, parsePeer } from '@p2p/peer-address'
import { type Client, type Torrent, useDht, useMappedAddress } from '@p2p/swarm'
import { CliError } from '../errors.js'

/** Flags of `p2p seed` / `p2p download` for the DHT. */
export const DHT_FLAGS = {
  'no-dht': { type: 'boolean', default: false },
  'dht-bootstrap': { type: 'string', multiple: true },
} as const

/** Usage lines of {@link DHT_FLAGS}. */
export const DHT_USAGE = `  --no-dht            do not use the DHT (private torrents never do)
  --dht-bootstrap h:p join the DHT through this node (repeatable; no public nodes are built in)`

/** Parses `host:port` flag values. */
export function bootstrapFlags(name: string, list: unknown): PeerAddress[] {
  return ((list as string[] | undefined) ?? []).map((p) => {
    try {
      return parsePeer(p)
    } catch {
      throw new CliError('CLI_USAGE', `--${name} expects host:port, got ${JSON.stringify(p)}`)
    }
  })
}

/**
 * Joins the DHT on the client's UDP port (sharing uTP's socket, as other clients do) and makes
 * it a peer source of `torrent`, unless `--no-dht` or no `--dht-bootstrap` was given. Returns the
 * node (to close), or undefined.
 */
export async function startDht(
  values: Record<string, unknown>,
  client: Client,
  torrent: Torrent,
  log: (line: string) => void,
): Promise<DhtNode | undefined> {
  const bootstrap = bootstrapFlags('dht-bootstrap', values['dht-bootstrap'])
  if (values['no-dht'] === true || bootstrap.length === 0) return undefined
  const host = (values.host as string | undefined) ?? '0.0.0.0'
  // On uTP's socket as libtorrent does; without uTP (--transports tcp) on its own one.
  const udp = client.udp
  const own = host === '::' ? { host: '0.0.0.0', host6: '::' } : { host }
  const dht = udp
    ? new DhtNode({ transport: udp, bootstrap, families: familiesOf(udp.addresses()[0]!.host) })
    : await createDhtNode({ ...own, port: client.port, bootstrap }).catch(() =>
        createDhtNode({ ...own, port: 0, bootstrap }),
      )
  client.dhtPort = dht.addresses()[0]!.port
  // With --port-mapping the gateway tells our external address: the BEP 42 node id follows it.
  if (client.portMapper) useMappedAddress(client.portMapper, dht)
  dht.start().catch((err: Error) => log(`warning: dht: ${err.message}`))
  useDht(torrent, dht, { port: client.port, onWarning: (err) => log(`warning: dht: ${err.message}`) })
  return dht
}

/** BEP 32 routing tables for a UDP socket bound to `host`: both on `::` (dual stack), else its family's. */
function familiesOf(host: string): IpFamily[] {
  if (host === '::') return [4, 6]
  return host.includes(':') ? [6] : [4]
}
