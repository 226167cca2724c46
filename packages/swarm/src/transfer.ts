import type { WireClock } from '@p2p/peer-wire'
import { TokenBucket } from './rate-limiter.js'
import { RateMeter } from './rate-meter.js'

/**
 * The one owner of what a torrent moves and may move: its rate limits (token buckets under the
 * client's) and the payload it received and sent (totals and rates). Blocks from peers and web seeds
 * are counted with {@link Transfer.received}, blocks served with {@link Transfer.sent}.
 */
export class Transfer {
  /** The torrent's upload limit (the client's applies on top). */
  readonly upload: TokenBucket
  /** The torrent's download limit (the client's applies on top). */
  readonly download: TokenBucket
  readonly #downMeter: RateMeter
  readonly #upMeter: RateMeter
  #downloaded = 0
  #uploaded = 0

  constructor(
    limits: { upload?: number; download?: number },
    parents: { upload: TokenBucket; download: TokenBucket },
    clock: WireClock,
  ) {
    const now = () => clock.now()
    this.#downMeter = new RateMeter(now)
    this.#upMeter = new RateMeter(now)
    this.upload = new TokenBucket(limits.upload ?? 0, { parent: parents.upload, clock })
    this.download = new TokenBucket(limits.download ?? 0, { parent: parents.download, clock })
  }

  /** Payload bytes received. */
  get downloaded(): number {
    return this.#downloaded
  }

  /** Payload bytes sent. */
  get uploaded(): number {
    return this.#uploaded
  }

  /** Bytes/s received. */
  downloadRate(): number {
    return this.#downMeter.rate()
  }

  /** Bytes/s sent. */
  uploadRate(): number {
    return this.#upMeter.rate()
  }

  /** Counts `bytes` of payload received. */
  received(bytes: number): void {
    this.#downMeter.add(bytes)
    this.#downloaded += bytes
  }

  /** Counts `bytes` of payload sent. */
  sent(bytes: number): void {
    this.#upMeter.add(bytes)
    this.#uploaded += bytes
  }
}
