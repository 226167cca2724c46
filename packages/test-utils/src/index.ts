/**
 * Test helpers shared by the toolkit's packages (private, not published).
 * @packageDocumentation
 */

export { type BridgeLab, startBridgeLab } from './bridge-lab.js'
export { requireBuilt } from './built.js'
export { type Nginx, startNginx } from './clients/nginx.js'
export { type Opentracker, startOpentracker } from './clients/opentracker.js'
export { type Qbittorrent, startQbittorrent } from './clients/qbittorrent.js'
export {
  COMPONENTS,
  type Component,
  DEBIAN_PYTHON,
  findCommand,
  missingComponents,
  requireComponents,
} from './components.js'
export { FIXTURES_DIR } from './fixtures.js'
export { type NatPairHost, type NatPairLab, startNatPairLab } from './nat-pair-lab.js'
export {
  type Child,
  freePort,
  freeTcpUdpPort,
  spawnChild,
  startOnFreePort,
  stopAll,
  tcpOpen,
  tempDir,
  waitFor,
} from './process.js'
export {
  LAN_HOST,
  LAN_ROUTER,
  type RouterLab,
  startRouterLab,
  WAN_OUTSIDE,
  WAN_ROUTER,
} from './router-lab.js'
