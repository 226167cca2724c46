import { networkInterfaces } from 'node:os'
import { formatPeer } from '@p2p/peer-address'
import type { Client, Torrent } from '@p2p/swarm'

/** Seconds without a peer source after which `p2p download` says how to give it one. */
export const NO_SOURCE_HINT_MS = 5_000
/** What `p2p download` prints when it has no way to find peers. */
export const NO_SOURCE_HINT = 'no way to find peers: pass --tracker or --peer'

/** The address other machines reach us at: `--host` when given, else the first LAN IPv4, else loopback. */
export function reachableHost(host: string | undefined): string {
  if (host && host !== '0.0.0.0' && host !== '::') return host
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return '127.0.0.1'
}

/**
 * The lines `p2p seed` hands off with: where it listens, a magnet link with every tracker it announces
 * to and its own address as `x.pe=`, and a `p2p download` command to paste on the other machine.
 */
export function seedHandoff(
  client: Client,
  t: Torrent,
  host: string | undefined,
  trackers: string[][] | undefined,
): { listening: string; magnet: string; command: string } {
  const self = formatPeer({ host: reachableHost(host), port: client.port })
  const known = new Set(
    new URLSearchParams(t.magnetURI.slice('magnet:?'.length)).getAll('tr').map((u) => u.toLowerCase()),
  )
  const extra = (trackers ?? []).flat().filter((u) => !known.has(u.toLowerCase()))
  const magnet = `${t.magnetURI}${extra.map((u) => `&tr=${encodeURIComponent(u)}`).join('')}&x.pe=${encodeURIComponent(self)}`
  return {
    listening: `listening on ${self}`,
    magnet,
    command: `p2p download '${magnet}'`,
  }
}
