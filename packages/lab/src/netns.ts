import { spawnSync } from 'node:child_process'
import { exec, execQuiet } from './exec.js'
import { LINK_PREFIX, linkName, NETNS_PREFIX, netnsName, ownerOf, pidAlive } from './names.js'
import { firewallRuleset, loadRuleset, natRuleset } from './nat.js'
import { tbfArgs } from './traffic-control.js'
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
/** Namespaces configured at once (each costs an `ip` and a `tc` process). */
const PARALLEL_SETUP = 8

/** The MAC of public host number `n` (locally administered, 02:77:...). */
function hostMac(n: number): string {
  return `02:77:00:00:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`
}

/**
 * A permanent neighbour entry for another host on the bridge. Linux keeps one ARP table for all
 * namespaces, bounded by the root namespace's gc_thresh3 (1024 by default); 50 hosts talking to each
 * other need 2,550 entries, so dynamic ARP overflows ("neighbor table overflow", connect EHOSTUNREACH).
 * Permanent entries do not count against that bound.
 */
function permanent(n: { ip: string; mac: string }): string[] {
  return ['neigh', 'replace', n.ip, 'lladdr', n.mac, 'dev', 'eth0', 'nud', 'permanent']
}

/** Runs `tool` once over several commands (`ip|tc [-n netns] -batch -`); stops at the first failing one. */
async function batch(tool: 'ip' | 'tc', netns: string | undefined, commands: string[][]): Promise<void> {
  if (commands.length === 0) return
  const input = `${commands.map((c) => c.join(' ')).join('\n')}\n`
  await exec(tool, [...(netns ? ['-n', netns] : []), '-batch', '-'], input)
}

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
  /** Address and MAC of every public host so far: later hosts know them without ARP. */
  readonly #neighbours: { ip: string; mac: string }[] = []
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

  /**
   * Commands of a veth pair: `outer` stays in `outerNs` (or root) attached to `master`, the other end
   * becomes `inner` in `ns`. Returned as `ip` batches for the outer side and for `ns`, so a host costs a
   * few processes rather than one per command (50 hosts on a loaded machine).
   */
  #wire(
    ns: string,
    inner: string,
    master: string,
    role: string,
    mac?: string,
  ): { outer: string; here: string[][]; there: string[][] } {
    const outer = linkName(`${role}`)
    const tmp = linkName(`${role}i`)
    this.#links.push(outer)
    return {
      outer,
      here: [
        [
          'link',
          'add',
          outer,
          'type',
          'veth',
          'peer',
          'name',
          tmp,
          ...(mac ? ['address', mac] : []),
          'netns',
          ns,
        ],
        ['link', 'set', outer, 'master', master],
        ['link', 'set', outer, 'up'],
      ],
      there: [
        ['link', 'set', 'lo', 'up'],
        ['link', 'set', tmp, 'name', inner],
        ['link', 'set', inner, 'up'],
      ],
    }
  }

  async #ensureRouter(kind: RouterKind, index: number): Promise<string> {
    const key = `${kind}/${index}`
    const existing = this.#routers.get(key)
    if (existing) return existing
    const r = ROUTERS[kind]
    const lan = r.lan[index]!
    const ns = netnsName(`${kind}${index}`)
    this.#namespaces.push(ns)
    const w = this.#wire(ns, 'wan', this.#bridge!, `${kind === 'nat' ? 'r' : 'u'}${index}`)
    await batch('ip', undefined, [['netns', 'add', ns], ...w.here])
    await batch('ip', ns, [
      ...w.there,
      ['addr', 'add', `${r.wan[index]}/${PUBLIC_PREFIX}`, 'dev', 'wan'],
      ['link', 'add', 'lan', 'type', 'bridge'],
      ['addr', 'add', `${lan}.1/24`, 'dev', 'lan'],
      ['link', 'set', 'lan', 'up'],
    ])
    await exec('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'])
    await loadRuleset(ns, r.ruleset('wan', 'lan'))
    if (r.miniupnpd) await startMiniupnpd(ns, 'wan', 'lan', `${lan}.0/24`)
    this.#routers.set(key, ns)
    return ns
  }

  /** Adds a host of `kind` with upload/download caps (tbf on the inner and outer veth ends). */
  async addHost(name: string, kind: HostKind, caps: HostCaps): Promise<NetnsHost> {
    const [host] = await this.addHosts([{ name, kind, caps }])
    return host!
  }

  /**
   * Adds several hosts at once: public and firewalled ones share one `ip` and one `tc` process in the
   * root namespace, plus one of each inside every host's namespace; hosts behind a router come next,
   * one at a time. Addresses are handed out in the order given.
   */
  async addHosts(specs: { name: string; kind: HostKind; caps: HostCaps }[]): Promise<NetnsHost[]> {
    const hosts: NetnsHost[] = new Array(specs.length)
    const rootIp: string[][] = []
    const rootTc: string[][] = []
    const inside: { ns: string; ip: string[][]; tc: string[][]; firewall: boolean; self: string }[] = []
    for (const [i, { name, kind, caps }] of specs.entries()) {
      if (kind === 'nat' || kind === 'upnp') continue
      const role = `h${this.#count++}`
      const ns = netnsName(role)
      this.#namespaces.push(ns)
      const n = FIRST_HOST + this.#public++
      const ip = `10.77.${n >> 8}.${n & 255}`
      const mac = hostMac(n)
      const w = this.#wire(ns, 'eth0', this.#bridge!, role, mac)
      this.#neighbours.push({ ip, mac })
      rootIp.push(['netns', 'add', ns], ...w.here)
      rootTc.push(tbfArgs(w.outer, caps.down))
      inside.push({
        ns,
        ip: [...w.there, ['addr', 'add', `${ip}/${PUBLIC_PREFIX}`, 'dev', 'eth0']],
        tc: [tbfArgs('eth0', caps.up)],
        firewall: kind === 'firewalled',
        self: ip,
      })
      hosts[i] = { name, netns: ns, ip, kind }
    }
    await batch('ip', undefined, rootIp)
    await batch('tc', undefined, rootTc)
    const neighbours = [...this.#neighbours]
    for (let i = 0; i < inside.length; i += PARALLEL_SETUP) {
      await Promise.all(
        inside.slice(i, i + PARALLEL_SETUP).map(async (h) => {
          await batch('ip', h.ns, [...h.ip, ...neighbours.filter((e) => e.ip !== h.self).map(permanent)])
          await batch('tc', h.ns, h.tc)
          if (h.firewall) await loadRuleset(h.ns, firewallRuleset('eth0'))
        }),
      )
    }
    for (const [i, { name, kind, caps }] of specs.entries()) {
      if (kind === 'nat' || kind === 'upnp') hosts[i] = await this.#addPrivateHost(name, kind, caps)
    }
    return hosts
  }

  /**
   * A host behind a router of `kind` (the two routers take turns): its veth's outer end sits on the
   * router's `lan` bridge.
   */
  async #addPrivateHost(name: string, kind: RouterKind, caps: HostCaps): Promise<NetnsHost> {
    const n = this.#private.get(kind) ?? 0
    this.#private.set(kind, n + 1)
    const index = n % 2
    const router = await this.#ensureRouter(kind, index)
    const role = `h${this.#count++}`
    const ns = netnsName(role)
    this.#namespaces.push(ns)
    const w = this.#wire(ns, 'eth0', 'lan', role)
    const [create, ...attach] = w.here
    const lan = ROUTERS[kind].lan[index]!
    const ip = `${lan}.${FIRST_HOST + (n >> 1)}`
    await batch('ip', undefined, [['netns', 'add', ns], create!, ['link', 'set', w.outer, 'netns', router]])
    await batch('ip', router, attach)
    await batch('ip', ns, [
      ...w.there,
      ['addr', 'add', `${ip}/24`, 'dev', 'eth0'],
      ['route', 'add', 'default', 'via', `${lan}.1`],
    ])
    await batch('tc', router, [tbfArgs(w.outer, caps.down)])
    await batch('tc', ns, [tbfArgs('eth0', caps.up)])
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
