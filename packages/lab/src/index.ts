/**
 * The swarm lab: emulated hosts (network namespaces, tc caps, NAT, firewalls), peer processes
 * (our swarm, libtorrent, a corrupt-serving peer), scenarios, an event log and an HTML report.
 * @packageDocumentation
 */

export { exportPdf, labEnvironment } from './environment.js'
export { LabError, type LabErrorCode } from './errors.js'
export { EventLog, type LabEvent } from './event-log.js'
export type { Fixture } from './fixture.js'
export { type FluidSwarm, fluidBound } from './fluid-bound.js'
export { HostNetwork, type LabHost, type NetworkMode } from './hosts.js'
export { type LabResult, runLab } from './lab.js'
export { type LabOptions, netnsSupported, swarmAvailable } from './lab-options.js'
export { cleanupStale, type HostCaps, type HostKind, listLabResources, ROUTER_WAN_IPS } from './netns.js'
export type { FixtureVersion, PeerImpl, PeerTransport, Strategy } from './peer-process.js'
export {
  type Bar,
  barLine,
  formatSpread,
  type Repeated,
  type Spread,
  spread,
  type Verdict,
  verdict,
} from './repeats.js'
export { type ReportMeta, renderReport } from './report/html.js'
export type {
  ChartSpec,
  Scenario,
  ScenarioContext,
  ScenarioResult,
  SwarmImpl,
  TableSpec,
} from './scenario.js'
export { scenarios } from './scenarios/index.js'
export {
  type CapacityClass,
  DEFAULT_LINK_MODEL,
  type DrawnLink,
  drawLink,
  type LinkModel,
  MEASURED_CAPACITIES,
  mathisRate,
} from './sim/capacities.js'
export { downloadTimes, simBound, simulationResult } from './sim/sim-charts.js'
export {
  DEFAULT_SIM_PIECES,
  LARGE_SWARM,
  MAX_SIM_PEERS,
  PIECE_MODEL_ABOVE,
  runSimulation,
  type SimulationOptions,
  type SimulationResult,
} from './sim/sim-lab.js'
export { simulatePieceSwarm } from './sim/sim-pieces.js'
export { simulateSwarm } from './sim/sim-swarm.js'
export {
  type Arrivals,
  DEFAULT_SEEDER_LINK,
  SIM_BLOCK,
  type SimAvailability,
  type SimModel,
  type SimProgress,
  type SimSwarmResult,
  type SimSwarmSpec,
} from './sim/sim-swarm-types.js'
export type {
  AvailabilitySample,
  Discovery,
  LeecherSpec,
  PeerResult,
  RunResult,
  SwarmSpec,
} from './swarm-types.js'
