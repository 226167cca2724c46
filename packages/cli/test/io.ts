import { PassThrough } from 'node:stream'
import type { CommandIo } from '@p2p/cli'
import { type Child, tempDir, waitFor } from '@p2p/test-utils'
import { afterEach } from 'vitest'

/** A CommandIo over in-memory streams, with what was written to each; `stop()` aborts its signal (Ctrl-C). */
export function io(): { io: CommandIo; out: () => string; err: () => string; stop: () => void } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (b) => (out += b))
  stderr.on('data', (b) => (err += b))
  const ac = new AbortController()
  return { io: { stdout, stderr, signal: ac.signal }, out: () => out, err: () => err, stop: () => ac.abort() }
}

/** Waits until a child `p2p tracker` printed its HTTP and UDP announce URLs; returns them. */
export function trackerUrls(child: Child, timeoutMs: number): Promise<string[]> {
  return waitFor(
    () => {
      const urls = child
        .output()
        .split('\n')
        .filter((x) => /^(http|udp):\/\//.test(x))
      return urls.length >= 2 ? urls : undefined
    },
    timeoutMs,
    'p2p tracker to print its announce URLs',
  )
}

/** `dir()` makes a temp dir named `prefix...`; every one is removed after each test of the file. */
export function useTempDirs(prefix: string): () => Promise<string> {
  const removes: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const f of removes.splice(0)) await f()
  })
  return async () => {
    const d = await tempDir(prefix)
    removes.push(d.remove)
    return d.path
  }
}

/** The magnet link `p2p seed` prints (its line starting with `magnet:`), waited for up to 30 s. */
export function magnetLine(out: () => string): Promise<string> {
  return waitFor(
    () =>
      out()
        .split('\n')
        .find((l) => l.startsWith('magnet:')),
    30_000,
    'magnet line',
  )
}

/**
 * `magnet` without its `x.pe=` peers (`p2p seed` adds its own address): a test of a peer source (DHT,
 * LSD) must not let the download find the seed through the magnet itself.
 */
export function withoutPeers(magnet: string): string {
  return magnet.replace(/&x\.pe=[^&]*/g, '')
}
