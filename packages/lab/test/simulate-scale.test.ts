import { readFile } from 'node:fs/promises'
import { runSimulation } from '@p2p/lab'
import { tempDir } from '@p2p/test-utils'
import { expect, it } from 'vitest'

const N = 200
const PIECES = 8

it(`simulates a flash crowd of ${N} leechers to the end: every piece of every leecher verified, the report written`, async () => {
  const dir = await tempDir('p2p-lab-sim-scale-')
  try {
    const notes: string[] = []
    const r = await runSimulation({
      peers: [N],
      size: PIECES * 64 * 1024,
      pieces: PIECES,
      arrivals: ['flash'],
      seeders: [1],
      connections: 6,
      // The full clients (N = 200 would otherwise run on the piece-level model): real bytes, SHA-1 checked.
      model: 'wire',
      out: dir.path,
      pdf: false,
      command: 'test',
      onNote: (l) => notes.push(l),
    })
    const [run] = r.runs
    expect(run?.stopped).toBeUndefined()
    expect(run?.completion).toBeGreaterThan(0)
    // Every leecher finished, having verified each piece against the torrent's SHA-1 exactly once.
    expect([...run!.doneAt].filter((t) => Number.isNaN(t))).toEqual([])
    expect(run?.failedPieces).toBe(0)
    expect(run?.verifiedPieces).toBe(N * PIECES)
    expect(run?.spec.pieces).toBe(PIECES)
    expect(notes.at(-1)).toMatch(/events\/s\), peak heap \d+ MB, peak RSS \d+ MB/)
    const html = await readFile(r.reportPath, 'utf8')
    expect(html).toContain(`sim/flash/N=${N}`)
    for (const id of ['sim-completion', 'sim-cdf', 'sim-upload-share'])
      expect(html).toMatch(new RegExp(`data-chart="${id}" data-points="[1-9]`))
    const events = (await readFile(r.eventsPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const end = events.find((e) => e.type === 'run-end')
    expect(end).toMatchObject({ run: `sim/flash/N=${N}`, events: run?.events })
    expect(end.completion).toBe(run?.completion)
  } finally {
    await dir.remove()
  }
}, 240_000)
