import { randomBytes } from 'node:crypto'
import { mkdir, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { SwarmError } from './errors.js'

/**
 * Creates a torrent's download directory (with its parents) and proves files can be created in it,
 * so a bad `path` (a file, a read-only or missing mount) fails when the torrent is added, not when
 * the first block arrives (or never, with no peer).
 * @throws {SwarmError} `SWARM_STORAGE`, naming the system error.
 */
export async function probeOutputDir(dir: string): Promise<void> {
  const probe = join(dir, `.p2p-probe-${process.pid}-${randomBytes(6).toString('hex')}`)
  try {
    await mkdir(dir, { recursive: true })
    await (await open(probe, 'wx')).close()
    await rm(probe)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO'
    throw new SwarmError('SWARM_STORAGE', `cannot write into ${dir}: ${code}`, { cause: err })
  }
}
