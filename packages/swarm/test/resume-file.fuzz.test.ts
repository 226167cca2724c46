import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Bitfield, readResumeFile, SwarmError, writeResumeFile } from '@p2p/swarm'
import { tempDir } from '@p2p/test-utils'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/** Runs per property: small in CI, more with `pnpm fuzz` (FUZZ_RUNS). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
const ih = new Uint8Array(20).fill(3)
const expected = { infoHash: ih, pieceCount: 37, fileCount: 3 }

describe('fuzz: resume files', () => {
  let dir: { path: string; remove: () => Promise<void> }
  let valid: Uint8Array
  beforeAll(async () => {
    dir = await tempDir('swarm-resume-fuzz-')
    const have = new Bitfield(37)
    for (const i of [0, 5, 36]) have.set(i)
    const path = join(dir.path, 'valid.resume')
    await writeResumeFile(path, {
      infoHash: ih,
      have,
      files: [{ size: 10, mtimeMs: 5 }, undefined, { size: 3, mtimeMs: 9 }],
      filePriorities: [4, 0, 7],
    })
    const { readFile } = await import('node:fs/promises')
    valid = new Uint8Array(await readFile(path))
  })
  afterAll(() => dir.remove())

  it('a mutated resume file loads consistently or fails with SWARM_BAD_RESUME', async () => {
    const path = join(dir.path, 'fuzz.resume')
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom('flip', 'cut', 'insert')), {
          minLength: 1,
          maxLength: 4,
        }),
        async (edits) => {
          let b = valid.slice()
          for (const [at, value, kind] of edits) {
            const i = at % Math.max(1, b.length)
            if (kind === 'flip') b[i] = value
            else if (kind === 'cut') b = b.slice(0, i)
            else b = Uint8Array.from([...b.subarray(0, i), value, ...b.subarray(i)])
          }
          await writeFile(path, b)
          try {
            const r = await readResumeFile(path, expected)
            expect(r!.have.length).toBe(37)
            expect(r!.files).toHaveLength(3)
            for (const f of r!.files) if (f) expect(f.size).toBeGreaterThanOrEqual(0)
            if (r!.filePriorities) expect(r!.filePriorities).toHaveLength(3)
          } catch (err) {
            expect(err).toBeInstanceOf(SwarmError)
            expect((err as SwarmError).code).toBe('SWARM_BAD_RESUME')
          }
        },
      ),
      { numRuns: RUNS },
    )
  })
})
