import { toHex } from '@p2p/bytes'
import type { Metainfo } from '@p2p/metainfo'
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  isPlainHandshake,
  type MseStream,
  mseHandshake,
  req2Hash,
} from '@p2p/mse'
import type { PeerAddress } from '@p2p/peer-address'
import { SwarmError } from './errors.js'
import type { SwarmRuntime, TransportStream } from './runtime.js'

/** What MSE takes from the runtime: timers, secret bytes, and (to dial) the transport. */
type MseRuntime = Pick<SwarmRuntime, 'clock' | 'randomBytes' | 'transport'>

/**
 * Message Stream Encryption policy, as libtorrent's `pe_forced`/`pe_enabled`/`pe_disabled`: `forced`
 * accepts and makes only encrypted connections, `enabled` dials encrypted first (falling back to
 * plain) and accepts both, `disabled` speaks plain only.
 */
export type EncryptionPolicy = 'forced' | 'enabled' | 'disabled'

/** Methods MSE may settle on, as libtorrent's `allowed_enc_level`: RC4 is preferred when both are allowed. */
export type EncryptionLevel = 'rc4' | 'plaintext' | 'both'

/** How a connection is carried: RC4, plaintext after an MSE handshake, or a plain BitTorrent handshake. */
export type ConnectionEncryption = 'rc4' | 'plaintext-mse' | 'plain'

/** Encryption options of a client (defaults for its torrents) and of a torrent. */
export interface EncryptionOptions {
  /** Default `enabled`. */
  encryption?: EncryptionPolicy
  /** Default `both`. */
  encryptionLevel?: EncryptionLevel
}

/** Both encryption options, defaults filled in. */
export type ResolvedEncryption = Required<EncryptionOptions>

const POLICIES: readonly EncryptionPolicy[] = ['forced', 'enabled', 'disabled']
const LEVELS: readonly EncryptionLevel[] = ['rc4', 'plaintext', 'both']
const METHODS: Record<EncryptionLevel, number> = {
  rc4: CRYPTO_RC4,
  plaintext: CRYPTO_PLAINTEXT,
  both: CRYPTO_RC4 | CRYPTO_PLAINTEXT,
}

/** @throws {SwarmError} `SWARM_INVALID_ARGUMENT` for an unknown policy or level. */
export function checkEncryption(o: EncryptionOptions): void {
  if (o.encryption !== undefined && !POLICIES.includes(o.encryption)) {
    throw new SwarmError(
      'SWARM_INVALID_ARGUMENT',
      `expected encryption ${POLICIES.join('|')}, got ${o.encryption}`,
    )
  }
  if (o.encryptionLevel !== undefined && !LEVELS.includes(o.encryptionLevel)) {
    throw new SwarmError(
      'SWARM_INVALID_ARGUMENT',
      `expected encryptionLevel ${LEVELS.join('|')}, got ${o.encryptionLevel}`,
    )
  }
}

/** A torrent's encryption: its own options over the client's. */
export function resolveEncryption(client: EncryptionOptions, torrent: EncryptionOptions): ResolvedEncryption {
  return {
    encryption: torrent.encryption ?? client.encryption ?? 'enabled',
    encryptionLevel: torrent.encryptionLevel ?? client.encryptionLevel ?? 'both',
  }
}

/** What {@link dialPeer} and {@link acceptEncrypted} hand to the wire. */
export interface EncryptedConnection {
  socket: TransportStream
  /** The plaintext side of an MSE connection; undefined for a plain one. */
  stream: MseStream | undefined
  encryption: ConnectionEncryption
}

/** What a connection's `stream` says about its encryption. */
export function encryptionOf(stream: MseStream | undefined): ConnectionEncryption {
  if (!stream) return 'plain'
  return stream.method === 'rc4' ? 'rc4' : 'plaintext-mse'
}

/**
 * Opens a connection on `transport`; its bytes go to `receive` when the transport reads into a
 * reused buffer, else they arrive as `data`.
 */
function dial(
  rt: MseRuntime,
  addr: PeerAddress,
  timeoutMs: number,
  receive?: (chunk: Uint8Array) => void,
): Promise<TransportStream> {
  return new Promise((resolve, reject) => {
    const timer = rt.clock.setTimeout(() => {
      cancel()
      reject(new Error('connect timeout'))
    }, timeoutMs)
    const cancel = rt.transport.dial(addr, receive, (error, stream) => {
      rt.clock.clearTimeout(timer)
      if (error || !stream) reject(error ?? new Error('no stream'))
      else resolve(stream)
    })
  })
}

/**
 * Dials a peer under a policy that is not `disabled`: the MSE handshake first, with our BitTorrent
 * `handshake` as its initial payload (the wire's first write, which then is not sent again), then
 * (policy `enabled` only) a plain connection when the peer does not speak MSE, as libtorrent does.
 */
export async function dialPeer(
  addr: PeerAddress,
  infoHash: Uint8Array,
  handshake: Uint8Array,
  enc: ResolvedEncryption,
  rt: MseRuntime,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<EncryptedConnection> {
  // Reads land in the transport's reused buffer (TCP) and are decrypted there, as the plain path's.
  let deliver: ((chunk: Uint8Array) => void) | undefined
  let received: Uint8Array[] | undefined = []
  const socket = await dial(rt, addr, timeoutMs, (chunk) => {
    if (deliver) deliver(chunk)
    else received?.push(chunk.slice())
  })
  try {
    const stream = await mseHandshake(socket, {
      role: 'initiator',
      skey: infoHash,
      allowed: METHODS[enc.encryptionLevel],
      initialPayload: handshake,
      timeout: timeoutMs,
      clock: rt.clock,
      randomBytes: rt.randomBytes,
      signal,
      manualReads: (fn) => {
        deliver = fn
        for (const chunk of received?.splice(0) ?? []) fn(chunk)
        received = undefined
      },
    })
    return { socket, stream, encryption: encryptionOf(stream) }
  } catch (err) {
    if (enc.encryption !== 'enabled' || signal.aborted) throw err
  }
  return { socket: await dial(rt, addr, timeoutMs), stream: undefined, encryption: 'plain' }
}

/** What the client knows of a torrent to accept its incoming connections. */
export interface EncryptionTarget {
  infoHashBytes: Uint8Array
  metainfo?: Metainfo | undefined
  encryptionPolicy: ResolvedEncryption
}

/** Whether a torrent under `enc` takes a connection whose first bytes are `head` (plain or MSE). */
export function acceptsFirstBytes(enc: ResolvedEncryption, head: Uint8Array): boolean {
  return isPlainHandshake(head) ? enc.encryption !== 'forced' : enc.encryption !== 'disabled'
}

/**
 * Runs the responder's MSE handshake on an incoming socket whose first bytes are not a plain
 * handshake; the SKEY may be the v1 info hash or the truncated v2 hash of any torrent whose policy
 * is not `disabled`, and that torrent's level decides the method.
 */
export async function acceptEncrypted<T extends EncryptionTarget>(
  socket: TransportStream,
  torrents: Iterable<T>,
  rt: MseRuntime,
  timeoutMs: number,
): Promise<{ socket: TransportStream; stream: MseStream; torrent: T }> {
  const bySkey = new Map<string, { torrent: T; skey: Uint8Array }>()
  let torrent: T | undefined
  const stream = await mseHandshake(socket, {
    role: 'responder',
    findSkey: (req2) => {
      for (const t of torrents) {
        if (t.encryptionPolicy.encryption === 'disabled') continue
        const skeys = [t.infoHashBytes]
        const v2 = t.metainfo?.infoHashV2
        if (v2) skeys.push(Buffer.from(v2, 'hex').subarray(0, 20))
        for (const skey of skeys) bySkey.set(toHex(req2Hash(skey)), { torrent: t, skey })
      }
      const hit = bySkey.get(toHex(req2))
      torrent = hit?.torrent
      return hit?.skey
    },
    allowed: () => METHODS[torrent!.encryptionPolicy.encryptionLevel],
    timeout: timeoutMs,
    clock: rt.clock,
    randomBytes: rt.randomBytes,
  })
  return { socket, stream, torrent: torrent! }
}
