import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A spawned child with its collected output and a bounded stop. */
export interface Child {
  proc: ChildProcess
  /** Everything written to stdout and stderr so far. */
  output(): string
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>
}

const live = new Set<Child>()

/**
 * Spawns a process in its own process group, collecting output. Call {@link stopAll} in `afterAll`
 * (or `child.stop()`) so nothing outlives the test.
 */
export function spawnChild(command: string, args: readonly string[], options: SpawnOptions = {}): Child {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options })
  let out = ''
  const append = (b: Buffer) => {
    out += b.toString()
    if (out.length > 1_000_000) out = out.slice(-500_000)
  }
  proc.stdout?.on('data', append)
  proc.stderr?.on('data', append)
  proc.on('error', (err) => {
    out += `\n[spawn error] ${err.message}`
  })
  const child: Child = {
    proc,
    output: () => out,
    async stop(graceMs = 3000) {
      live.delete(child)
      if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return
      const exited = once(proc, 'exit')
      signalGroup(proc, 'SIGTERM')
      const timer = setTimeout(() => signalGroup(proc, 'SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
  live.add(child)
  return child
}

function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal)
  } catch {
    try {
      proc.kill(signal)
    } catch {}
  }
}

/** Stops every child spawned by {@link spawnChild} that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()))
}

/** A free TCP (or UDP) port on 127.0.0.1, found by binding port 0. */
export async function freePort(kind: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const sock = createSocket('udp4')
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve))
    const { port } = sock.address()
    await new Promise<void>((resolve) => sock.close(() => resolve()))
    return port
  }
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A port free for both TCP and UDP (trackers listen on both). */
export async function freeTcpUdpPort(): Promise<number> {
  for (;;) {
    const port = await freePort('tcp')
    const sock = createSocket('udp4')
    const ok = await new Promise<boolean>((resolve) => {
      sock.once('error', () => resolve(false))
      sock.bind(port, '127.0.0.1', () => resolve(true))
    })
    await new Promise<void>((resolve) => sock.close(() => resolve()))
    if (ok) return port
  }
}

/** A fresh temporary directory and a function that removes it. */
export async function tempDir(prefix = 'p2p-test-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1')
    sock.once('connect', () => {
      sock.destroy()
      resolve(true)
    })
    sock.once('error', () => resolve(false))
  })
}

/**
 * Starts a server on a free port: `start(port)` spawns it, and it is up once it accepts TCP on
 * 127.0.0.1:`port`. Another process may take the port between `pick()` and the bind, so a start that
 * does not come up is stopped and tried again on a new port (3 tries).
 */
export async function startOnFreePort(
  name: string,
  pick: () => Promise<number>,
  start: (port: number) => Promise<Child>,
  timeoutMs = 10_000,
): Promise<{ child: Child; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const port = await pick()
    const child = await start(port)
    try {
      await waitFor(
        async () => child.proc.exitCode === null && (await tcpOpen(port)),
        timeoutMs,
        `${name} to listen`,
        50,
      )
      return { child, port }
    } catch (err) {
      await child.stop()
      if (attempt < 2) continue
      throw new Error(`${name} did not start: ${String(err)}\n${child.output()}`)
    }
  }
}
