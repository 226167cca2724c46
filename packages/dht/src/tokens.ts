import { createHash } from 'node:crypto'
import { equalBytes } from '@p2p/bytes'
import { ipToBytes } from '@p2p/peer-address'

/** BEP 5: tokens stay valid for up to 10 minutes; the secret changes every 5 and the last one is kept. */
export const TOKEN_ROTATE_MS = 5 * 60_000
/** Bytes of a token (a truncated SHA-1 of the secret and the requester's IP). */
const TOKEN_LENGTH = 8

/**
 * Write tokens (BEP 5): a keyed hash of the requester's IP under a secret that rotates every five
 * minutes; a token from the current or the previous secret is accepted, so it lives 5-10 minutes.
 */
export class TokenSecrets {
  #current: Uint8Array
  #previous: Uint8Array
  #rotatedAt: number
  readonly #random: (n: number) => Uint8Array

  constructor(random: (n: number) => Uint8Array, now: number) {
    this.#random = random
    this.#current = random(20)
    this.#previous = random(20)
    this.#rotatedAt = now
  }

  /** Rotates the secret when it is older than {@link TOKEN_ROTATE_MS}. */
  tick(now: number): void {
    if (now - this.#rotatedAt < TOKEN_ROTATE_MS) return
    this.#previous = this.#current
    this.#current = this.#random(20)
    this.#rotatedAt = now
  }

  /** The token to hand to `host`. */
  issue(host: string): Uint8Array {
    return tokenFor(this.#current, host)
  }

  /** Whether `token` was issued to `host` under the current or the previous secret. */
  check(token: Uint8Array, host: string): boolean {
    return (
      equalBytes(token, tokenFor(this.#current, host)) || equalBytes(token, tokenFor(this.#previous, host))
    )
  }
}

function tokenFor(secret: Uint8Array, host: string): Uint8Array {
  return new Uint8Array(
    createHash('sha1').update(secret).update(ipToBytes(host)).digest().subarray(0, TOKEN_LENGTH),
  )
}
