import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Two hosts on one bridge, each in its own namespace, with no link to the root namespace. */
export interface BridgeLab {
  /** Host namespaces and their addresses. */
  hosts: { netns: string; ip: string }[]
  /** The namespace holding the bridge; host `i` hangs on its port `p<i>` (shape a link there). */
  bridge: string
  /** Deletes the namespaces (and so the bridge and veths). */
  close(): Promise<void>
}

/**
 * Creates namespaces `<prefix><pid>s` (holding the bridge) and one per host, `10.99.0.10`, `.11`, ...
 * on 10.99.0.0/24 with a multicast route, as in the verified LSD recipe.
 */
export async function startBridgeLab(prefix: string, count: number): Promise<BridgeLab> {
  const tag = `${prefix}${process.pid % 100000}`
  const sw = `${tag}s`
  const namespaces: string[] = []
  const ip = (...args: string[]) => run('ip', args)
  const close = async () => {
    for (const ns of namespaces) await ip('netns', 'del', ns).catch(() => {})
  }
  const hosts: BridgeLab['hosts'] = []
  try {
    for (const ns of [sw, ...Array.from({ length: count }, (_, i) => `${tag}${i}`)]) {
      await ip('netns', 'add', ns)
      namespaces.push(ns)
      await ip('-n', ns, 'link', 'set', 'lo', 'up')
    }
    await ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge')
    await ip('-n', sw, 'link', 'set', 'br0', 'up')
    for (let i = 0; i < count; i++) {
      const netns = `${tag}${i}`
      const addr = `10.99.0.${10 + i}`
      // Both ends are created inside lab namespaces: nothing appears in the root namespace.
      await ip('-n', sw, 'link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns)
      await ip('-n', sw, 'link', 'set', `p${i}`, 'master', 'br0')
      await ip('-n', sw, 'link', 'set', `p${i}`, 'up')
      await ip('-n', netns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0')
      await ip('-n', netns, 'link', 'set', 'eth0', 'up')
      await ip('-n', netns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
      hosts.push({ netns, ip: addr })
    }
  } catch (err) {
    await close()
    throw err
  }
  return { hosts, bridge: sw, close }
}
