import { spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Debian's python, the one python3-libtorrent is built for (may differ from `python3` on PATH). */
export const DEBIAN_PYTHON = '/usr/bin/python3'

/** A real component a test needs: a command and the Debian package that provides it. */
export interface Component {
  command: string
  debianPackage: string
}

/** Common real components, by name. */
export const COMPONENTS = {
  aria2: { command: 'aria2c', debianPackage: 'aria2' },
  transmissionCli: { command: 'transmission-cli', debianPackage: 'transmission-cli' },
  transmissionDaemon: { command: 'transmission-daemon', debianPackage: 'transmission-daemon' },
  transmissionCreate: { command: 'transmission-create', debianPackage: 'transmission-cli' },
  opentracker: { command: 'opentracker', debianPackage: 'opentracker' },
  mktorrent: { command: 'mktorrent', debianPackage: 'mktorrent' },
  redis: { command: 'redis-server', debianPackage: 'redis-server' },
  chromium: { command: 'chromium', debianPackage: 'chromium' },
  qbittorrent: { command: 'qbittorrent-nox', debianPackage: 'qbittorrent-nox' },
  wrk: { command: 'wrk', debianPackage: 'wrk' },
  libtorrent: { command: DEBIAN_PYTHON, debianPackage: 'python3-libtorrent' },
  miniupnpd: { command: '/usr/sbin/miniupnpd', debianPackage: 'miniupnpd' },
  upnpc: { command: 'upnpc', debianPackage: 'miniupnpc' },
  natpmpc: { command: 'natpmpc', debianPackage: 'natpmpc' },
  nft: { command: '/usr/sbin/nft', debianPackage: 'nftables' },
  nginx: { command: '/usr/sbin/nginx', debianPackage: 'nginx' },
} as const satisfies Record<string, Component>

/** Absolute path of `command` on PATH (or itself when it is a path and executable), else undefined. */
export function findCommand(command: string): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, command))
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {}
  }
  return undefined
}

/** Whether Debian's python can import libtorrent. */
function hasLibtorrent(): boolean {
  if (!findCommand(DEBIAN_PYTHON)) return false
  const { status } = spawnSync(DEBIAN_PYTHON, ['-c', 'import libtorrent'], {
    stdio: 'ignore',
  })
  return status === 0
}

/** Which of `components` are missing on this machine. */
export function missingComponents(components: readonly Component[]): Component[] {
  return components.filter((c) =>
    c.debianPackage === 'python3-libtorrent' ? !hasLibtorrent() : findCommand(c.command) === undefined,
  )
}

/**
 * Call at the top of a test that needs real components. In CI (`CI=true`) a missing one fails the
 * test; elsewhere the test is skipped with a message naming the Debian package to install.
 *
 * @example
 * ```ts
 * it('downloads from aria2', async (ctx) => {
 *   requireComponents(ctx, COMPONENTS.aria2)
 *   ...
 * })
 * ```
 */
export function requireComponents(ctx: { skip: (note?: string) => void }, ...components: Component[]): void {
  const missing = missingComponents(components)
  if (missing.length === 0) return
  const what = missing.map((c) => `${c.command} (apt-get install ${c.debianPackage})`).join(', ')
  if (process.env.CI) throw new Error(`missing real component in CI: ${what}`)
  ctx.skip(`missing ${what}`)
}
