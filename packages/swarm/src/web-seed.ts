import type { Metainfo } from '@p2p/metainfo'
import { MAX_RATE_WAIT_MS } from './block-requests.js'
import type { TorrentSource } from './client-context.js'
import { SwarmError } from './errors.js'
import { cancelOnPeer } from './peer-session.js'
import { BLOCK_SIZE, type BlockRequest } from './piece-picker.js'
import { type VerifyHost, verify } from './piece-verification.js'
import type { SwarmRuntime } from './runtime.js'
import type { TimerStops } from './timer-stops.js'
import type { TorrentCore } from './torrent-core.js'
import { type AddOptions, BAN_STRIKES } from './torrent-types.js'
import type { Transfer } from './transfer.js'
import { fetchRange, WebSeedHttpError } from './web-seed-http.js'
import { planWebSeedJob, webSeedFileUrl } from './web-seed-ranges.js'

/** Range requests in flight per web seed (libtorrent keeps one connection; a few overlap the round trips). */
export const WEB_SEED_REQUESTS = 4
/** Bytes asked for in one job of a web seed (a run of blocks; one request per file it crosses). */
export const WEB_SEED_JOB_BYTES = 2 ** 20
/** Default time one job may take before it is abandoned and retried later, ms. */
export const DEFAULT_WEB_SEED_TIMEOUT_MS = 30_000
/** First wait after a failed request, ms; doubled per failure in a row up to {@link WEB_SEED_MAX_BACKOFF_MS}. */
export const WEB_SEED_BACKOFF_MS = 1_000
/** Longest wait between retries of a failing web seed, ms. */
export const WEB_SEED_MAX_BACKOFF_MS = 60_000
/** Failed requests in a row (errors, timeouts) after which a web seed is given up. */
export const WEB_SEED_MAX_FAILURES = 6

/** What web seeds read of a torrent (besides what verifying their pieces does). */
export interface WebSeedHost extends VerifyHost {
  readonly meta: Metainfo | undefined
  readonly core: TorrentCore | undefined
  readonly paused: boolean
  readonly opts: Pick<AddOptions, 'webSeeds' | 'webSeedTimeout'>
  readonly src: Pick<TorrentSource, 'webSeeds'>
  readonly rt: Pick<SwarmRuntime, 'clock' | 'fetch'>
  readonly transfer: Pick<Transfer, 'download' | 'received'>
  readonly abort: { readonly signal: AbortSignal }
  /** Where the retry timers' stop goes. */
  readonly timers: Pick<TimerStops, 'add'>
}

/** What a web seed is doing (see `torrent.webSeeds`). */
export type WebSeedState = 'active' | 'backoff' | 'failed' | 'banned'

/** A web seed of a torrent, as `torrent.webSeeds` reports it. */
export interface WebSeedInfo {
  /** The URL from `url-list`, `ws=` or the `webSeeds` option. */
  url: string
  /** `active`; `backoff` after a failure (retried later); `failed` given up; `banned` after bad data. */
  state: WebSeedState
  /** Payload bytes received from it. */
  downloaded: number
  /** Failed requests in a row. */
  failures: number
  /** Pieces it sent that failed their hash check. */
  strikes: number
}

/** One web seed's state (internal); also the picker's key for its requests, as a peer is. */
interface WebSeed extends WebSeedInfo {
  /** Pieces it completed that passed their hash check. */
  verified: number
  inFlight: number
  retryAt: number
  retryTimer: unknown
}

const seeds = new WeakMap<WebSeedHost, WebSeed[]>()

/** The web seeds of a torrent: set up once its metadata is known (`url-list`, `ws=`, options). */
function webSeedsOf(s: WebSeedHost): WebSeed[] {
  let list = seeds.get(s)
  if (!list && s.meta) {
    const urls = [...(s.opts.webSeeds ?? []), ...(s.src.webSeeds ?? []), ...s.meta.urlList]
    // BEP 19: a client ignores the protocols it does not know (FTP here).
    const http = [...new Set(urls)].filter((u) => /^https?:\/\//i.test(u))
    list = http.map((url) => ({
      url,
      state: 'active',
      downloaded: 0,
      failures: 0,
      strikes: 0,
      verified: 0,
      inFlight: 0,
      retryAt: 0,
      retryTimer: undefined,
    }))
    seeds.set(s, list)
    const own = list
    s.timers.add(() => {
      for (const ws of own) s.rt.clock.clearTimeout(ws.retryTimer)
    })
  }
  return list ?? []
}

/** A snapshot of the torrent's web seeds. */
export function webSeedInfo(s: WebSeedHost): WebSeedInfo[] {
  return webSeedsOf(s).map(({ url, state, downloaded, failures, strikes }) => ({
    url,
    state,
    downloaded,
    failures,
    strikes,
  }))
}

/** Starts jobs on every usable web seed, up to {@link WEB_SEED_REQUESTS} each. */
export function fillWebSeeds(s: WebSeedHost): void {
  for (const ws of webSeedsOf(s)) fillWebSeed(s, ws)
}

function fillWebSeed(s: WebSeedHost, ws: WebSeed): void {
  const { core } = s
  if (!core || s.destroyed || s.paused || core.halted || core.selection.finished) return
  if (ws.state === 'failed' || ws.state === 'banned') return
  const now = s.rt.clock.now()
  if (now < ws.retryAt) {
    if (ws.retryTimer === undefined) {
      ws.retryTimer = s.rt.clock.setTimeout(() => {
        ws.retryTimer = undefined
        fillWebSeed(s, ws)
      }, ws.retryAt - now)
    }
    return
  }
  ws.state = 'active'
  while (ws.inFlight < WEB_SEED_REQUESTS) {
    const blocks = pickRun(s, core, ws)
    if (blocks.length === 0) return
    ws.inFlight++
    void runJob(s, core, ws, blocks).finally(() => {
      ws.inFlight--
      fillWebSeed(s, ws)
    })
  }
}

/**
 * Blocks for one job: pieces of its own (as a peer on parole: a failed hash then proves the web seed
 * sent bad data), the pieces after the first one preferred so that the job is one long range per file.
 * In endgame, when every missing block is already asked of peers, it asks for them too (duplicates:
 * a slow peer holding the last blocks does not hold the download; the first copy wins, the loser is
 * cancelled).
 */
function pickRun(s: WebSeedHost, core: TorrentCore, ws: WebSeed): BlockRequest[] {
  const { picker, store } = core
  // Under a download limit a job is at most about a second of it (see MAX_RATE_WAIT_MS).
  const limit = s.transfer.download.limit
  const blocks = Math.max(
    1,
    Math.floor((limit ? Math.min(WEB_SEED_JOB_BYTES, limit) : WEB_SEED_JOB_BYTES) / BLOCK_SIZE),
  )
  const first = picker.pick(ws, 'all', 1, { exclusive: true, room: store.room })
  if (first.length === 0) {
    // Only a web seed that sent good pieces and no bad one, and no other web seed beside it: its blocks
    // then mix with peers' in a piece, and a bad piece could not be pinned on the right sender.
    const others = webSeedsOf(s).some((o) => o !== ws && (o.state === 'active' || o.state === 'backoff'))
    if (!picker.endgame || ws.strikes > 0 || ws.verified === 0 || others) return first
    return picker.pick(ws, 'all', blocks, { room: 0 }).sort((a, b) => a.index - b.index || a.begin - b.begin)
  }
  // A piece started gets its buffer now: the bound counts it before the next pick.
  store.bufferFor(first[0]!.index)
  const next = first[0]!.index + 1
  const span = Math.ceil(WEB_SEED_JOB_BYTES / core.meta.pieceLength)
  const prefer = Array.from({ length: Math.min(span, picker.pieceCount - next) }, (_, k) => next + k)
  const rest = picker.pick(ws, 'all', blocks - 1, { exclusive: true, room: store.room, prefer })
  for (const b of rest) store.bufferFor(b.index)
  return [...first, ...rest].sort((a, b) => a.index - b.index || a.begin - b.begin)
}

/** Fetches a run of blocks from the web seed, hands them to the picker and verifies complete pieces. */
async function runJob(s: WebSeedHost, core: TorrentCore, ws: WebSeed, blocks: BlockRequest[]): Promise<void> {
  const { meta, picker } = core
  const plan = planWebSeedJob(meta, core.specs, blocks)
  // The job's own buffer: a piece buffer is only written once the bytes are here and still wanted.
  const buf = new Uint8Array(plan.size)
  const { download } = s.transfer
  const wait = download.unlimited ? 0 : download.reserve(plan.size)
  if (wait > MAX_RATE_WAIT_MS) {
    // Over the download limit: these blocks wait for a later pick (no failure counted).
    download.refund(plan.size)
    for (const b of blocks) picker.release(ws, b.index, b.begin)
    ws.retryAt = Math.max(ws.retryAt, s.rt.clock.now() + MAX_RATE_WAIT_MS)
    return
  }
  if (wait > 0) await new Promise<void>((r) => s.rt.clock.setTimeout(() => r(), wait))
  const timeout = new AbortController()
  const signal = AbortSignal.any([s.abort.signal, timeout.signal])
  const timer = s.rt.clock.setTimeout(
    () => timeout.abort(new SwarmError('SWARM_WEB_SEED', `web seed ${ws.url}: no answer in time`)),
    s.opts.webSeedTimeout ?? DEFAULT_WEB_SEED_TIMEOUT_MS,
  )
  try {
    for (const seg of plan.segments) {
      const url = webSeedFileUrl(ws.url, meta, seg.file)
      const into = buf.subarray(seg.at, seg.at + seg.length)
      await fetchRange(url, seg.offset, into, signal, s.rt.fetch, s.rt.clock.now())
    }
  } catch (err) {
    for (const b of blocks) picker.release(ws, b.index, b.begin)
    core.reclaim()
    if (!s.destroyed) failed(s, ws, timeout.signal.aborted ? timeout.signal.reason : err)
    return
  } finally {
    s.rt.clock.clearTimeout(timer)
  }
  ws.failures = 0
  ws.downloaded += plan.size
  s.transfer.received(plan.size)
  delivered(s, core, ws, blocks, plan.at, buf)
}

/** The job's bytes go into their pieces; complete pieces are verified. */
function delivered(
  s: WebSeedHost,
  core: TorrentCore,
  ws: WebSeed,
  blocks: BlockRequest[],
  at: number[],
  buf: Uint8Array,
): void {
  const { picker, store } = core
  if (s.destroyed) return
  blocks.forEach((b, k) => {
    // A block given up since (its piece deselected or restarted, or a peer's copy came first) is dropped.
    if (!picker.isRequested(ws, b.index, b.begin)) return
    const arrival = picker.received(ws, b.index, b.begin, b.length)
    if (!arrival.accepted) return
    // Endgame: the peers asked for the same block lost the race.
    for (const other of arrival.cancel) cancelOnPeer(other, b.index, b.begin, b.length)
    store.put(b.index, b.begin, buf.subarray(at[k]!, at[k]! + b.length), undefined, arrival.first)
    if (!arrival.pieceComplete) return
    void verify(s, core, b.index).then((ok) => {
      if (ok === false) struck(s, core, ws, b.index)
      else if (ok) ws.verified++
      s.work.topUpAll()
      fillWebSeed(s, ws)
    })
  })
}

/** A request failed: back off (longer each time, or as `Retry-After` says), give up after too many. */
function failed(s: WebSeedHost, ws: WebSeed, err: unknown): void {
  ws.failures++
  if (ws.failures >= WEB_SEED_MAX_FAILURES) {
    ws.state = 'failed'
    s.emit('warning', {
      message: `web seed ${ws.url} given up after ${ws.failures} failed requests: ${(err as Error).message}`,
      error: err,
    })
    return
  }
  const backoff = Math.min(WEB_SEED_MAX_BACKOFF_MS, WEB_SEED_BACKOFF_MS * 2 ** (ws.failures - 1))
  const asked = err instanceof WebSeedHttpError ? err.retryAfter : undefined
  ws.retryAt = Math.max(ws.retryAt, s.rt.clock.now() + (asked ?? backoff))
  ws.state = 'backoff'
  s.emit('warning', {
    message: `${(err as Error).message} (retry in ${Math.round((ws.retryAt - s.rt.clock.now()) / 1000)} s)`,
    error: err,
  })
}

/** A piece it sent alone failed its hash check: after {@link BAN_STRIKES} of them it is banned. */
function struck(s: WebSeedHost, core: TorrentCore, ws: WebSeed, index: number): void {
  ws.strikes++
  if (ws.strikes < BAN_STRIKES || ws.state === 'banned') return
  ws.state = 'banned'
  core.picker.releaseAll(ws)
  core.reclaim()
  const url = new URL(ws.url)
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80)
  s.emit('ban', {
    peer: { host: url.hostname.replace(/^\[|\]$/g, ''), port },
    reason: `web seed sent ${ws.strikes} pieces that failed their hash check, the last piece ${index}`,
    url: ws.url,
  })
}
