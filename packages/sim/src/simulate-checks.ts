import { equalBytes } from '@p2p/bytes'
import type { PeerAddress } from '@p2p/peer-address'
import type { Client, Torrent } from '@p2p/swarm'
import type { FaultCount, FaultKind, FaultPeer } from './fault-peer.js'
import type { MemoryStorage } from './memory-storage.js'
import type { SimWebSeed } from './web-seed.js'

/** A client of a {@link simulate} run: the honest seed or a leecher. */
export interface Member {
  name: string
  addr: PeerAddress
  client?: Client
  torrent?: Torrent
  storage?: MemoryStorage
}

/** A ban one member's torrent reported: a peer, or a web seed (`url`). */
export interface SimBan {
  by: string
  peer: string
  url?: string
}

/** A failure for each leecher whose storage does not hold exactly `content`. */
export function wrongBytes(leechers: readonly Member[], content: Uint8Array): string[] {
  const failures: string[] = []
  for (const l of leechers) {
    const bytes = l.storage?.bytes
    if (!bytes || !equalBytes(bytes.subarray(0, content.length), content)) {
      failures.push(`${l.name} finished with wrong bytes`)
    }
  }
  return failures
}

/** A failure for each ban of a peer or web seed that sent no bad data (only corrupt ones may be banned). */
export function banFailures(
  bans: readonly SimBan[],
  webSeeds: readonly SimWebSeed[],
  faulty: ReadonlyMap<string, FaultPeer>,
): string[] {
  const failures: string[] = []
  for (const b of bans) {
    const kind = b.url ? webSeeds.find((w) => w.url === b.url)?.kind : faulty.get(b.peer)?.kind
    if (kind !== 'corrupt') failures.push(`${b.by} banned ${b.peer}, which sent no bad data`)
  }
  return failures
}

/** Per fault kind: handshakes the scripted peers of that kind completed and faults they committed. */
export function faultCounts(faulty: Iterable<FaultPeer>): Partial<Record<FaultKind, FaultCount>> {
  const faults: Partial<Record<FaultKind, FaultCount>> = {}
  for (const p of faulty) {
    const c = faults[p.kind] ?? { handshakes: 0, faults: 0 }
    faults[p.kind] = c
    c.handshakes += p.count.handshakes
    c.faults += p.count.faults
  }
  return faults
}
