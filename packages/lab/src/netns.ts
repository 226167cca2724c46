import { spawnSync } from 'node:child_process'
import { exec, execQuiet } from './exec.js'
import { LINK_PREFIX, linkName, NETNS_PREFIX, netnsName, ownerOf, pidAlive } from './names.js'
import { firewallRuleset, loadRuleset, natRuleset } from './nat.js'
import { capEgress } from './traffic-control.js'
import { startMiniupnpd, upnpRuleset } from './upnp-router.js'

/**
 * Where a host sits in the emulated network: `upnp` is behind a NAT router running miniupnpd, and its peer
 * maps its port there (UPnP IGD, NAT-PMP, PCP).
 */
export type HostKind = 'public' | 'nat' | 'firewalled' | 'upnp'

/** Bandwidth caps of one emulated host, bytes per second. */
export interface HostCaps {
  up: number
  down: number
}

/** One emulated host: its own network namespace with one interface `eth0`. */
export interface NetnsHost {
  name: string
  netns: string
  ip: string
  kind: HostKind
}

/** Public side of the test-only range: 10.77.0.0/17 (bridge 10.77.0.1, NAT routers 10.77.0.251-254). */
const PUBLIC_PREFIX = 17
const BRIDGE_IP = '10.77.0.1'
/**
 * The NAT routers, two of each kind (NATed hosts alternate between them, so two NATed peers may sit
 * behind different NATs, as on the Internet): WAN addresses, the private /24 behind each (router at .1),
 * ruleset, and miniupnpd or not.
 */
const ROUTERS = {
  nat: {
    wan: ['10.77.0.254', '10.77.0.252'],
    lan: ['10.77.128', '10.77.130'],
    ruleset: natRuleset,
    miniupnpd: false,
  },
  upnp: {
    wan: ['10.77.0.253', '10.77.0.251'],
    lan: ['10.77.129', '10.77.131'],
    ruleset: upnpRuleset,
    miniupnpd: true,
  },
} as const
type RouterKind = keyof typeof ROUTERS

/** WAN addresses of every NAT router: a peer seen from one of these is behind a NAT. */
export const ROUTER_WAN_IPS: readonly string[] = Object.values(ROUTERS).flatMap((r) => r.wan)
/** Host addresses start here, leaving .1-.9 for infrastructure. */
const FIRST_HOST = 10

/**
 * A bridge in the root namespace with one namespace per host (veth pair, tbf caps on both ends) and,
 * when asked for, a NAT router namespace. Everything created is recorded and removed by
 * {@link Topology.close}, which also runs from process exit and SIGINT/SIGTERM via {@link cleanupSync}.
 */
export class Topology {
  readonly #namespaces: string[] = []
  readonly #links: string[] = []
  #bridge: string | undefined
  /** Router namespaces by `kind/index`. */
  readonly #routers = new Map<string, string>()
  /** NATed hosts added per kind (host n sits behind router n % 2, as the (n >> 1)-th host there). */
  readonly #private = new Map<RouterKind, number>()
  #public = 0
  #count = 0

  /** Creates the bridge. Call {@link addHost} next. */
  async open(): Promise<void> {
    const br = linkName('br')
    // Recorded before it exists: a Ctrl-C while `ip` runs must still remove it (deleting a missing one is a no-op).
    this.#links.push(br)
    await exec('ip', ['link', 'add', br, 'type', 'bridge'])
    live.add(this)
    this.#bridge = br
    await exec('ip', ['addr', 'add', `${BRIDGE_IP}/${PUBLIC_PREFIX}`, 'dev', br])
    await exec('ip', ['link', 'set', br, 'up'])
  }

  async #newNetns(role: string): Promise<string> {
    const ns = netnsName(role)
    this.#namespaces.push(ns)
    await exec('ip', ['netns', 'add', ns])
    await exec('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    return ns
  }

  /** veth pair: `outer` stays in `outerNs` (or root) attached to `master`, the other end becomes `inner` in `ns`. */
  async #wire(ns: string, inner: string, outerNs: string | undefined, master: string, role: string) {
    const outer = linkName(`${role}`)
    const tmp = linkName(`${role}i`)
    this.#links.push(outer)
    await exec('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', tmp])
    await exec('ip', ['link', 'set', tmp, 'netns', ns])
    await exec('ip', ['-n', ns, 'link', 'set', tmp, 'name', inner])
    if (outerNs) await exec('ip', ['link', 'set', outer, 'netns', outerNs])
    const o = outerNs ? ['-n', outerNs] : []
    await exec('ip', [...o, 'link', 'set', outer, 'master', master])
    await exec('ip', [...o, 'link', 'set', outer, 'up'])
    await exec('ip', ['-n', ns, 'link', 'set', inner, 'up'])
    return outer
  }

  async #ensureRouter(kind: RouterKind, index: number): Promise<string> {
    const key = `${kind}/${index}`
    const existing = this.#routers.get(key)
    if (existing) return existing
    const r = ROUTERS[kind]
    const lan = r.lan[index]!
    const ns = await this.#newNetns(`${kind}${index}`)
    await this.#wire(ns, 'wan', undefined, this.#bridge!, `${kind === 'nat' ? 'r' : 'u'}${index}`)
    await exec('ip', ['-n', ns, 'addr', 'add', `${r.wan[index]}/${PUBLIC_PREFIX}`, 'dev', 'wan'])
    await exec('ip', ['-n', ns, 'link', 'add', 'lan', 'type', 'bridge'])
    await exec('ip', ['-n', ns, 'addr', 'add', `${lan}.1/24`, 'dev', 'lan'])
    await exec('ip', ['-n', ns, 'link', 'set', 'lan', 'up'])
    await exec('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'])
    await loadRuleset(ns, r.ruleset('wan', 'lan'))
    if (r.miniupnpd) await startMiniupnpd(ns, 'wan', 'lan', `${lan}.0/24`)
    this.#routers.set(key, ns)
    return ns
  }

  /** Adds a host of `kind` with upload/download caps (tbf on the inner and outer veth ends). */
  async addHost(name: string, kind: HostKind, caps: HostCaps): Promise<NetnsHost> {
    const role = `h${this.#count++}`
    const ns = await this.#newNetns(role)
    let ip: string
    if (kind === 'nat' || kind === 'upnp') {
      const n = this.#private.get(kind) ?? 0
      this.#private.set(kind, n + 1)
      const index = n % 2
      const router = await this.#ensureRouter(kind, index)
      const outer = await this.#wire(ns, 'eth0', router, 'lan', role)
      const lan = ROUTERS[kind].lan[index]!
      ip = `${lan}.${FIRST_HOST + (n >> 1)}`
      await exec('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0'])
      await exec('ip', ['-n', ns, 'route', 'add', 'default', 'via', `${lan}.1`])
      await capEgress(router, outer, caps.down)
    } else {
      const outer = await this.#wire(ns, 'eth0', undefined, this.#bridge!, role)
      const n = FIRST_HOST + this.#public++
      ip = `10.77.${n >> 8}.${n & 255}`
      await exec('ip', ['-n', ns, 'addr', 'add', `${ip}/${PUBLIC_PREFIX}`, 'dev', 'eth0'])
      await capEgress(undefined, outer, caps.down)
      if (kind === 'firewalled') await loadRuleset(ns, firewallRuleset('eth0'))
    }
    await capEgress(ns, 'eth0', caps.up)
    return { name, netns: ns, ip, kind }
  }

  /** Names of the namespaces and root-namespace links this topology created. */
  resources(): { namespaces: string[]; links: string[] } {
    return { namespaces: [...this.#namespaces], links: [...this.#links] }
  }

  /** Removes every namespace (killing what still runs in it) and link this topology created. */
  async close(): Promise<void> {
    live.delete(this)
    for (const ns of this.#namespaces.splice(0).reverse()) await removeNetns(ns)
    for (const link of this.#links.splice(0).reverse()) await execQuiet('ip', ['link', 'del', link])
  }

  /** Synchronous {@link close} for exit and signal handlers. */
  closeSync(): void {
    live.delete(this)
    for (const ns of this.#namespaces.splice(0).reverse()) removeNetnsSync(ns)
    for (const link of this.#links.splice(0).reverse()) spawnSync('ip', ['link', 'del', link])
  }
}

const live = new Set<Topology>()

async function removeNetns(ns: string): Promise<void> {
  const pids = await execQuiet('ip', ['netns', 'pids', ns])
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) killQuiet(Number(pid))
  await execQuiet('ip', ['netns', 'del', ns])
}

function removeNetnsSync(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? ''
  for (const pid of pids.split(/\s+/).filter(Boolean)) killQuiet(Number(pid))
  spawnSync('ip', ['netns', 'del', ns])
}

function killQuiet(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {}
}

/** Removes every live topology of this process synchronously (exit/signal path). */
export function cleanupSync(): void {
  for (const t of [...live]) t.closeSync()
}

/**
 * Lists the lab's namespaces and root links, optionally only those whose owner process is gone.
 * Used to clean up after a crashed run and by the cleanup test.
 */
export async function listLabResources(
  onlyStale = false,
): Promise<{ namespaces: string[]; links: string[] }> {
  const keep = (name: string) => {
    if (!onlyStale) return true
    const owner = ownerOf(name)
    return owner !== undefined && !pidAlive(owner)
  }
  const ns = (await execQuiet('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(NETNS_PREFIX) && keep(n))
  const links = (await execQuiet('ip', ['-o', 'link', 'show'])).stdout
    .split('\n')
    .map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '')
    .filter((n) => n.startsWith(LINK_PREFIX) && keep(n))
  return { namespaces: ns, links }
}

/** Removes what crashed earlier runs left behind (namespaces and links of dead owner pids). */
export async function cleanupStale(): Promise<{ namespaces: string[]; links: string[] }> {
  const stale = await listLabResources(true)
  for (const ns of stale.namespaces) await removeNetns(ns)
  for (const link of stale.links) await execQuiet('ip', ['link', 'del', link])
  return stale
}
