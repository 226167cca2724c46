import type { RemoteInfo } from 'node:dgram'
import type { DhtTransport } from '@p2p/dht'
import { normalizeIp, type PeerAddress } from '@p2p/peer-address'
import type { UtpSocket } from '@p2p/utp'

/** First byte of a KRPC message (a bencoded dictionary): `d`. */
const KRPC_FIRST_BYTE = 0x64

/**
 * The uTP socket's UDP port shared with a DHT node, as libtorrent shares it: `route` receives the
 * datagrams uTP does not claim and passes KRPC ones (first byte `d`) to the handler the DHT set;
 * `transport` is the {@link DhtTransport} the DHT node runs on. Closing that transport only
 * detaches the DHT: the socket belongs to the client.
 */
export class SharedUdp {
  #handler: ((data: Uint8Array, from: PeerAddress) => void) | undefined

  /** For `UtpSocketOptions.onMessage`: a datagram that is not uTP. */
  route(message: Buffer, remote: RemoteInfo): void {
    if (message[0] !== KRPC_FIRST_BYTE || !this.#handler) return
    let host: string
    try {
      host = normalizeIp(remote.address)
    } catch {
      return
    }
    this.#handler(message, { host, port: remote.port })
  }

  /** A DHT transport sending from `socket` (an IPv6 socket reaches IPv4 nodes by their mapped address). */
  transport(socket: UtpSocket): DhtTransport {
    const six = socket.address().family === 'IPv6'
    return {
      send: (data, to) =>
        socket.send(data, to.port, six && !to.host.includes(':') ? `::ffff:${to.host}` : to.host),
      onMessage: (handler) => {
        this.#handler = handler
      },
      addresses: () => {
        const { address, port } = socket.address()
        return [{ host: address, port }]
      },
      close: async () => {
        this.#handler = undefined
      },
    }
  }
}
