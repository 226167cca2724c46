import type { PeerConfig, PeerMessage } from './peer-process.js'

/** Writes one JSON event line for the lab controller. */
export function emit(event: PeerMessage): void {
  process.stdout.write(`${JSON.stringify(event)}\n`)
}

/**
 * Common main of the lab's node processes (peers and the tracker): parses the JSON config from argv, runs `start`, reads
 * commands from stdin (`connect`, `stop`) and ends the process on `stop`, stdin EOF or SIGTERM.
 */
export function peerMain<C = PeerConfig>(
  start: (config: C) => Promise<{ connect(peers: string[]): void; stop(): Promise<void> }>,
): void {
  const config = JSON.parse(process.argv[2] ?? '{}') as C
  let stopping = false
  start(config)
    .then((peer) => {
      const stop = async () => {
        if (stopping) return
        stopping = true
        await peer.stop().catch(() => {})
        process.exit(0)
      }
      let buf = ''
      process.stdin.on('data', (chunk: Buffer) => {
        buf += chunk.toString()
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const cmd = JSON.parse(buf.slice(0, nl)) as { cmd: string; peers?: string[] }
          buf = buf.slice(nl + 1)
          if (cmd.cmd === 'connect') peer.connect(cmd.peers ?? [])
          if (cmd.cmd === 'stop') void stop()
        }
      })
      process.stdin.on('end', () => void stop())
      process.on('SIGTERM', () => void stop())
    })
    .catch((err: Error) => {
      emit({ type: 'error', message: err.stack ?? String(err) })
      process.exit(1)
    })
}
