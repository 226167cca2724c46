import {
  BLOCK_SIZE,
  MIN_PIPELINE,
  type PeerPieces,
  type PeerRequestView,
  PiecePicker,
  planRequests,
  REFILL_BATCH,
  REQUEST_QUEUE_SECONDS,
} from '@p2p/swarm'
import { describe, expect, it } from 'vitest'

/** 64 pieces of 4 blocks: 256 blocks, more than any pipeline below asks for. */
const PIECES = 64
const BLOCKS_PER_PIECE = 4

function picker(pieces = PIECES): PiecePicker {
  return new PiecePicker({
    pieceCount: pieces,
    pieceLength: () => BLOCKS_PER_PIECE * BLOCK_SIZE,
    randomFirst: 0,
    random: () => 0,
  })
}

function view(over: Partial<PeerRequestView> = {}): PeerRequestView {
  return {
    bits: 'all',
    interested: true,
    choked: false,
    allowedFast: new Set(),
    suggested: [],
    parole: false,
    snubbed: false,
    rate: 0,
    maxOutstanding: 500,
    inFlight: 0,
    ...over,
  }
}

/** A rate that makes the pipeline `blocks` long (3 s of transfer; half a block less, against rounding). */
const rateFor = (blocks: number) => ((blocks - 0.5) * BLOCK_SIZE) / REQUEST_QUEUE_SECONDS
const only = (...pieces: number[]): PeerPieces => ({ get: (i) => pieces.includes(i) })
/** Piece buffers without a bound. */
const UNBOUNDED = { room: Number.POSITIVE_INFINITY }

describe('planRequests', () => {
  it('gives a snubbed peer no block outside the endgame', () => {
    const p = picker()
    expect(planRequests(p, 'peer', view({ snubbed: true }), UNBOUNDED).blocks).toEqual([])
    expect(planRequests(p, 'peer', view(), UNBOUNDED).blocks.length).toBeGreaterThan(0)
  })

  const cases: {
    name: string
    view: Partial<PeerRequestView>
    room?: number
    count: number
    pieces?: number[]
  }[] = [
    { name: 'nothing unless we are interested', view: { interested: false }, count: 0 },
    { name: 'nothing while choked without allowed-fast pieces', view: { choked: true }, count: 0 },
    {
      name: 'only allowed-fast pieces while choked',
      view: { choked: true, allowedFast: new Set([5, 9]) },
      count: 2 * BLOCKS_PER_PIECE,
      pieces: [5, 9],
    },
    { name: 'a slow peer gets the shortest pipeline', view: { rate: 0 }, count: MIN_PIPELINE },
    { name: 'the pipeline covers 3 s of its rate', view: { rate: rateFor(100) }, count: 100 },
    {
      name: 'never more than the wire keeps open',
      view: { rate: rateFor(100), maxOutstanding: 10 },
      count: 10,
    },
    {
      name: 'requests open on the wire count against its limit',
      view: { rate: rateFor(100), maxOutstanding: 40, inFlight: 35 },
      count: 5,
    },
    { name: 'a full wire gets nothing', view: { maxOutstanding: 40, inFlight: 40 }, count: 0 },
    {
      name: 'a peer on parole gets the shortest pipeline',
      view: { parole: true, rate: rateFor(100) },
      count: MIN_PIPELINE,
    },
    {
      name: 'a peer on parole never more than the wire keeps open',
      view: { parole: true, maxOutstanding: 3 },
      count: 3,
    },
    { name: 'only pieces the peer has', view: { bits: only(3, 7) }, count: 8, pieces: [3, 7] },
    { name: 'a peer with nothing we want', view: { bits: only() }, count: 0 },
    { name: 'no new piece when the buffers are full', view: {}, room: 0, count: 0 },
  ]

  it.each(cases)('$name', (c) => {
    const p = picker()
    const plan = planRequests(p, 'peer', view(c.view), { room: c.room ?? Number.POSITIVE_INFINITY })
    expect(plan.blocks).toHaveLength(c.count)
    expect(p.outstanding('peer')).toBe(c.count)
    if (c.pieces)
      expect([...new Set(plan.blocks.map((b) => b.index))].sort((a, b) => a - b)).toEqual(c.pieces)
    if (c.count > 0) expect(plan.inPlace).toBe(true)
  })

  it('asks for suggested pieces first', () => {
    const p = picker()
    const plan = planRequests(
      p,
      'peer',
      view({ suggested: [42], maxOutstanding: BLOCKS_PER_PIECE }),
      UNBOUNDED,
    )
    expect(plan.blocks.map((b) => b.index)).toEqual([42, 42, 42, 42])
    expect(plan.blocks.map((b) => b.begin)).toEqual([0, 1, 2, 3].map((k) => k * BLOCK_SIZE))
  })

  it('with full buffers, continues only pieces already started', () => {
    const p = picker()
    const first = planRequests(p, 'a', view({ maxOutstanding: 2 }), UNBOUNDED)
    expect(first.blocks).toHaveLength(2)
    const started = first.blocks[0]!.index
    const more = planRequests(p, 'b', view(), { room: 0 })
    expect(more.blocks.map((b) => [b.index, b.begin])).toEqual([
      [started, 2 * BLOCK_SIZE],
      [started, 3 * BLOCK_SIZE],
    ])
  })

  it('starts only as many new pieces as the room left by the buffer bound', () => {
    const p = picker()
    const piece = BLOCKS_PER_PIECE * BLOCK_SIZE
    const plan = planRequests(p, 'peer', view({ rate: rateFor(40) }), { room: 2 * piece + piece / 2 })
    expect(new Set(plan.blocks.map((b) => b.index)).size).toBe(2)
    expect(plan.blocks).toHaveLength(2 * BLOCKS_PER_PIECE)
  })

  it('has a peer with nothing in flight race one block another peer holds when nothing is free', () => {
    const p = picker()
    // 'staller' holds the only piece the bound lets start.
    const held = planRequests(p, 'staller', view({ maxOutstanding: BLOCKS_PER_PIECE }), {
      room: BLOCKS_PER_PIECE * BLOCK_SIZE,
    })
    expect(held.blocks).toHaveLength(BLOCKS_PER_PIECE)
    const busy = planRequests(p, 'seed', view(), { room: 0 })
    expect(busy.blocks).toHaveLength(1)
    expect(busy.blocks[0]!.index).toBe(held.blocks[0]!.index)
    expect(busy.inPlace).toBe(false)
    // One at a time: none more while that one is in flight, nor for a peer on parole.
    expect(planRequests(p, 'seed', view(), { room: 0 }).blocks).toEqual([])
    expect(planRequests(p, 'suspect', view({ parole: true }), { room: 0 }).blocks).toEqual([])
  })

  it('waits for a whole batch while a batch is still in flight', () => {
    const p = picker()
    expect(planRequests(p, 'peer', view({ rate: rateFor(70) }), UNBOUNDED).blocks).toHaveLength(70)
    // 30 free slots with 70 open: wait (one write carries a batch).
    expect(planRequests(p, 'peer', view({ rate: rateFor(100) }), UNBOUNDED).blocks).toHaveLength(0)
    // A whole batch free: send it.
    expect(
      planRequests(p, 'peer', view({ rate: rateFor(70 + REFILL_BATCH) }), UNBOUNDED).blocks,
    ).toHaveLength(REFILL_BATCH)
  })

  it('tops up a short pipeline below a batch at once', () => {
    const p = picker()
    expect(planRequests(p, 'peer', view({ rate: rateFor(20) }), UNBOUNDED).blocks).toHaveLength(20)
    expect(planRequests(p, 'peer', view({ rate: rateFor(30) }), UNBOUNDED).blocks).toHaveLength(10)
  })

  it('gives a peer on parole whole pieces of its own', () => {
    const p = picker()
    const mine = planRequests(p, 'suspect', view({ parole: true, maxOutstanding: 2 }), UNBOUNDED)
    expect(mine.blocks).toHaveLength(2)
    const piece = mine.blocks[0]!.index
    const next = (piece + 1) % PIECES
    const other = planRequests(p, 'other', view({ bits: only(piece, next) }), UNBOUNDED)
    expect(other.blocks.map((b) => b.index)).toEqual([next, next, next, next])
  })

  it('bounds the pipeline of a peer on parole by the wire limit, not only by its free slots', () => {
    const p = picker()
    expect(
      planRequests(p, 'suspect', view({ parole: true, maxOutstanding: 2 }), UNBOUNDED).blocks,
    ).toHaveLength(2)
    // The picker still counts 2 as outstanding, the wire none (released on its side): 3 - 2 more.
    const more = planRequests(p, 'suspect', view({ parole: true, maxOutstanding: 3 }), UNBOUNDED)
    expect(more.blocks).toHaveLength(1)
  })

  it('does not write in place once the endgame starts, and duplicates blocks then', () => {
    const p = picker(8) // 32 blocks
    const a = planRequests(p, 'a', view(), UNBOUNDED)
    expect(a.blocks).toHaveLength(MIN_PIPELINE)
    expect(a.inPlace).toBe(true)
    // b takes the last free blocks: the endgame starts with its batch.
    const b = planRequests(p, 'b', view(), UNBOUNDED)
    expect(b.blocks).toHaveLength(32 - MIN_PIPELINE)
    expect(b.inPlace).toBe(false)
    const c = planRequests(p, 'c', view(), UNBOUNDED)
    expect(c.blocks).toHaveLength(MIN_PIPELINE)
    expect(c.inPlace).toBe(false)
  })
})
