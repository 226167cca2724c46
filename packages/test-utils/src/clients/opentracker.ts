import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { COMPONENTS } from '../components.js'
import { type Child, freeTcpUdpPort, spawnChild, startOnFreePort, tempDir } from '../process.js'

/** A running opentracker (HTTP and UDP on one port) and how to stop it. */
export interface Opentracker {
  /** `http://127.0.0.1:<port>/announce` */
  httpUrl: string
  /** `udp://127.0.0.1:<port>/announce` */
  udpUrl: string
  /** The TCP and UDP port. */
  port: number
  child: Child
  /** Stops the tracker (bounded) and removes its directory. */
  stop(): Promise<void>
}

/**
 * Starts Debian's opentracker on 127.0.0.1, HTTP and UDP on one free port. Debian builds it
 * whitelist-only, so the torrents it may serve are given here (hex or 20-byte info hashes). As root it
 * drops to `_opentracker` and chroots into a world-readable temp dir that holds the whitelist.
 * Call `requireComponents(ctx, COMPONENTS.opentracker)` first.
 */
export async function startOpentracker(options: {
  infoHashes: readonly (string | Uint8Array)[]
  timeoutMs?: number
}): Promise<Opentracker> {
  const dir = await tempDir('p2p-opentracker-')
  try {
    await chmod(dir.path, 0o755)
    const hexes = options.infoHashes.map((h) => (typeof h === 'string' ? h : Buffer.from(h).toString('hex')))
    await writeFile(join(dir.path, 'whitelist'), `${hexes.join('\n')}\n`, { mode: 0o644 })
    const asRoot = process.getuid?.() === 0
    // Inside the chroot the whitelist is at /whitelist.
    const access = asRoot
      ? ['-u', '_opentracker', '-d', dir.path, '-w', '/whitelist']
      : ['-d', dir.path, '-w', join(dir.path, 'whitelist')]
    const { child, port } = await startOnFreePort(
      'opentracker',
      freeTcpUdpPort,
      async (port) =>
        spawnChild(COMPONENTS.opentracker.command, [
          '-i',
          '127.0.0.1',
          '-p',
          String(port),
          '-P',
          String(port),
          ...access,
        ]),
      options.timeoutMs,
    )
    return {
      httpUrl: `http://127.0.0.1:${port}/announce`,
      udpUrl: `udp://127.0.0.1:${port}/announce`,
      port,
      child,
      async stop() {
        await child.stop(2000)
        await dir.remove()
      },
    }
  } catch (err) {
    await dir.remove()
    throw err
  }
}
