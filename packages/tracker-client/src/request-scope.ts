import { TrackerClientError } from './errors.js'

/**
 * One request's cancellation: the caller's signal and the overall timeout folded into one internal
 * signal whose `reason` is already the right {@link TrackerClientError}. Listeners and the timer are
 * removed in one place, {@link RequestScope.dispose}.
 */
export class RequestScope {
  readonly #controller = new AbortController()
  readonly #outer: AbortSignal | undefined
  readonly #timer: ReturnType<typeof setTimeout> | undefined
  readonly #onAbort: () => void

  constructor(url: string, options: { signal?: AbortSignal | undefined; timeout?: number | undefined }) {
    this.#outer = options.signal
    this.#onAbort = () =>
      this.#controller.abort(
        new TrackerClientError('TRACKER_ABORTED', 'tracker request aborted', {
          url,
          cause: this.#outer?.reason,
        }),
      )
    if (this.#outer?.aborted) this.#onAbort()
    else this.#outer?.addEventListener('abort', this.#onAbort, { once: true })
    const timeout = options.timeout
    if (timeout !== undefined && Number.isFinite(timeout) && !this.signal.aborted) {
      this.#timer = setTimeout(
        () =>
          this.#controller.abort(
            new TrackerClientError('TRACKER_TIMEOUT', `tracker did not answer within ${timeout} ms`, { url }),
          ),
        timeout,
      )
    }
  }

  /** Aborts when the caller aborts or the time is up; `reason` is a {@link TrackerClientError}. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** Throws the abort reason if the scope has ended. */
  check(): void {
    if (this.signal.aborted) throw this.signal.reason
  }

  /** Rejects with the abort reason as soon as the scope ends. */
  race<T>(promise: Promise<T>): Promise<T> {
    this.check()
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.signal.reason)
      this.signal.addEventListener('abort', onAbort, { once: true })
      promise.then(
        (v) => {
          this.signal.removeEventListener('abort', onAbort)
          resolve(v)
        },
        (e) => {
          this.signal.removeEventListener('abort', onAbort)
          reject(e)
        },
      )
    })
  }

  /** Removes the timer and the listener on the caller's signal. */
  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#outer?.removeEventListener('abort', this.#onAbort)
  }
}

/** Runs `fn` inside a {@link RequestScope}, always disposing it. */
export async function withScope<T>(
  url: string,
  options: { signal?: AbortSignal | undefined; timeout?: number | undefined },
  fn: (scope: RequestScope) => Promise<T>,
): Promise<T> {
  const scope = new RequestScope(url, options)
  try {
    scope.check()
    return await fn(scope)
  } finally {
    scope.dispose()
  }
}

/** Maps a socket error code to a tracker error code. */
export function networkErrorCode(err: unknown): 'TRACKER_DNS' | 'TRACKER_REFUSED' | 'TRACKER_TLS' {
  const code = String((err as { code?: unknown } | null)?.code ?? '')
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA') return 'TRACKER_DNS'
  if (/CERT|SSL|TLS|SIGNATURE|ISSUER/.test(code)) return 'TRACKER_TLS'
  return 'TRACKER_REFUSED'
}
