import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LabError } from './errors.js'

/**
 * External address miniupnpd reports: it refuses to map behind a private WAN address, so it is told a
 * public-looking one. Peers never see it: the tracker sees the router's real WAN address, and our client
 * announces only the mapped port.
 */
const REPORTED_EXTERNAL_IP = '5.5.5.1'
/** How long miniupnpd may take to listen. */
const START_MS = 10_000

/**
 * nftables of a router running miniupnpd (from the verified recipe): masquerade what leaves by `wan`, forward
 * replies and what `lan` opens, plus the chains miniupnpd fills with a DNAT and a forward rule per mapping.
 */
export function upnpRuleset(wan: string, lan: string): string {
  return `table inet filter {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "${lan}" oifname "${wan}" accept
    jump miniupnpd
  }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump postrouting_miniupnpd
    oifname "${wan}" masquerade
  }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
`
}

/** miniupnpd.conf (Debian's miniupnpd 2.3, nftables backend): UPnP IGD, NAT-PMP and PCP for `lanPrefix`. */
export function miniupnpdConf(wan: string, lan: string, lanPrefix: string): string {
  return `ext_ifname=${wan}
ext_ip=${REPORTED_EXTERNAL_IP}
listening_ip=${lan}
http_port=5000
enable_natpmp=yes
enable_upnp=yes
secure_mode=yes
system_uptime=yes
uuid=3e7a0a5e-2b7d-4c4f-9d55-00000000a77b
min_lifetime=120
max_lifetime=86400
upnp_table_name=filter
upnp_nat_table_name=filter
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
allow 1024-65535 ${lanPrefix} 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
`
}

/**
 * Starts miniupnpd in `netns` and resolves once it listens. It runs until the namespace is removed (the
 * lab kills every process of a namespace before deleting it); its config file is gone by then.
 *
 * @throws {LabError} `LAB_COMMAND_FAILED` when it exits or does not listen in time.
 */
export async function startMiniupnpd(
  netns: string,
  wan: string,
  lan: string,
  lanPrefix: string,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'p2plab-upnp-'))
  try {
    await writeFile(join(dir, 'miniupnpd.conf'), miniupnpdConf(wan, lan, lanPrefix))
    // Its own pid file: one left by another miniupnpd would make it exit.
    const conf = ['-f', join(dir, 'miniupnpd.conf'), '-P', join(dir, 'miniupnpd.pid'), '-d']
    const proc = spawn('ip', ['netns', 'exec', netns, 'miniupnpd', ...conf], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) =>
        reject(new LabError('LAB_COMMAND_FAILED', `miniupnpd ${why}: ${output.slice(-500)}`))
      const timer = setTimeout(() => fail('did not listen'), START_MS)
      const onData = (b: Buffer) => {
        output += b.toString()
        if (!output.includes('Listening for NAT-PMP/PCP')) return
        clearTimeout(timer)
        resolve()
      }
      proc.stdout.on('data', onData)
      proc.stderr.on('data', onData)
      proc.once('error', (err) => fail(err.message))
      proc.once('exit', () => fail('exited'))
    })
    proc.stdout.destroy()
    proc.stderr.destroy()
    proc.removeAllListeners('exit')
    proc.unref()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
