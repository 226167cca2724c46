// A tracker response, bencoded and decoded through the public entries of @p2p/bencode and
// @p2p/peer-address. Run: pnpm --filter @p2p/example-bencode-roundtrip start
import { decode, encode, rawBytes, toText } from '@p2p/bencode'
import { decodeCompactPeers, encodeCompactPeers } from '@p2p/peer-address'

const peers = [
  { host: '127.0.0.1', port: 6881 },
  { host: '127.0.0.1', port: 6882 },
]
const response = encode({
  interval: 1800,
  'min interval': 60,
  peers: encodeCompactPeers(peers, 4),
  'tracker id': 'demo',
})
console.log(
  `encoded ${response.length} bytes: ${Buffer.from(response)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.')}`,
)

const decoded = decode(response, { spans: true })
console.log('interval:', decoded.interval, 'tracker id:', toText(decoded['tracker id']))
console.log('peers:', decodeCompactPeers(decoded.peers, 4))
console.log('raw span of peers:', rawBytes(decoded.peers).length, 'bytes')

const again = encode(decoded)
const same = again.length === response.length && again.every((b, i) => b === response[i])
console.log(same ? 'round trip: identical bytes' : 'round trip: MISMATCH')
process.exitCode = same ? 0 : 1
