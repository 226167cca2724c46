import { type BencodeDict, type Encodable, encode, rawBytes, toText } from '@p2p/bencode'
import { encodeCompactPeers, type IpFamily, ipFamily, ipToBytes, type PeerAddress } from '@p2p/peer-address'
import { encodeCompactNodes } from './compact-nodes.js'
import { KrpcErrorCode } from './errors.js'
import type { ItemStore } from './item-store.js'
import { encodeError, encodeResponse, type KrpcQuery } from './krpc.js'
import { ID_LENGTH } from './node-id.js'
import type { PeerStore } from './peer-store.js'
import type { RoutingTable } from './routing-table.js'
import type { TokenSecrets } from './tokens.js'

/** BEP 32: no datagram over 1024 bytes is sent; answers are cut to fit. */
export const MAX_PACKET_BYTES = 1024
/** Peers offered in one `get_peers` answer before the packet limit trims them. */
const MAX_VALUES = 50
/** BEP 51: infohashes sampled per answer (20 x 20 bytes keeps the answer well under 1024 bytes). */
const MAX_SAMPLES = 20
/** BEP 51: seconds before an indexer should ask the same node again. */
export const SAMPLE_INTERVAL_S = 60

/** What the responder reads from the node. */
export interface ResponderState {
  /** Our node id. */
  id: Uint8Array
  /** Routing table per address family we run. */
  tables: ReadonlyMap<IpFamily, RoutingTable>
  /** Write tokens. */
  tokens: TokenSecrets
  /** Announced peers. */
  peers: PeerStore
  /** BEP 44 items. */
  items: ItemStore
  /** Current time (ms). */
  now: number
}

/**
 * Answers one KRPC query (BEP 5, 44, 51, 32): the encoded response or KRPC error, never larger than
 * {@link MAX_PACKET_BYTES}.
 */
export function answerQuery(state: ResponderState, query: KrpcQuery, from: PeerAddress): Uint8Array {
  const a = query.args
  const reply = (r: Record<string, Encodable | undefined>) =>
    encodeResponse(query.t, { id: state.id, ...r }, compactAddress(from))
  const fail = (code: number, message: string) => encodeError(query.t, code, message)
  const target = a.target ?? a.info_hash
  const nodes = () => (isId(target) ? closestNodes(state, target, a.want, from) : {})
  switch (query.q) {
    case 'ping':
      return reply({})
    case 'find_node':
      if (!isId(a.target)) return fail(KrpcErrorCode.PROTOCOL, 'find_node needs a 20-byte target')
      return reply(nodes())
    case 'get_peers': {
      if (!isId(a.info_hash)) return fail(KrpcErrorCode.PROTOCOL, 'get_peers needs a 20-byte info_hash')
      const family = ipFamily(from.host) || 4
      let values = state.peers.get(a.info_hash, family, MAX_VALUES, state.now)
      const token = state.tokens.issue(from.host)
      for (;;) {
        const out = reply({
          ...nodes(),
          token,
          values: values.length > 0 ? values.map((p) => encodeCompactPeers([p], family)) : undefined,
        })
        if (out.length <= MAX_PACKET_BYTES || values.length === 0) return out
        values = values.slice(0, values.length >> 1)
      }
    }
    case 'announce_peer': {
      if (!isId(a.info_hash)) return fail(KrpcErrorCode.PROTOCOL, 'announce_peer needs a 20-byte info_hash')
      if (!(a.token instanceof Uint8Array) || !state.tokens.check(a.token, from.host)) {
        return fail(KrpcErrorCode.PROTOCOL, 'bad token')
      }
      const port = a.implied_port === 1 ? from.port : a.port
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
        return fail(KrpcErrorCode.PROTOCOL, 'announce_peer needs a port in 1..65535')
      }
      state.peers.add(a.info_hash, { host: from.host, port }, state.now)
      return reply({})
    }
    case 'get': {
      if (!isId(a.target)) return fail(KrpcErrorCode.PROTOCOL, 'get needs a 20-byte target')
      const item = state.items.get(a.target, state.now)
      const token = state.tokens.issue(from.host)
      if (!item) return reply({ ...nodes(), token })
      if (item.seq === undefined) return reply({ ...nodes(), token, v: item.value as Encodable })
      const fresh = typeof a.seq !== 'number' || item.seq > a.seq
      return reply({
        ...nodes(),
        token,
        k: item.k,
        seq: item.seq,
        sig: fresh ? item.sig : undefined,
        v: fresh ? (item.value as Encodable) : undefined,
      })
    }
    case 'put':
      return answerPut(state, query, from, reply, fail)
    case 'sample_infohashes': {
      if (!isId(a.target)) return fail(KrpcErrorCode.PROTOCOL, 'sample_infohashes needs a 20-byte target')
      const samples = state.peers.sample(MAX_SAMPLES)
      return reply({
        ...nodes(),
        interval: SAMPLE_INTERVAL_S,
        num: state.peers.size,
        samples: Buffer.concat(samples),
      })
    }
    default:
      // libtorrent's forward compatibility: an unknown query with a target is answered like find_node.
      if (isId(target)) return reply(nodes())
      return fail(KrpcErrorCode.METHOD_UNKNOWN, `method unknown: ${query.q.slice(0, 32)}`)
  }
}

function answerPut(
  state: ResponderState,
  query: KrpcQuery,
  from: PeerAddress,
  reply: (r: Record<string, Encodable | undefined>) => Uint8Array,
  fail: (code: number, message: string) => Uint8Array,
): Uint8Array {
  const a = query.args
  if (a.v === undefined) return fail(KrpcErrorCode.PROTOCOL, 'put needs a value `v`')
  if (!(a.token instanceof Uint8Array) || !state.tokens.check(a.token, from.host)) {
    return fail(KrpcErrorCode.PROTOCOL, 'bad token')
  }
  const encoded = encodedValue(a)
  const refusal =
    a.k === undefined
      ? state.items.putImmutable(encoded, state.now)
      : a.k instanceof Uint8Array && a.sig instanceof Uint8Array && typeof a.seq === 'number'
        ? state.items.putMutable(
            {
              encoded,
              k: a.k,
              sig: a.sig,
              seq: a.seq,
              salt: a.salt instanceof Uint8Array ? a.salt : new Uint8Array(0),
              cas: typeof a.cas === 'number' ? a.cas : undefined,
            },
            state.now,
          )
        : { code: KrpcErrorCode.PROTOCOL, message: 'mutable put needs k, sig and seq' }
  return refusal ? fail(refusal.code, refusal.message) : reply({})
}

/** The bencoded bytes of a message's `v`, as they appeared on the wire. */
export function encodedValue(dict: BencodeDict): Uint8Array {
  // Integers carry no span; their encoding is canonical, so re-encoding gives the wire bytes.
  return rawBytes(dict.v) ?? encode(dict.v as Encodable)
}

function closestNodes(
  state: ResponderState,
  target: Uint8Array,
  want: BencodeDict[string] | undefined,
  from: PeerAddress,
): { nodes?: Uint8Array; nodes6?: Uint8Array } {
  const wanted = Array.isArray(want) ? want.map((w) => toText(w)) : [ipFamily(from.host) === 6 ? 'n6' : 'n4']
  const out: { nodes?: Uint8Array; nodes6?: Uint8Array } = {}
  const t4 = state.tables.get(4)
  const t6 = state.tables.get(6)
  if (wanted.includes('n4') && t4) out.nodes = encodeCompactNodes(t4.closest(target), 4)
  if (wanted.includes('n6') && t6) out.nodes6 = encodeCompactNodes(t6.closest(target), 6)
  return out
}

/** BEP 42: the requester's address as compact IP + port. */
export function compactAddress(address: PeerAddress): Uint8Array {
  const ip = ipToBytes(address.host)
  const out = new Uint8Array(ip.length + 2)
  out.set(ip)
  out[ip.length] = address.port >> 8
  out[ip.length + 1] = address.port & 0xff
  return out
}

function isId(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === ID_LENGTH
}
