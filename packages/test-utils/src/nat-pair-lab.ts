import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The public segment (exists only between the lab's namespaces). */
const WAN_PREFIX = '198.18.0'

/** A host of the lab: its namespace, its own address, and the address others see it under. */
export interface NatPairHost {
  netns: string
  ip: string
  /** Its address as seen from the public segment (its NAT's for a NATed host). */
  publicIp: string
}

/**
 * Two NATed hosts and one public host: `a` behind NAT 1 and `b` behind NAT 2 (masquerade; a NAT
 * forwards only replies and connections opened from its LAN), and `pub` on the public segment with
 * both NATs. No namespace has a link to the root namespace.
 */
export interface NatPairLab {
  pub: NatPairHost
  a: NatPairHost
  b: NatPairHost
  /** Runs a command in a namespace; resolves with its stdout. */
  exec(netns: string, command: string, args: string[], timeoutMs?: number): Promise<string>
  /** Deletes the namespaces (and so the veths and the bridge). */
  close(): Promise<void>
}

/**
 * nftables of a NAT router: masquerade out of `wan`, forward replies and LAN-opened connections only,
 * and drop what comes in on `wan` unasked, as a home router's firewall does. Without that drop, a
 * packet that arrived before the NAT mapping existed would leave a conntrack entry for the same ports,
 * and the LAN host's own packets would then be mapped to another port (no holepunch could work).
 */
const NAT_RULESET = `table ip natpair {
  chain postrouting { type nat hook postrouting priority srcnat; policy accept; oifname "wan" masquerade; }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state != { established, related } drop
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" accept
  }
}
`

/**
 * Creates the lab with names unique to this process (`prefix` + pid + a role letter): namespace
 * `<tag>p` holds the public bridge (and the public host, 198.18.0.1), `<tag>n1`/`<tag>n2` the NATs
 * (198.18.0.2/.3 outside, 192.168.1.1/192.168.2.1 inside), `<tag>a`/`<tag>b` the NATed hosts
 * (192.168.1.10, 192.168.2.10). Needs root, `ip` and `nft`.
 */
export async function startNatPairLab(prefix: string): Promise<NatPairLab> {
  const tag = `${prefix}${process.pid % 100000}`
  const ns = { pub: `${tag}p`, n1: `${tag}n1`, n2: `${tag}n2`, a: `${tag}a`, b: `${tag}b` }
  const created: string[] = []
  const ip = (...args: string[]) => run('ip', args)
  const inNs = (netns: string, command: string, args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile('ip', ['netns', 'exec', netns, command, ...args], (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      )
      child.stdin?.end(input ?? '')
    })
  const close = async () => {
    for (const n of created.splice(0).reverse()) await ip('netns', 'del', n).catch(() => {})
  }
  try {
    for (const n of Object.values(ns)) {
      // Recorded first: a failure half-way still deletes it.
      created.push(n)
      await ip('netns', 'add', n)
      await ip('-n', n, 'link', 'set', 'lo', 'up')
    }
    await ip('-n', ns.pub, 'link', 'add', 'br0', 'type', 'bridge')
    await ip('-n', ns.pub, 'addr', 'add', `${WAN_PREFIX}.1/24`, 'dev', 'br0')
    await ip('-n', ns.pub, 'link', 'set', 'br0', 'up')
    for (const [i, nat, host] of [
      [1, ns.n1, ns.a],
      [2, ns.n2, ns.b],
    ] as const) {
      // Both ends of each veth are created inside lab namespaces: nothing appears in the root namespace.
      await ip('-n', ns.pub, 'link', 'add', `w${i}`, 'type', 'veth', 'peer', 'name', 'wan', 'netns', nat)
      await ip('-n', ns.pub, 'link', 'set', `w${i}`, 'master', 'br0')
      await ip('-n', ns.pub, 'link', 'set', `w${i}`, 'up')
      await ip('-n', nat, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host)
      await ip('-n', nat, 'addr', 'add', `${WAN_PREFIX}.${1 + i}/24`, 'dev', 'wan')
      await ip('-n', nat, 'addr', 'add', `192.168.${i}.1/24`, 'dev', 'lan')
      await ip('-n', host, 'addr', 'add', `192.168.${i}.10/24`, 'dev', 'eth0')
      for (const [n, dev] of [
        [nat, 'wan'],
        [nat, 'lan'],
        [host, 'eth0'],
      ] as const)
        await ip('-n', n, 'link', 'set', dev, 'up')
      await ip('-n', host, 'route', 'add', 'default', 'via', `192.168.${i}.1`)
      await inNs(nat, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1'])
      await inNs(nat, 'nft', ['-f', '-'], NAT_RULESET)
    }
  } catch (err) {
    await close()
    throw err
  }
  return {
    pub: { netns: ns.pub, ip: `${WAN_PREFIX}.1`, publicIp: `${WAN_PREFIX}.1` },
    a: { netns: ns.a, ip: '192.168.1.10', publicIp: `${WAN_PREFIX}.2` },
    b: { netns: ns.b, ip: '192.168.2.10', publicIp: `${WAN_PREFIX}.3` },
    exec: async (netns, command, args, timeoutMs = 10_000) =>
      (await run('ip', ['netns', 'exec', netns, command, ...args], { timeout: timeoutMs })).stdout,
    close,
  }
}
