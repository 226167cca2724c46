import { createServer } from 'node:http'
import { createDhtNode } from '@p2p/dht'
import { formatPeer } from '@p2p/peer-address'
import { type Command, intFlag, parseFlags } from '../command.js'
import { CliError, interrupted } from '../errors.js'
import { stdoutRecords } from '../output.js'
import { bootstrapFlags } from './dht-flags.js'
import { aborted } from './swarm-flags.js'

/** `p2p dht`: a standalone DHT node (a bootstrap node for a private network) until SIGINT/SIGTERM. */
export const dht: Command = {
  summary: 'run a standalone Mainline DHT node (e.g. the bootstrap node of a private network)',
  usage: `usage: p2p dht [--host 127.0.0.1] [--port N] [--bootstrap host:port]... [--json]

Runs a DHT node until Ctrl-C (or SIGTERM), which exits 130. Prints 'dht: listening on <host>:<port>'
once it listens; /stats (JSON) is served over HTTP on the same port number.
  --json               print {"type":"listening","address"} instead (every stdout line JSON)
  --host ADDR          address to listen on (default 127.0.0.1)
  --port N             UDP port (default 0 = any free port)
  --bootstrap h:p      join through this node (repeatable; none by default)`,
  async run(argv, io) {
    const { values } = parseFlags(
      argv,
      {
        host: { type: 'string' },
        port: { type: 'string' },
        bootstrap: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
      },
      false,
    )
    const host = (values.host as string | undefined) ?? '127.0.0.1'
    const port = intFlag('port', values.port as string | undefined, 0, 0, 65535)
    const bootstrap = bootstrapFlags('bootstrap', values.bootstrap)
    const node = await createDhtNode({ host, port, bootstrap }).catch((err: Error) => {
      throw new CliError('CLI_UNREACHABLE', `cannot listen on ${host}:${port}: ${err.message}`)
    })
    const bound = node.addresses()[0]!
    const http = createServer((req, res) => {
      if (req.url !== '/stats') {
        res.writeHead(404).end()
        return
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(node.stats()))
    })
    try {
      await new Promise<void>((resolve) => {
        // The HTTP port is best effort: the DHT runs even if the TCP port is taken.
        http.once('error', () => resolve())
        http.listen(bound.port, host, () => resolve())
      })
      const address = formatPeer(bound)
      stdoutRecords(io, values.json === true)('listening', { address }, `dht: listening on ${address}`)
      if (bootstrap.length > 0) node.start().catch((err: Error) => io.stderr.write(`dht: ${err.message}\n`))
      await aborted(io.signal)
      throw interrupted('dht node stopped; run the same command again to start it again')
    } finally {
      http.close()
      await node.close()
    }
  },
}
