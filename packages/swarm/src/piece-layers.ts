import { createHash } from 'node:crypto'
import { toHex } from '@p2p/bytes'
import {
  BLOCK_SIZE,
  type FileEntry,
  type Metainfo,
  nextPowerOfTwo,
  padHash,
  verifyPieceLayer,
} from '@p2p/metainfo'
import { formatPeer } from '@p2p/peer-address'
import type { HashRequest } from '@p2p/peer-wire'
import { SwarmError } from './errors.js'
import type { PeerSession as Peer } from './peer-session.js'
import type { SwarmWarning } from './torrent-types.js'

/** Most hashes asked for in one BEP 52 hash request (the spec's SHOULD, and the wire's default bound). */
export const MAX_HASHES_PER_REQUEST = 512
/** Hash requests in flight per peer while fetching piece layers. */
const LAYER_REQUESTS_IN_FLIGHT = 8

const sha256Pair = (a: Uint8Array, b: Uint8Array) => createHash('sha256').update(a).update(b).digest()

/** The base layer of piece hashes: layers above the 16 KiB leaves. */
function pieceLayerIndex(meta: Metainfo): number {
  return Math.log2(meta.pieceLength / BLOCK_SIZE)
}

/**
 * Files of a v2-only torrent whose piece layer is unknown: longer than one piece, with no
 * `piece layers` entry (a torrent from a magnet link: the layers are outside the info dict).
 * Hybrid torrents verify with SHA-1 without them.
 */
export function missingPieceLayers(meta: Metainfo): FileEntry[] {
  if (meta.version !== 2) return []
  return meta.files.filter(
    (f) =>
      !f.pad && f.piecesRoot && f.length > meta.pieceLength && !meta.pieceLayers.has(toHex(f.piecesRoot)),
  )
}

/**
 * `meta` without the piece layers that do not hash to their file's pieces root (a `Metainfo` built
 * or parsed without checking them): such a layer would fail every piece of its file and get honest
 * peers banned. A v2 torrent fetches the dropped layers from peers; a hybrid verifies with SHA-1.
 */
export function withVerifiedPieceLayers(meta: Metainfo): Metainfo {
  const roots = new Map<string, Uint8Array>()
  for (const f of meta.files) if (f.piecesRoot) roots.set(toHex(f.piecesRoot), f.piecesRoot)
  const kept = new Map<string, Uint8Array>()
  for (const [key, layer] of meta.pieceLayers) {
    const root = roots.get(key)
    if (root && verifyPieceLayer(layer, meta.pieceLength, root)) kept.set(key, layer)
  }
  return kept.size === meta.pieceLayers.size ? meta : { ...meta, pieceLayers: kept }
}

/** What fetching piece layers (and metadata) needs of its torrent (see `MetadataPhase`). */
export interface PeerQueries {
  /** Aborted when the torrent is destroyed: nothing more is asked. */
  readonly signal: AbortSignal
  /** The connected peers, to ask the next one when one fails. */
  readonly peers: Iterable<Peer>
  /** Reports a failure that does not stop the torrent (a peer that gave nothing usable). */
  warn(warning: SwarmWarning): void
}

/**
 * Fetches the missing piece layers of `meta` with BEP 52 hash requests (`first` is asked first,
 * then the other connected peers not in `layersTried`) and adds each to `meta.pieceLayers` once it hashes to its file's
 * pieces root; a layer that does not is dropped and asked of the next peer.
 * @throws {SwarmError} `SWARM_PIECE_LAYERS` when no connected peer gives a valid layer, `SWARM_ABORTED`.
 */
export async function fetchPieceLayers(
  q: PeerQueries,
  layersTried: WeakSet<Peer>,
  meta: Metainfo,
  first: Peer,
): Promise<void> {
  for (const f of missingPieceLayers(meta)) {
    const tried = new Set<Peer>()
    const problems: string[] = []
    const untried = (p: Peer) => p.handshaken && !p.destroyed && !tried.has(p) && !layersTried.has(p)
    for (;;) {
      if (q.signal.aborted) throw new SwarmError('SWARM_ABORTED', 'torrent destroyed')
      const peer = [first, ...q.peers].find(untried)
      if (!peer) {
        throw new SwarmError(
          'SWARM_PIECE_LAYERS',
          `no peer gave the piece layer of ${f.path.join('/')}${problems.length ? ` (${problems.join('; ')})` : ''}`,
        )
      }
      tried.add(peer)
      try {
        const layer = await fetchLayer(meta, f, peer)
        if (!verifyPieceLayer(layer, meta.pieceLength, f.piecesRoot!)) {
          throw new SwarmError('SWARM_PIECE_LAYERS', 'hashes do not match the pieces root')
        }
        meta.pieceLayers.set(toHex(f.piecesRoot!), layer)
        break
      } catch (err) {
        // A peer that failed once is not asked again (for any file, nor when the next peer connects).
        layersTried.add(peer)
        const message = `${formatPeer(peer.addr)}: ${(err as Error).message}`
        problems.push(message)
        q.warn({
          message: `piece layer of ${f.path.join('/')} from ${message}`,
          peer: peer.addr,
          error: err,
        })
      }
    }
  }
}

/** Asks one peer for a file's whole piece layer, in requests of at most {@link MAX_HASHES_PER_REQUEST}. */
async function fetchLayer(meta: Metainfo, f: FileEntry, peer: Peer): Promise<Uint8Array> {
  const pieces = Math.ceil(f.length / meta.pieceLength)
  const length = Math.min(MAX_HASHES_PER_REQUEST, Math.max(2, nextPowerOfTwo(pieces)))
  const layer = new Uint8Array(pieces * 32)
  const starts: number[] = []
  for (let index = 0; index < pieces; index += length) starts.push(index)
  let next = 0
  const worker = async () => {
    while (next < starts.length) {
      const index = starts[next++]!
      const req: HashRequest = {
        piecesRoot: f.piecesRoot!,
        baseLayer: pieceLayerIndex(meta),
        index,
        length,
        proofLayers: 0,
      }
      const answer = await peer.requestHashes(req)
      const n = Math.min(length, pieces - index)
      if (answer.hashes.length < n * 32)
        throw new SwarmError('SWARM_PIECE_LAYERS', `${answer.hashes.length / 32} hashes for ${n}`)
      layer.set(answer.hashes.subarray(0, n * 32), index * 32)
    }
  }
  await Promise.all(Array.from({ length: Math.min(LAYER_REQUESTS_IN_FLIGHT, starts.length) }, worker))
  return layer
}

/** Merkle trees over piece layers, built once per layer for answering hash requests. */
const trees = new WeakMap<Uint8Array, Uint8Array[][]>()

/** The levels of the tree over a piece layer, from the (padded) layer itself up to the root. */
function treeOf(layer: Uint8Array, pieceLength: number): Uint8Array[][] {
  let levels = trees.get(layer)
  if (levels) return levels
  const count = layer.length / 32
  const width = nextPowerOfTwo(count)
  let pad: Uint8Array = padHash(Math.log2(pieceLength / BLOCK_SIZE))
  let level: Uint8Array[] = []
  for (let i = 0; i < width; i++) level.push(i < count ? layer.subarray(i * 32, i * 32 + 32) : pad)
  levels = [level]
  while (level.length > 1) {
    const up: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) up.push(sha256Pair(level[i]!, level[i + 1]!))
    pad = sha256Pair(pad, pad)
    level = up
    levels.push(level)
  }
  trees.set(layer, levels)
  return levels
}

/**
 * Answers a peer's BEP 52 hash request from the piece layers we know: the requested piece-layer
 * hashes, then one uncle hash per proof layer above the requested subtree (the first
 * log2(length) - 1 proof layers are implied by the hashes themselves). Requests for other layers
 * (leaf hashes would need the data), unknown roots and any before the metadata (`meta`) are rejected.
 */
export function serveHashRequest(meta: Metainfo | undefined, peer: Peer, req: HashRequest): void {
  const layer = meta?.pieceLayers.get(toHex(req.piecesRoot))
  // A closed wire drops what is sent to it (nothing throws), so no guard is needed here.
  if (!meta || !layer || req.baseLayer !== pieceLayerIndex(meta)) return void peer.rejectHashes(req)
  const levels = treeOf(layer, meta.pieceLength)
  const base = levels[0]!
  if (req.index + req.length > base.length) return void peer.rejectHashes(req)
  const out: Uint8Array[] = base.slice(req.index, req.index + req.length)
  const k = Math.log2(req.length)
  for (let m = k; m <= req.proofLayers && m < levels.length - 1; m++) {
    out.push(levels[m]![(req.index >> m) ^ 1]!)
  }
  peer.sendHashes(req, out)
}
