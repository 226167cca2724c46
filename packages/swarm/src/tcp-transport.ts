import { connect, createServer } from 'node:net'
import { dialStream, type SwarmTransport } from './runtime.js'

/** Size of the reused read buffer of an outgoing connection. */
const READ_BUFFER_BYTES = 64 * 1024

/** TCP: listens on `host` (default `::`, falling back to `0.0.0.0`), dials with Nagle off. */
export const tcpTransport: SwarmTransport = {
  async listen(options, onConnection, onError) {
    const server = createServer({ noDelay: true }, onConnection)
    server.on('error', onError)
    let bound = ''
    const tryListen = (host: string) =>
      new Promise<void>((resolveListen, reject) => {
        const onFail = (err: Error) => reject(err)
        server.once('error', onFail)
        server.listen({ host, port: options.port }, () => {
          server.off('error', onFail)
          bound = host
          resolveListen()
        })
      })
    if (options.host) await tryListen(options.host)
    else {
      try {
        await tryListen('::')
      } catch {
        await tryListen('0.0.0.0')
      }
    }
    const addr = server.address()
    return {
      port: typeof addr === 'object' && addr ? addr.port : 0,
      host: bound,
      close: () => new Promise<void>((r) => server.close(() => r())),
    }
  },
  dial(addr, receive, done) {
    // Reads land in one reused buffer and the wire copies blocks from it straight into piece buffers:
    // no fresh 64 KiB buffer per read (memory, GC work).
    if (!receive) return dialStream(connect({ host: addr.host, port: addr.port }), done)
    const socket = connect({
      host: addr.host,
      port: addr.port,
      onread: {
        buffer: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES),
        callback: (n, buf) => {
          receive(buf.subarray(0, n))
          return true
        },
      },
    })
    return dialStream(socket, done)
  },
}
