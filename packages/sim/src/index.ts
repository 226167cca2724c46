/**
 * A deterministic swarm simulator: the real `@p2p/swarm` clients and `@p2p/peer-wire` wires on
 * in-memory links with latency and bandwidth, on a virtual clock, with faults drawn from a seed, and
 * invariants checked after every event. The same seed always gives the same run.
 * @packageDocumentation
 */
export { availabilityOf } from './availability.js'
export { FairUplink } from './fair-uplink.js'
export { FAULT_KINDS, type FaultCount, type FaultKind, FaultPeer, type SimTorrent } from './fault-peer.js'
export { MemoryStorage } from './memory-storage.js'
export { DEFAULT_LINK, type LinkOptions, SEND_BUFFER_BYTES, SimNetwork } from './network.js'
export { PieceSwarm } from './piece-swarm.js'
export type {
  PieceArrivals,
  PieceAvailability,
  PieceHost,
  PieceSwarmOptions,
  PieceSwarmProgress,
  PieceSwarmResult,
} from './piece-swarm-types.js'
export { Prng } from './prng.js'
export { type RunCost, RunMeter, type RunSample } from './run-meter.js'
export { type SimOptions, type SimResult, simulate } from './simulate.js'
export { type SimTorrentFile, simTorrent } from './torrent.js'
export { VirtualClock } from './virtual-clock.js'
export {
  BUSY_ANSWERS,
  drawWebSeeds,
  SimWebSeed,
  simFetch,
  WEB_SEED_KINDS,
  type WebSeedKind,
  type WebSeedLink,
  webSeedFailures,
} from './web-seed.js'
