import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Client, type Torrent } from '@p2p/swarm'
import { stopAll, tempDir } from '@p2p/test-utils'
import { afterEach } from 'vitest'

/** Writes random files below `root` (paths relative, '/'-separated) and returns their bytes. */
export async function writeContent(
  root: string,
  files: Record<string, number>,
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  for (const [rel, size] of Object.entries(files)) {
    const bytes = randomBytes(size)
    const path = join(root, rel)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, bytes)
    out.set(rel, bytes)
  }
  return out
}

/** Checks every file of `content` exists below `root` with the same bytes; returns the bad ones. */
export async function differing(root: string, content: Map<string, Buffer>): Promise<string[]> {
  const bad: string[] = []
  for (const [rel, bytes] of content) {
    const got = await readFile(join(root, rel)).catch(() => undefined)
    if (!got?.equals(bytes)) bad.push(rel)
  }
  return bad
}

/** Resolves when the torrent is done, rejects after `ms` with its progress. */
export function doneWithin(t: Torrent, ms: number, label = t.name): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${label} not done within ${ms} ms: ${JSON.stringify(t.stats())}`)),
      ms,
    )
    void t.done.then(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** A v1 torrent of `files` (name-relative paths) made by hand, for tests that must not depend on createTorrent. */
export async function v1Torrent(
  name: string,
  files: { path: string[]; bytes: Uint8Array }[],
  pieceLength: number,
  single = false,
  extra: Record<string, unknown> = {},
): Promise<Uint8Array> {
  const { createHash } = await import('node:crypto')
  const { encode } = await import('@p2p/bencode')
  const all = Buffer.concat(files.map((f) => f.bytes))
  const hashes: Buffer[] = []
  for (let o = 0; o < all.length; o += pieceLength)
    hashes.push(
      createHash('sha1')
        .update(all.subarray(o, o + pieceLength))
        .digest(),
    )
  const info = single
    ? { length: all.length, name, 'piece length': pieceLength, pieces: Buffer.concat(hashes) }
    : {
        files: files.map((f) => ({ length: f.bytes.length, path: f.path })),
        name,
        'piece length': pieceLength,
        pieces: Buffer.concat(hashes),
      }
  return encode({ info: { ...info, ...extra } })
}

/**
 * Per-test resources of a swarm test file: `dir()` a temp dir, `client()` a Client on 127.0.0.1 (with
 * `defaults`), `onCleanup(f)` any other closer. After each test the closers run newest first, spawned
 * children are stopped, then the dirs are removed.
 */
export function useSession(prefix: string, defaults: ConstructorParameters<typeof Client>[0] = {}) {
  const cleanup: (() => Promise<void>)[] = []
  const removeDirs: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f()
    await stopAll()
    for (const f of removeDirs.splice(0)) await f()
  })
  return {
    onCleanup(f: () => Promise<void>): void {
      cleanup.push(f)
    },
    async dir(): Promise<string> {
      const d = await tempDir(prefix)
      removeDirs.push(d.remove)
      return d.path
    },
    client(opts: ConstructorParameters<typeof Client>[0] = {}): Client {
      const c = new Client({ host: '127.0.0.1', lsd: false, ...defaults, ...opts })
      cleanup.push(() => c.close())
      return c
    },
    local: (c: Client) => ({ host: '127.0.0.1', port: c.port }),
  }
}

/** The warnings of `t` (setup's are emitted on a later turn, so a listener attached after add gets them). */
export async function warningsOf(t: Torrent): Promise<{ message: string; error?: unknown }[]> {
  const seen: { message: string; error?: unknown }[] = []
  t.on('warning', (w) => seen.push(w))
  await new Promise((r) => setImmediate(r))
  await new Promise((r) => setImmediate(r))
  return seen
}
