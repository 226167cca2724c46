import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type Child, spawnChild } from './process.js'

const run = promisify(execFile)

/** The router's LAN and WAN sides. The WAN prefix must look public to miniupnpd, and exists only here. */
export const LAN_ROUTER = '192.168.77.1'
/** Our host in the LAN. */
export const LAN_HOST = '192.168.77.10'
/** The router's external address. */
export const WAN_ROUTER = '5.5.5.1'
/** The outside host. */
export const WAN_OUTSIDE = '5.5.5.2'

/**
 * nftables of the router (from the verified recipe): masquerade, a stateful forward chain, and the empty
 * chains miniupnpd fills (inet family, table "filter").
 */
const RULESET = `table inet filter {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" accept
    jump miniupnpd
  }
  chain miniupnpd { }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    jump prerouting_miniupnpd
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump postrouting_miniupnpd
    oifname "wan" masquerade
  }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
`

/** miniupnpd.conf (verified with Debian's miniupnpd 2.3.1, nftables backend). */
function miniupnpdConf(dir: string): string {
  return `ext_ifname=wan
listening_ip=lan
http_port=5000
enable_natpmp=yes
enable_upnp=yes
secure_mode=yes
system_uptime=yes
uuid=3e7a0a5e-2b7d-4c4f-9d55-000000000077
min_lifetime=120
max_lifetime=86400
lease_file=${join(dir, 'leases')}
upnp_table_name=filter
upnp_nat_table_name=filter
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
allow 1024-65535 192.168.77.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
`
}

/** Three namespaces (`lan` -- `router` -- `outside`) with no link to the root namespace. */
export interface RouterLab {
  lan: string
  router: string
  outside: string
  miniupnpd: Child
  /** Runs a command in a namespace; resolves with its stdout. */
  exec(ns: string, command: string, args: string[], timeoutMs?: number): Promise<string>
  /** Stops miniupnpd and deletes the namespaces (and so the veths). */
  close(): Promise<void>
}

/** Creates the lab with names unique to this process (`prefix` + pid) and starts miniupnpd in the router. */
export async function startRouterLab(prefix: string, dir: string): Promise<RouterLab> {
  const tag = `${prefix}${process.pid % 100000}`
  const [lan, router, outside] = ['l', 'r', 'o'].map((r) => `${tag}${r}`) as [string, string, string]
  const namespaces: string[] = []
  const ip = (...args: string[]) => run('ip', args)
  let miniupnpd: Child | undefined
  const close = async () => {
    await miniupnpd?.stop(2000)
    for (const ns of namespaces) await ip('netns', 'del', ns).catch(() => {})
  }
  try {
    for (const ns of [lan, router, outside]) {
      await ip('netns', 'add', ns)
      namespaces.push(ns)
      await ip('-n', ns, 'link', 'set', 'lo', 'up')
    }
    // veths are created in the router namespace directly, so they never exist in the root namespace.
    await ip('-n', router, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lan)
    await ip('-n', router, 'link', 'add', 'wan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside)
    await ip('-n', router, 'addr', 'add', `${LAN_ROUTER}/24`, 'dev', 'lan')
    await ip('-n', router, 'addr', 'add', `${WAN_ROUTER}/24`, 'dev', 'wan')
    await ip('-n', lan, 'addr', 'add', `${LAN_HOST}/24`, 'dev', 'eth0')
    await ip('-n', outside, 'addr', 'add', `${WAN_OUTSIDE}/24`, 'dev', 'eth0')
    for (const [ns, dev] of [
      [router, 'lan'],
      [router, 'wan'],
      [lan, 'eth0'],
      [outside, 'eth0'],
    ] as const) {
      await ip('-n', ns, 'link', 'set', dev, 'up')
    }
    await ip('-n', lan, 'route', 'add', 'default', 'via', LAN_ROUTER)
    await run('ip', ['netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'])
    await writeFile(join(dir, 'ruleset.nft'), RULESET)
    await run('ip', ['netns', 'exec', router, 'nft', '-f', join(dir, 'ruleset.nft')])
    await writeFile(join(dir, 'miniupnpd.conf'), miniupnpdConf(dir))
    // Its own pid file: a miniupnpd left from another run would otherwise make this one exit.
    miniupnpd = spawnChild('ip', [
      'netns',
      'exec',
      router,
      'miniupnpd',
      '-f',
      join(dir, 'miniupnpd.conf'),
      '-P',
      join(dir, 'miniupnpd.pid'),
      '-d',
    ])
  } catch (err) {
    await close()
    throw err
  }
  return {
    lan,
    router,
    outside,
    miniupnpd,
    exec: async (ns, command, args, timeoutMs = 10_000) =>
      (await run('ip', ['netns', 'exec', ns, command, ...args], { timeout: timeoutMs })).stdout,
    close,
  }
}
