import type { Metainfo } from '@p2p/metainfo'
import { lsdHashes } from '@p2p/swarm'
import { expect, it } from 'vitest'

const meta = (fields: Partial<Metainfo>) => ({ private: false, ...fields }) as Metainfo

it('announces a hybrid torrent under its v1 and truncated v2 hashes, and a private torrent under none', () => {
  const v1 = 'aa'.repeat(20)
  const v2 = 'bb'.repeat(32)
  expect(lsdHashes(meta({ infoHash: v1, infoHashV2: v2 }))).toEqual([v1, 'bb'.repeat(20)])
  expect(lsdHashes(meta({ infoHash: v1 }))).toEqual([v1])
  expect(lsdHashes(meta({ infoHashV2: v2 }))).toEqual(['bb'.repeat(20)])
  expect(lsdHashes(meta({ infoHash: v1, infoHashV2: v2, private: true }))).toEqual([])
})
