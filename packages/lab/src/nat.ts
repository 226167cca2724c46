import { exec } from './exec.js'

/**
 * nftables ruleset of the NAT router: masquerade what leaves by `wan`, forward only replies and
 * connections opened from `lan`, so nothing outside can open a connection to a NATed peer, and drop
 * what reaches the router itself on `wan` unasked, as a home router does. Without that drop, a uTP
 * packet arriving before the LAN host's own mapping existed would leave a conntrack entry for the same
 * ports, and the host's packets would be mapped to another port (a BEP 55 holepunch could never work).
 */
export function natRuleset(wan: string, lan: string): string {
  return `table ip p2plab_nat {
  chain postrouting { type nat hook postrouting priority srcnat; policy accept; oifname "${wan}" masquerade; }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "${wan}" ct state != { established, related } drop
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "${lan}" oifname "${wan}" accept
  }
}
`
}

/** nftables ruleset of a firewalled peer: drop every inbound TCP SYN (connection attempt) on `dev`. */
export function firewallRuleset(dev: string): string {
  return `table inet p2plab_fw {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "${dev}" tcp flags & (syn | ack) == syn drop
  }
}
`
}

/** Loads an nftables ruleset inside network namespace `netns`. */
export async function loadRuleset(netns: string, ruleset: string): Promise<void> {
  await exec('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], ruleset)
}
