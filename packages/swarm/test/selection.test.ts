import type { FileEntry, PieceSpec } from '@p2p/metainfo'
import { describe, expect, it } from 'vitest'
import { PiecePicker } from '../src/piece-picker.js'
import { Selection, type SelectionLayout } from '../src/selection.js'

const PIECE = 16
// Piece space of 64 bytes, 4 pieces: file 0 is bytes 0..39 (pieces 0-2), file 1 is 40..63 (pieces 2-3).
const files = [
  { path: ['t', 'a'], length: 40, offset: 0 },
  { path: ['t', 'b'], length: 24, offset: 40 },
] as FileEntry[]
const specs = [0, 1, 2, 3].map((index) => ({ index, offset: index * PIECE, length: PIECE })) as PieceSpec[]
const filesIn = (offset: number, length: number) =>
  files.flatMap((f, i) => (f.offset < offset + length && offset < f.offset + f.length ? [i] : []))

function setUp(initial: number[], before?: (s: Selection) => void) {
  const events: string[] = []
  const selection = new Selection()
  before?.(selection)
  const picker = new PiecePicker({ pieceCount: specs.length, pieceLength: () => PIECE })
  const priorities = selection.begin(files, initial)
  const layout: SelectionLayout = { files, pieceLength: PIECE, specs, picker, storage: { filesIn } }
  selection.attach(layout, {
    finished: () => events.push('finished'),
    unfinished: () => events.push('unfinished'),
  })
  /** As piece verification does: the picker marks the piece had, the selection counts it. */
  const verify = (i: number) => {
    const had = picker.have.get(i)
    picker.verified(i)
    selection.verified(i, had)
    selection.settle()
  }
  return { selection, picker, events, priorities, verify }
}

describe('Selection', () => {
  it('asks trackers for bytes until the pieces are known, then counts the wanted ones', () => {
    const selection = new Selection()
    expect(selection.left()).toBe(1)
    selection.settle() // nothing to report before the pieces are known
    expect(selection.finished).toBe(false)
    const { selection: s } = setUp([4, 0])
    // Piece 2 is shared by both files: the highest priority of its files (4) makes it wanted.
    expect(s.wantedBytes).toBe(3 * PIECE)
    expect(s.left()).toBe(3 * PIECE)
  })

  it('applies priorities set before the metadata over the initial ones', () => {
    const { priorities, picker } = setUp([4, 4], (s) => {
      s.defer(1, 0)
      s.defer(7, 2) // no such file: ignored
    })
    expect(priorities).toEqual([4, 0])
    expect([0, 1, 2, 3].map((i) => picker.isWanted(i))).toEqual([true, true, true, false])
  })

  it('reports finished once every wanted piece is verified, unfinished when more is wanted', () => {
    const { selection, events, verify } = setUp([4, 0])
    verify(0)
    verify(3) // not wanted: counts nothing
    verify(0) // had already: counts nothing
    expect(selection.haveBytes).toBe(PIECE)
    verify(1)
    expect(events).toEqual([])
    verify(2)
    expect(events).toEqual(['finished'])
    expect(selection.finished).toBe(true)
    expect(selection.left()).toBe(0)
    // File 1 wanted now: piece 3 was verified before, so it stays finished.
    selection.set(1, 4)
    expect(events).toEqual(['finished'])
    expect(selection.wantedBytes).toBe(4 * PIECE)
  })

  it('a finished selection that wants a missing piece again is unfinished until it is verified', () => {
    const { selection, events, verify } = setUp([4, 0])
    for (const i of [0, 1, 2]) verify(i)
    selection.set(1, 7)
    expect(events).toEqual(['finished', 'unfinished'])
    expect(selection.left()).toBe(PIECE)
    expect(selection.piecesOf(1)).toEqual([2, 3])
    verify(3)
    expect(events).toEqual(['finished', 'unfinished', 'finished'])
    expect(selection.priorities).toEqual([4, 7])
    // Counted per changed piece, as a full recount counts.
    selection.set(0, 0)
    const counted = [selection.wantedBytes, selection.haveBytes]
    expect(counted).toEqual([2 * PIECE, 2 * PIECE])
    selection.recount()
    expect([selection.wantedBytes, selection.haveBytes]).toEqual(counted)
  })

  it('recounts after pieces are lost in bulk and settles to unfinished', () => {
    const { selection, picker, events, verify } = setUp([4, 4])
    for (const i of [0, 1, 2, 3]) verify(i)
    picker.lost(1)
    selection.recount()
    expect(selection.haveBytes).toBe(3 * PIECE)
    selection.settle()
    expect(events).toEqual(['finished', 'unfinished'])
  })
})
