import { PLAIN_PREFIX } from './constants.js'

/**
 * Whether the first bytes of an incoming connection are a plain BitTorrent handshake
 * (`\x13BitTorrent protocol`) rather than an MSE public key. Give it at least 20 bytes: both a plain
 * handshake (68 bytes) and MSE (96 bytes or more) send that many before waiting for an answer.
 *
 * @example
 * ```ts
 * const head = socket.read(20)
 * if (head && isPlainHandshake(head)) acceptPlain(socket)
 * ```
 */
export function isPlainHandshake(head: Uint8Array): boolean {
  if (head.length < PLAIN_PREFIX.length) return false
  for (let i = 0; i < PLAIN_PREFIX.length; i++) if (head[i] !== PLAIN_PREFIX[i]) return false
  return true
}
