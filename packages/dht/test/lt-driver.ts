import { fileURLToPath } from 'node:url'
import { DEBIAN_PYTHON, spawnChild, waitFor } from '@p2p/test-utils'

const SCRIPT = fileURLToPath(new URL('./fixtures/lt_dht.py', import.meta.url))

/** Answer of the python driver to one command. */
export type LtAnswer = Record<string, unknown>

/**
 * python-libtorrent DHT sessions on the given 127.0.0.x addresses, driven by JSON-line commands
 * (see fixtures/lt_dht.py); `bootstrap` is one node for all, or one per session.
 */
export async function startLibtorrentDht(ips: string[], port: number, bootstrap: string | string[]) {
  const boot =
    typeof bootstrap === 'string' ? ['--bootstrap', bootstrap] : ['--bootstraps', bootstrap.join(',')]
  const child = spawnChild(DEBIAN_PYTHON, [SCRIPT, '--ips', ips.join(','), '--port', String(port), ...boot], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const answers = new Map<number, LtAnswer>()
  let ready = false
  let ports: number[] = []
  let buffered = ''
  child.proc.stdout!.on('data', (b: Buffer) => {
    buffered += b.toString()
    let nl = buffered.indexOf('\n')
    while (nl >= 0) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      nl = buffered.indexOf('\n')
      try {
        const msg = JSON.parse(line) as LtAnswer
        if (msg.event === 'ready') {
          ready = true
          ports = msg.ports as number[]
        } else if (typeof msg.id === 'number') answers.set(msg.id, msg)
      } catch {}
    }
  })
  await waitFor(() => ready || child.proc.exitCode !== null, 20_000, 'libtorrent DHT driver to start')
  if (!ready) throw new Error(`libtorrent driver exited: ${child.output()}`)
  let next = 1
  return {
    child,
    /** Each session's listen port (TCP and UDP), in `ips` order. */
    ports,
    /** Sends a command to session `node` and waits up to `timeoutMs` for its answer. */
    async call(
      node: number,
      op: string,
      args: Record<string, unknown> = {},
      timeoutMs = 20_000,
    ): Promise<LtAnswer> {
      const id = next++
      child.proc.stdin!.write(`${JSON.stringify({ id, node, op, ...args })}\n`)
      return waitFor(() => answers.get(id), timeoutMs, `libtorrent ${op}: ${child.output().slice(-500)}`, 50)
    },
    stop: () => child.stop(),
  }
}
