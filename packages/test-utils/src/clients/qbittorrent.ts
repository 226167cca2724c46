import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { COMPONENTS } from '../components.js'
import { type Child, freePort, freeTcpUdpPort, spawnChild, startOnFreePort, tempDir } from '../process.js'

/** A running qbittorrent-nox with its own profile, and its Web API. */
export interface Qbittorrent {
  /** The BitTorrent port (TCP and uTP) on 127.0.0.1. */
  port: number
  /** The Web UI port on 127.0.0.1 (no login from localhost). */
  webPort: number
  child: Child
  /** Calls the Web API (`/api/v2/<path>`), a POST when `form` is given; returns the body text. */
  api(path: string, form?: Record<string, string>): Promise<string>
  /** Its log file so far. */
  log(): Promise<string>
  /** Stops it (bounded) and removes its profile. */
  stop(): Promise<void>
}

/**
 * Starts qbittorrent-nox 4.x on 127.0.0.1 with a fresh profile: BitTorrent only over `protocol` (`UTP`,
 * `TCP` or `Both`), bound to the loopback interface, no DHT, LSD, PEX, UPnP or encryption, the legal
 * notice accepted, the Web UI without login from localhost. `torrent` is added at start, saved into
 * `saveDir` (with `skipHashCheck`, the data there is taken as complete). Call
 * `requireComponents(ctx, COMPONENTS.qbittorrent)` first.
 */
export async function startQbittorrent(options: {
  saveDir: string
  torrent?: string
  skipHashCheck?: boolean
  protocol?: 'UTP' | 'TCP' | 'Both'
  timeoutMs?: number
}): Promise<Qbittorrent> {
  const profile = await tempDir('p2p-qbittorrent-')
  const config = join(profile.path, 'qBittorrent', 'config')
  const logFile = join(profile.path, 'qBittorrent', 'data', 'logs', 'qbittorrent.log')
  try {
    await mkdir(config, { recursive: true })
    const port = await freeTcpUdpPort()
    const { child, port: webPort } = await startOnFreePort(
      'qbittorrent-nox',
      () => freePort('tcp'),
      async (webPort) => {
        await writeFile(join(config, 'qBittorrent.conf'), conf(port, webPort, options))
        const args = [`--profile=${profile.path}`, `--save-path=${options.saveDir}`]
        if (options.skipHashCheck) args.push('--skip-hash-check')
        if (options.torrent) args.push(options.torrent)
        // HOME too: qBittorrent writes some state there whatever the profile says.
        return spawnChild(COMPONENTS.qbittorrent.command, args, {
          env: { ...process.env, HOME: profile.path, XDG_CONFIG_HOME: profile.path },
        })
      },
      options.timeoutMs ?? 20_000,
    )
    const base = `http://127.0.0.1:${webPort}/api/v2/`
    return {
      port,
      webPort,
      child,
      async api(path, form) {
        const init: RequestInit = form
          ? { method: 'POST', body: new URLSearchParams(form), headers: { Referer: base } }
          : { headers: { Referer: base } }
        const res = await fetch(base + path, init)
        const text = await res.text()
        if (!res.ok) throw new Error(`qBittorrent ${path}: HTTP ${res.status} ${text}`)
        return text
      },
      log: () => readFile(logFile, 'utf8').catch(() => ''),
      async stop() {
        await child.stop(3000)
        await profile.remove()
      },
    }
  } catch (err) {
    await profile.remove()
    throw err
  }
}

function conf(
  port: number,
  webPort: number,
  options: { saveDir: string; protocol?: 'UTP' | 'TCP' | 'Both' },
): string {
  return `[LegalNotice]
Accepted=true

[BitTorrent]
Session\\Port=${port}
Session\\BTProtocol=${options.protocol ?? 'UTP'}
Session\\Interface=lo
Session\\InterfaceName=lo
Session\\InterfaceAddress=127.0.0.1
Session\\DHTEnabled=false
Session\\LSDEnabled=false
Session\\PeXEnabled=false
Session\\Encryption=2
Session\\DefaultSavePath=${options.saveDir}
Session\\uTPMixedMode=TCP
Session\\IgnoreLimitsOnLAN=true
Session\\AnonymousModeEnabled=false

[Preferences]
Connection\\UPnP=false
Connection\\ResolvePeerCountries=false
General\\Locale=en
WebUI\\Address=127.0.0.1
WebUI\\Port=${webPort}
WebUI\\LocalHostAuth=false
WebUI\\CSRFProtection=false
WebUI\\HostHeaderValidation=false
`
}
