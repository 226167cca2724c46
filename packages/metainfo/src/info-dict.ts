import type { Encodable } from '@p2p/bencode'
import { toHex } from '@p2p/bytes'
import type { Planned } from './chunk-plan.js'
import type { CreateOptions } from './types.js'

type Dict = Record<string, Encodable>
/** A directory of a v2 `file tree`: names to directories or to `{ '': file }` leaves. */
type TreeNode = Map<string, Encodable>

/** What goes in the info dictionary besides the options. */
export interface InfoContent {
  name: string
  pieceLength: number
  /** Files in piece space, in torrent order. */
  files: Planned[]
  /** A single-file torrent (no `files` list, the name is the file's). */
  single: boolean
  v1: boolean
  v2: boolean
  /** SHA-1 of every piece (v1 and hybrid). */
  sha1: Uint8Array | undefined
  /** Each v2 file's pieces root (none for empty files and symlinks). */
  roots: Map<Planned, Uint8Array>
  /** compat `'transmission-3'`: `private` is always written. */
  transmission: boolean
}

/** The info dictionary, with libtorrent's keys for v1, v2 and hybrid torrents. */
export function infoDict(c: InfoContent, options: CreateOptions): Dict {
  const info: Dict = { name: c.name, 'piece length': c.pieceLength }
  if (c.v1) {
    const first = c.files[0]!
    if (c.single) info.length = first.length
    else info.files = v1Files(c.files)
    info.pieces = new Uint8Array(c.sha1!)
    if (c.single && first.attr) info.attr = first.attr
  }
  if (c.v2) {
    info['meta version'] = 2
    info['file tree'] = fileTree(c)
  }
  if (options.private) info.private = 1
  else if (c.transmission) info.private = 0 // transmission-create 3.00 always writes the key
  if (options.source) info.source = options.source
  return info
}

/** The v1 `files` list, with a pad entry after each file that has one. */
function v1Files(files: Planned[]): Encodable[] {
  const entries: Encodable[] = []
  for (const f of files) {
    const entry: Dict = { length: f.length, path: f.path }
    if (f.attr) entry.attr = f.attr
    if (f.symlinkPath) entry['symlink path'] = f.symlinkPath
    entries.push(entry)
    if (f.padAfter > 0) entries.push({ attr: 'p', length: f.padAfter, path: ['.pad', String(f.padAfter)] })
  }
  return entries
}

/** The v2 `file tree` (BEP 52): nested directories, each file a `{ '': leaf }` dictionary. */
function fileTree(c: InfoContent): TreeNode {
  const tree: TreeNode = new Map()
  for (const f of c.files) {
    const path = c.single ? [c.name] : f.path
    let node = tree
    for (const dir of path.slice(0, -1)) {
      let next = node.get(dir) as TreeNode | undefined
      if (!next) {
        next = new Map()
        node.set(dir, next)
      }
      node = next
    }
    const leaf: Dict = { length: f.length }
    const root = c.roots.get(f)
    if (root) leaf['pieces root'] = root
    if (f.attr) leaf.attr = f.attr
    if (f.symlinkPath) leaf['symlink path'] = f.symlinkPath
    node.set(path[path.length - 1]!, new Map([['', leaf]]))
  }
  return tree
}

/**
 * The top-level dictionary around `info`: trackers, comment, creator, date, web seeds and the v2
 * `piece layers` (one per file larger than a piece, keyed by its pieces root).
 */
export function topDict(
  info: Dict,
  options: CreateOptions,
  pieceLayers: { roots: Map<Planned, Uint8Array>; layers: Map<Planned, Uint8Array> },
): Dict {
  const top: Dict = { info }
  const tiers = announceTiers(options.announce)
  if (tiers.length > 0) {
    top.announce = tiers[0]![0]!
    if (tiers.length > 1 || tiers[0]!.length > 1) top['announce-list'] = tiers
  }
  if (options.comment) top.comment = options.comment
  if (options.createdBy) top['created by'] = options.createdBy
  if (options.creationDate !== false)
    top['creation date'] = options.creationDate ?? Math.floor(Date.now() / 1000)
  if (options.urlList && options.urlList.length > 0)
    top['url-list'] = options.urlList.length === 1 ? options.urlList[0]! : options.urlList
  if (pieceLayers.layers.size > 0) {
    // Files with the same content have the same pieces root: one entry for them all (a key once).
    const byRoot = new Map<string, [Uint8Array, Uint8Array]>()
    for (const [f, layer] of pieceLayers.layers) {
      const root = pieceLayers.roots.get(f)!
      byRoot.set(toHex(root), [root, layer])
    }
    top['piece layers'] = new Map<Uint8Array, Encodable>(byRoot.values())
  }
  return top
}

/** The announce option as tiers of non-empty URLs (empty tiers dropped). */
function announceTiers(a: CreateOptions['announce']): string[][] {
  if (a === undefined) return []
  if (typeof a === 'string') return a ? [[a]] : []
  return a
    .map((tier) => tier.filter((u) => typeof u === 'string' && u.length > 0))
    .filter((t) => t.length > 0)
}
