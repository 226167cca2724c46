import { createServer } from 'node:net'
import { type HostCaps, type HostKind, Topology } from './netns.js'

/** How hosts are emulated: network namespaces with tc caps (root on Linux), or 127.0.0.1 ports. */
export type NetworkMode = 'netns' | 'loopback'

/** Where a peer runs and what it may do. */
export interface LabHost {
  name: string
  kind: HostKind
  /** Address the peer listens on and others dial. */
  ip: string
  port: number
  /** Network namespace to run the peer in (netns mode). */
  netns?: string
  caps: HostCaps
  /**
   * Rate limits the peer must enforce itself (loopback mode); in netns mode tc does it and
   * these are undefined.
   */
  limits?: HostCaps
  /** Loopback emulation of NAT/firewall: the peer does not listen, it only dials out. */
  noIncoming: boolean
}

/** The port every peer listens on inside its own namespace. */
const NETNS_PEER_PORT = 6881

/** A set of emulated hosts; {@link HostNetwork.close} removes everything it created. */
export class HostNetwork {
  readonly mode: NetworkMode
  readonly #topology: Topology | undefined
  #natted = 0

  private constructor(mode: NetworkMode, topology?: Topology) {
    this.mode = mode
    this.#topology = topology
  }

  /** Opens a network in `mode` (netns creates the bridge now). */
  static async open(mode: NetworkMode): Promise<HostNetwork> {
    if (mode === 'loopback') return new HostNetwork(mode)
    const topology = new Topology()
    try {
      await topology.open()
    } catch (err) {
      await topology.close()
      throw err
    }
    return new HostNetwork(mode, topology)
  }

  /** Adds a host; in netns mode this creates its namespace, veth pair, caps and NAT/firewall rules. */
  async addHost(name: string, kind: HostKind, caps: HostCaps): Promise<LabHost> {
    const [host] = await this.addHosts([{ name, kind, caps }])
    return host!
  }

  /** Adds several hosts at once (in netns mode a few `ip`/`tc` processes for all of them), in the order given. */
  async addHosts(specs: { name: string; kind: HostKind; caps: HostCaps }[]): Promise<LabHost[]> {
    if (!this.#topology) {
      const hosts: LabHost[] = []
      for (const { name, kind, caps } of specs)
        hosts.push({
          name,
          kind,
          ip: '127.0.0.1',
          port: await loopbackPort(),
          caps,
          limits: caps,
          noIncoming: kind !== 'public',
        })
      return hosts
    }
    const made = await this.#topology.addHosts(specs)
    // Peers behind one NAT listen on distinct ports, as real clients do: the router keeps the source port
    // where it can, so each is seen under its own external address (on one port they would be one peer).
    return made.map((h, i) => ({
      name: h.name,
      kind: h.kind,
      ip: h.ip,
      port: NETNS_PEER_PORT + (h.kind === 'nat' ? this.#natted++ : 0),
      netns: h.netns,
      caps: specs[i]!.caps,
      noIncoming: false,
    }))
  }

  /** Namespaces and links created so far (empty in loopback mode). */
  resources(): { namespaces: string[]; links: string[] } {
    return this.#topology?.resources() ?? { namespaces: [], links: [] }
  }

  /** Removes every namespace, link and qdisc this network created. */
  async close(): Promise<void> {
    await this.#topology?.close()
  }
}

async function loopbackPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** `ip:port` of a host as peers dial it. */
export function hostAddress(h: LabHost): string {
  return `${h.ip}:${h.port}`
}
