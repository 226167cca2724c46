import type { NetworkMode } from './hosts.js'
import type { LabOptions, LabPlan } from './lab-options.js'
import type { ScenarioResult } from './scenario.js'

/** The report's notes on how a lab run is set up (discovery, clock, seeding), known before it runs. */
export function setupNotes(plan: LabPlan, options: LabOptions): string[] {
  const notes: string[] = []
  if (!plan.oursOk)
    notes.push('@p2p/swarm could not be loaded in this build: every scenario ran libtorrent peers only.')
  notes.push(
    plan.discovery === 'tracker'
      ? `Discovery: every peer, ours and libtorrent's, announces to our tracker (@p2p/tracker-server, ${plan.trackerProtocol.toUpperCase()}) on its own host T0 and dials the peers it returns; the timeline logs each announce. Loopback runs with NATed or firewalled peers fall back to direct discovery (loopback cannot hide a peer behind a tracker).`
      : 'Discovery: direct (the lab controller tells each new peer the addresses of the running ones).',
  )
  notes.push(
    'Clock: a run starts its seeders first and counts from the moment every seeder serves (libtorrent checks its copy of the file first); leechers start then. Each peer row gives its time to the first verified piece.',
  )
  notes.push(
    options.superSeed
      ? 'A lone seeder super-seeds (BEP 16), ours and libtorrent alike: each leecher is shown a few pieces the swarm lacks at a time and gets more once one turns up on another peer. Note: libtorrent 2.0 sends its first super-seed HAVE while the connection is still in its handshake state, where peer_connection::superseed_piece returns without sending, so each new peer is offered its first piece only by the 10 s retry in peer_connection::second_tick: every libtorrent leecher idles about 10 s. Runs with several seeders seed normally.'
      : 'Seeders seed normally (super-seeding off, ours and libtorrent alike): they serve whatever pieces leechers ask for. (With --super-seed, libtorrent 2.0 leechers idle about 10 s each: its first super-seed HAVE is dropped during the handshake and only its 10 s retry offers a piece.)',
  )
  return notes
}

/** The report's note on which scenarios repeated their runs (known once they ran). */
export function repeatsNote(results: ScenarioResult[], repeats: number): string {
  const repeatedIn = results.filter((r) => r.runs.some((x) => x.repeat > 1)).map((r) => r.name)
  return repeatedIn.length
    ? `Repeats: each run of ${repeatedIn.join(', ')} ran ${repeats} times; tables show the median (min–max) over them, and a quality bar is PASS only when every run is within it, MISS only when every run is outside it, else INCONCLUSIVE. Progress curves show the median run (by completion time). Other scenarios ran once.`
    : 'Repeats: each run ran once: no spread is known, so a verdict rests on a single run.'
}

/** The report's note on how hosts were emulated. */
export function modeNote(mode: NetworkMode): string {
  return mode === 'netns'
    ? 'each peer in its own network namespace on a bridge (10.77.0.0/16), caps by tc tbf on both veth ends, NAT by an nftables masquerade router'
    : 'no network namespaces (not root, or --no-netns): all peers on 127.0.0.1 with their own rate limits; NAT/firewalled peers emulated by not listening'
}
