import { TrackerServerError } from './errors.js'
import type { StoreAnnounceResult, StoredPeer } from './peer-store.js'

/**
 * A store's announce answer with the compact fast path: counts and the peers' compact forms; the
 * `peers` objects are built by `build` only if someone reads them (dictionary answers, other
 * stores' callers).
 * @internal
 */
export class CompactResult implements StoreAnnounceResult {
  #list: StoredPeer[] | undefined
  readonly #build: () => StoredPeer[]

  constructor(
    readonly complete: number,
    readonly incomplete: number,
    readonly downloaded: number,
    readonly compact4: Buffer,
    readonly compact6: Buffer,
    build: () => StoredPeer[],
  ) {
    this.#build = build
  }

  get peers(): StoredPeer[] {
    this.#list ??= this.#build()
    return this.#list
  }
}

/** The refusal of a peer id that moves to another address without its announce key. @internal */
export function peerConflict(): TrackerServerError {
  return new TrackerServerError(
    'TRACKER_SERVER_PEER_CONFLICT',
    'peer_id already announced from another address (send the same key to move it)',
  )
}
