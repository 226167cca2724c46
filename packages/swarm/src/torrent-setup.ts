import { type Metainfo, type PieceSpec, pieceSpec } from '@p2p/metainfo'
import { completion } from './completion.js'
import { applyPending, initialFilePriorities } from './file-priorities.js'
import { count } from './peer-availability.js'
import { PiecePicker } from './piece-picker.js'
import { checkExisting, loadResume, savedPriorities, saveResume, warnLater } from './resume.js'
import { statePath } from './state-dir.js'
import type { StorageFile } from './storage.js'
import { TorrentCore } from './torrent-core.js'
import { type TorrentState, wireGeometry } from './torrent-state.js'
import { DEFAULT_MAX_BUFFERED_BYTES } from './torrent-types.js'
import { fillWebSeeds } from './web-seed.js'

/**
 * Piece geometry of v1 metainfo objects, shared by every torrent added with the same object (a
 * simulator's thousands of clients of one torrent). Never mutated; v2 metainfo may gain piece layers
 * later, so its specs are made per torrent.
 */
const sharedSpecs = new WeakMap<Metainfo, PieceSpec[]>()

function specsOf(meta: Metainfo): PieceSpec[] {
  const cached = sharedSpecs.get(meta)
  if (cached) return cached
  const specs = Array.from({ length: meta.pieceCount }, (_, i) => pieceSpec(meta, i))
  if (meta.version === 1) sharedSpecs.set(meta, specs)
  return specs
}

/**
 * Once the metainfo is known: opens storage, checks what is on disk, builds the torrent phase
 * (`s.core`) and starts wanting pieces. Runs once; later calls join the first.
 */
export function setup(s: TorrentState, meta: Metainfo): Promise<void> {
  return s.phase.setUp(meta, () => open(s, meta))
}

async function open(s: TorrentState, meta: Metainfo): Promise<void> {
  s.emit('metadata', meta)
  const specs = specsOf(meta)
  const files: StorageFile[] = meta.files.map((f) => ({
    path: s.src.rootName !== undefined ? [s.src.rootName, ...f.path.slice(1)] : f.path,
    length: f.length,
    offset: f.offset,
    pad: f.pad,
  }))
  const { resume, warnings } = await loadResume(s, meta)
  if (s.destroyed) return
  const { selection } = s
  const priorities = selection.begin(meta.files, initialFilePriorities(s, meta, savedPriorities(s, resume)))
  const storage = s.rt.storage({
    dir: s.src.dir,
    files,
    selected: priorities.map((p) => p > 0),
    partFile: statePath(s.src.dir, s.infoHash, 'parts'),
    preallocate: s.opts.preallocate,
  })
  const picker = new PiecePicker({
    pieceCount: meta.pieceCount,
    pieceLength: (i) => specs[i]!.length,
    strategy: s.opts.strategy,
    random: s.rt.random,
  })
  const core = new TorrentCore({
    meta,
    specs,
    storage,
    picker,
    selection,
    maxBufferedBytes: s.opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    readCacheBytes: s.rt.readCacheBytes,
  })
  try {
    // Where each file's bytes are: its own file, or the part file for a skipped file not on disk.
    await storage.keepExistingFiles()
    const inPlace = meta.files.map((_, i) => storage.isSelected(i))
    selection.attach(
      { files: meta.files, pieceLength: meta.pieceLength, specs, picker, storage },
      completion(s, core, () => void saveResume(s, true)),
    )
    await checkExisting(s, core, inPlace, resume)
    if (s.destroyed) return void (await storage.close())
  } catch (err) {
    await storage.close().catch(() => {})
    throw err
  }
  s.phase.ready(core)
  await storage.createEmptyFiles()
  selection.recount()
  applyPending(s)
  s.emit('ready')
  warnLater(s, warnings)
  selection.settle()
  // Peers connected before the metadata arrived.
  for (const p of s.sessions) {
    try {
      p.setTorrent(wireGeometry(meta))
    } catch {
      // a bad geometry closes that wire
    }
    if (!p.handshaken) continue
    // They heard "nothing" while the data was being checked: tell them what the check found (a
    // closed wire drops the messages).
    for (const i of picker.have.ones()) p.announceHave(i)
    count(core, p)
    s.work.interest(p)
  }
  fillWebSeeds(s)
}
