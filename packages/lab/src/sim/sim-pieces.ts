import { type PieceHost, PieceSwarm } from '@p2p/sim'
import { type DrawnLink, drawLink } from './capacities.js'
import { DEFAULT_SEEDER_LINK, type SimSwarmResult, type SimSwarmSpec } from './sim-swarm-types.js'

function host(link: DrawnLink): PieceHost {
  return { up: link.bytesPerSecond, down: link.downBytesPerSecond, latencyMs: link.latencyMs }
}

/**
 * Runs one swarm of the spec on `@p2p/sim`'s piece-level model (`PieceSwarm`: the real
 * `PiecePicker` and `Choker` per peer, transfers as flows sharing the links, no wire and no bytes)
 * instead of a full client per peer: what makes 10,000 peers fit in minutes. Links, arrivals, churn
 * and the tracker model are those of {@link simulateSwarm}; the file is not scaled (every piece has
 * its real size). Pieces are not hashed (there are no bytes): `verifiedPieces` counts completed ones.
 */
export function simulatePieceSwarm(spec: SimSwarmSpec): SimSwarmResult {
  const links = spec.links
  const seederLink = spec.seederLink ?? DEFAULT_SEEDER_LINK
  const r = new PieceSwarm({
    seed: spec.seed,
    size: spec.size,
    pieces: spec.pieces,
    seeders: new Array(spec.seeders).fill(host(seederLink)),
    leechers: spec.leechers,
    leecherLink: (_i, random) =>
      'caps' in links
        ? { up: links.caps.up, down: links.caps.down, latencyMs: links.latencyMs }
        : host(drawLink(links, random)),
    arrivals:
      spec.arrivals === 'poisson'
        ? { kind: 'poisson', windowMs: spec.arrivalWindowMs ?? 0 }
        : { kind: 'flash' },
    churn: spec.churn,
    numwant: spec.numwant,
    maxConnections: spec.maxConnections,
    announceMs: spec.announceMs,
    limitMs: spec.limitMs,
    sampleMs: spec.sampleMs,
    tracedPeers: spec.tracedPeers,
    onProgress: (p) =>
      spec.onProgress?.({
        run: spec.run,
        virtualMs: p.virtualMs,
        events: p.events,
        arrived: p.arrived,
        done: p.done,
        left: p.left,
        wallMs: p.wallMs,
        heapMB: p.heapMB,
        rssMB: p.rssMB,
        inFlightMB: 0,
        flows: p.flows,
      }),
  }).run()
  const { onProgress: _onProgress, ...kept } = spec
  return {
    run: spec.run,
    model: 'piece',
    spec: kept,
    scale: 1,
    arriveAt: r.arriveAt,
    firstPieceAt: r.firstPieceAt,
    doneAt: r.doneAt,
    leftAt: r.leftAt,
    uploaded: r.uploaded,
    seederUploaded: r.seederUploaded,
    up: r.up,
    down: r.down,
    seederUp: seederLink.bytesPerSecond,
    availability: r.availability,
    traces: r.traces,
    verifiedPieces: r.pieces,
    failedPieces: 0,
    wasted: r.wasted,
    completion: r.completion,
    events: r.events,
    virtualMs: r.virtualMs,
    wallMs: r.wallMs,
    peakHeapMB: r.peakHeapMB,
    peakRssMB: r.peakRssMB,
    stopped: r.stopped,
  }
}
