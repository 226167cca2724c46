import { lstat, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { SwarmError } from './errors.js'

/**
 * The directory below a download directory that holds our bookkeeping (resume and part files).
 * No torrent path may start with it (`confinedPath` refuses it, in any case), so a torrent can
 * never name, overwrite or plant one of these files.
 */
export const STATE_DIR = '.p2p-state'

/** Where the bookkeeping file `<infoHash>.<kind>` of a torrent downloading into `dir` lives. */
export function statePath(dir: string, infoHash: string, kind: 'resume' | 'parts'): string {
  return join(dir, STATE_DIR, `${infoHash}.${kind}`)
}

/** Whether a torrent path's first component is the reserved {@link STATE_DIR}. */
export function isStateDir(component: string): boolean {
  return component.toLowerCase() === STATE_DIR
}

/**
 * Creates `<dir>/{@link STATE_DIR}` when missing; refuses one that is a symbolic link, not a
 * directory, or another user's.
 * @throws {SwarmError} `SWARM_PATH_TRAVERSAL`
 */
export async function ensureStateDir(dir: string): Promise<void> {
  const path = join(dir, STATE_DIR)
  await mkdir(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err
  })
  const st = await lstat(path)
  if (!st.isDirectory())
    throw new SwarmError('SWARM_PATH_TRAVERSAL', `${path} is a symbolic link or not a directory`)
  // in a shared directory (/tmp) someone else could have made it first, to plant files in it
  if (process.getuid && st.uid !== process.getuid())
    throw new SwarmError('SWARM_PATH_TRAVERSAL', `${path} belongs to another user`)
}
