// A tracker response and a tiny torrent, bencoded and decoded through the public entries of
// @p2p/bencode and @p2p/peer-address. Run: pnpm --filter @p2p/example-bencode-roundtrip start
import { createHash } from 'node:crypto'
import { BencodeError, decode, encode, rawBytes, toText } from '@p2p/bencode'
import { decodeCompactPeers, encodeCompactPeers } from '@p2p/peer-address'

const printable = (bytes) =>
  Buffer.from(bytes)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.')

// 1. A tracker response: encode, decode, read the compact peers back.
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
console.log(`encoded ${response.length} bytes: ${printable(response)}`)

const decoded = decode(response, { spans: true })
console.log('interval:', decoded.interval, 'tracker id:', toText(decoded['tracker id']))
console.log('peers:', decodeCompactPeers(decoded.peers, 4))
console.log('raw span of peers:', rawBytes(decoded.peers).length, 'bytes')

const again = encode(decoded)
const same = again.length === response.length && again.every((b, i) => b === response[i])
console.log(same ? 'round trip: identical bytes' : 'round trip: MISMATCH')

// 2. A torrent: the info hash is SHA-1 of the info dict's raw bytes, taken from the input as is.
const torrent = encode({
  announce: 'http://127.0.0.1:6969/announce',
  info: { length: 5, name: 'hello.txt', 'piece length': 16384, pieces: new Uint8Array(20) },
})
const meta = decode(torrent, { spans: true })
const infoHash = createHash('sha1').update(rawBytes(meta.info)).digest('hex')
console.log(`torrent ${toText(meta.info.name)}: info hash ${infoHash}`)

// 3. Hostile input is a coded error with the byte offset, never a crash.
for (const bad of ['i03e', 'd1:bi1e1:ai2ee', '999999999:x', 'l'.repeat(1000)]) {
  try {
    decode(Buffer.from(bad))
    console.log(`accepted ${bad.slice(0, 16)}?!`)
    process.exitCode = 1
  } catch (err) {
    if (!(err instanceof BencodeError)) throw err
    console.log(`rejected ${JSON.stringify(bad.slice(0, 16))}: ${err.code} at byte ${err.offset}`)
  }
}
if (!same) process.exitCode = 1
