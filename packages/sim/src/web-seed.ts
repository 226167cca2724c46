import { BAN_STRIKES, type HttpFetch, type Torrent } from '@p2p/swarm'
import type { Prng } from './prng.js'
import type { VirtualClock } from './virtual-clock.js'

/**
 * How a simulated web seed behaves: `good` serves the right bytes; `corrupt` serves wrong bytes (it must
 * be banned); `404` never has the file (given up); `503` is busy (with `Retry-After: 1`) for its first
 * {@link BUSY_ANSWERS} requests, then good; `slow` is good on a very slow link (requests time out).
 */
export const WEB_SEED_KINDS = ['good', 'corrupt', '404', '503', 'slow'] as const

/** A behaviour of {@link WEB_SEED_KINDS}. */
export type WebSeedKind = (typeof WEB_SEED_KINDS)[number]

/** Requests a `503` web seed refuses before it serves. */
export const BUSY_ANSWERS = 3

/** Bytes per paced chunk of a response body. */
const CHUNK = 16_384

/** Link of a simulated web seed: one-way latency and bandwidth. */
export interface WebSeedLink {
  /** Time to the response head, ms. */
  latencyMs: number
  /** Body bytes per second. */
  bytesPerSecond: number
}

/**
 * A simulated HTTP server of one file (a BEP 19 web seed) on the run's virtual clock: answers range
 * requests with `206` (or its fault), the head after the link's latency, the body paced by its bandwidth.
 */
export class SimWebSeed {
  /** The URL to give the torrent (`webSeeds`). */
  readonly url: string
  /** Its behaviour. */
  readonly kind: WebSeedKind
  /** Requests answered so far. */
  requests = 0
  readonly #clock: VirtualClock
  readonly #content: Uint8Array
  readonly #link: WebSeedLink

  constructor(clock: VirtualClock, url: string, kind: WebSeedKind, content: Uint8Array, link: WebSeedLink) {
    this.#clock = clock
    this.url = url
    this.kind = kind
    this.#content = content
    this.#link = link
  }

  /** Answers one request (see `HttpFetch` of @p2p/swarm); rejects with the signal's reason once it aborts. */
  fetch(init: Parameters<HttpFetch>[1]): Promise<Response> {
    const { signal } = init
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason)
      const onAbort = () => {
        this.#clock.clearTimeout(timer)
        reject(signal.reason)
      }
      const timer = this.#clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort)
        resolve(this.#answer(init.headers.range, signal))
      }, this.#link.latencyMs)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  #answer(range: string | undefined, signal: AbortSignal): Response {
    this.requests++
    if (this.kind === '404') return new Response('not found', { status: 404 })
    if (this.kind === '503' && this.requests <= BUSY_ANSWERS)
      return new Response('busy', { status: 503, headers: { 'retry-after': '1' } })
    const size = this.#content.length
    const m = /^bytes=(\d+)-(\d+)$/.exec(range ?? '')
    const start = m ? Number(m[1]) : 0
    const end = m ? Math.min(Number(m[2]), size - 1) : size - 1
    if (start > end) return new Response('', { status: 416, headers: { 'content-range': `bytes */${size}` } })
    const bytes = this.#content.slice(start, end + 1)
    if (this.kind === 'corrupt') for (let i = 0; i < bytes.length; i += 997) bytes[i]! ^= 0xff
    return new Response(this.#paced(bytes, signal), {
      status: m ? 206 : 200,
      headers: m ? { 'content-range': `bytes ${start}-${end}/${size}` } : {},
    })
  }

  /** A body that yields `bytes` in chunks, each after the time the link takes to carry it. */
  #paced(bytes: Uint8Array, signal: AbortSignal): ReadableStream<Uint8Array> {
    const clock = this.#clock
    const rate = this.#link.bytesPerSecond
    let at = 0
    let timer: unknown
    return new ReadableStream<Uint8Array>({
      pull: (controller) =>
        new Promise<void>((resolve) => {
          if (at >= bytes.length) {
            controller.close()
            return resolve()
          }
          const chunk = bytes.subarray(at, at + CHUNK)
          at += chunk.length
          const onAbort = () => {
            clock.clearTimeout(timer)
            controller.error(signal.reason)
            resolve()
          }
          if (signal.aborted) return onAbort()
          signal.addEventListener('abort', onAbort, { once: true })
          timer = clock.setTimeout(
            () => {
              signal.removeEventListener('abort', onAbort)
              controller.enqueue(chunk)
              resolve()
            },
            (chunk.length / rate) * 1000,
          )
        }),
      cancel: () => clock.clearTimeout(timer),
    })
  }
}

/**
 * The runtime `fetch` of a simulated client: requests to a web seed's URL go to it, any other URL fails
 * as an unreachable host does.
 */
export function simFetch(webSeeds: readonly SimWebSeed[]): HttpFetch {
  return (url, init) => {
    const seed = webSeeds.find((w) => w.url === url)
    return seed ? seed.fetch(init) : Promise.reject(new TypeError(`fetch failed: no host for ${url}`))
  }
}

/**
 * `count` web seeds of `content` (a single-file torrent's bytes) at `http://webN.sim/sim.bin`, each of a
 * kind drawn from `kinds`, on a drawn link (`slow` ones on a link too slow for a job to finish in time).
 */
export function drawWebSeeds(
  clock: VirtualClock,
  rng: Prng,
  content: Uint8Array,
  count: number,
  kinds: readonly WebSeedKind[] = WEB_SEED_KINDS,
): SimWebSeed[] {
  return Array.from({ length: count }, (_, i) => {
    const kind = rng.pick(kinds)
    const link =
      kind === 'slow'
        ? { latencyMs: rng.int(500, 3000), bytesPerSecond: rng.int(2_000, 20_000) }
        : { latencyMs: rng.int(5, 100), bytesPerSecond: rng.pick([500_000, 2_000_000, 10_000_000]) }
    return new SimWebSeed(clock, `http://web${i}.sim/sim.bin`, kind, content, link)
  })
}

/**
 * The web seed invariants of a torrent at the end of a run: a web seed that sent bad pieces
 * (`BAN_STRIKES` of them) is banned, and only a corrupt one ever sends a bad piece or is banned.
 */
export function webSeedFailures(name: string, torrent: Torrent, seeds: readonly SimWebSeed[]): string[] {
  const failures: string[] = []
  for (const info of torrent.webSeeds) {
    const kind = seeds.find((w) => w.url === info.url)?.kind
    if (kind !== 'corrupt' && (info.strikes > 0 || info.state === 'banned'))
      failures.push(`${name}: ${kind} web seed ${info.url} ${info.state} with ${info.strikes} bad pieces`)
    if (info.strikes >= BAN_STRIKES && info.state !== 'banned')
      failures.push(
        `${name}: web seed ${info.url} sent ${info.strikes} bad pieces and is still ${info.state}`,
      )
  }
  return failures
}
