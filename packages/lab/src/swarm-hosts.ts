import type { HostNetwork, LabHost } from './hosts.js'
import type { HostCaps, HostKind } from './netns.js'
import type { Discovery, SwarmSpec } from './swarm-types.js'

interface HostSpec {
  name: string
  kind: HostKind
  caps: HostCaps
}

/**
 * The hosts of one run: the tracker T0 and DHT node D0 when used, seeders S*, hostile peers X*,
 * leechers L*. Every host is made at the first request (a few processes for all of them), so
 * leechers that arrive together start together even at N = 50.
 */
export class RunHosts {
  readonly #net: HostNetwork
  readonly #specs: HostSpec[]
  readonly #hosts = new Map<string, LabHost>()

  constructor(net: HostNetwork, spec: SwarmSpec, discovery: Discovery, withDht: boolean) {
    this.#net = net
    this.#specs = [
      ...(discovery === 'tracker' ? [{ name: 'T0', kind: 'public' as const, caps: spec.caps }] : []),
      ...(withDht ? [{ name: 'D0', kind: 'public' as const, caps: spec.caps }] : []),
      ...Array.from({ length: spec.seeders }, (_, i) => ({
        name: `S${i}`,
        kind: 'public' as const,
        caps: spec.seederCaps ?? spec.caps,
      })),
      ...Array.from({ length: spec.hostile ?? 0 }, (_, i) => ({
        name: `X${i}`,
        kind: 'public' as const,
        caps: spec.caps,
      })),
      ...spec.leechers.map((ls, i) => ({ name: `L${i}`, kind: ls.kind ?? 'public', caps: spec.caps })),
    ]
  }

  /** The host named `name` (making every host first when none exists yet). */
  async get(name: string): Promise<LabHost> {
    if (this.#hosts.size === 0)
      for (const h of await this.#net.addHosts(this.#specs)) this.#hosts.set(h.name, h)
    return this.#hosts.get(name)!
  }
}
