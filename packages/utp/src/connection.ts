import { DelayHistory } from './delay-history.js'
import { UtpError } from './errors.js'
import { Ledbat, TARGET_DELAY_US } from './ledbat.js'
import {
  encodePacket,
  HEADER_LENGTH,
  PacketType,
  type PacketTypeValue,
  padPacket,
  stampPacket,
  type UtpPacket,
} from './packet.js'
import { MAX_RTO_MS, RttEstimator } from './rtt.js'
import { SEQ_MASK, seqAdd, seqDistance, seqLess } from './seq.js'

/** Default datagram size in bytes: fits a 1500-byte MTU behind IPv6, PPPoE and tunnel headers. */
export const DEFAULT_PACKET_SIZE = 1400
/** The largest datagram we read and announce (`node:dgram` hands over whole datagrams up to this). */
export const MAX_DATAGRAM_READ = 65_507
/** Default receive window in bytes. */
export const DEFAULT_RECEIVE_WINDOW = 2 << 20
/**
 * Default send buffer in bytes: `write` returns false above it. Larger than the receive window, so that
 * an ack arriving between two writes of the application finds a window's worth of bytes to send.
 */
export const DEFAULT_SEND_BUFFER = 4 << 20
/** Duplicate acks that mean the packet after them was lost (BEP 29 "packet loss"). */
export const DUP_ACK_LIMIT = 3
/** Packets in flight at most; also the reorder buffer's bound. A power of two. */
export const MAX_PACKETS_IN_FLIGHT = 1024
/** Consecutive timeouts before a connection is declared dead (SYN: {@link SYN_RESENDS}). */
export const MAX_TIMEOUTS = 6
/** SYN retransmissions before a connect fails. */
export const SYN_RESENDS = 4
/** Default interval of keep-alive acks on an idle connection (keeps NAT mappings open), ms. */
export const KEEPALIVE_MS = 29_000
/** Default silence after which a connection is declared dead, ms. */
export const IDLE_TIMEOUT_MS = 90_000
/** How long a gracefully closed connection still re-acks a retransmitted FIN (its last ack may be lost), ms. */
export const LINGER_MS = 10_000
/** Retransmissions of our FIN after the peer's FIN arrived, before closing anyway. */
const FIN_RESENDS = 2
/**
 * Received payload, as a fraction of the receive window, after which we ack at once instead of at the
 * end of the batch: with 64 KiB packets one batch of datagrams can fill the whole window, and a sender
 * that hears nothing until the batch ends sends in stop-and-wait bursts.
 */
const ACK_EVERY_WINDOW_FRACTION = 8
/** Most packets resent for one selective ack. */
const SACK_RESEND_LIMIT = 4
/** Largest selective-ack bitmask we send, in bytes (the length field is one byte; keep it a multiple of 4). */
const MAX_SACK_BYTES = 128
/** uTorrent sends this in timestamp_difference when it has no sample (libtorrent ignores it too). */
const NO_SAMPLE = 0x7fffffff
const RING_MASK = MAX_PACKETS_IN_FLIGHT - 1
/** Sent chunks the write queue keeps before it drops them in one go (instead of one `shift` each). */
const QUEUE_COMPACT = 64
const EMPTY = new Uint8Array(0)

/** What a {@link UtpConnection} asks its shell to do or tells it. */
export interface UtpConnectionHandlers {
  /**
   * Send one datagram to the peer, made of these parts in order (the header, then views of the written
   * bytes: the payload is not copied, so bytes passed to `write` must not change afterwards).
   */
  send(datagram: readonly Uint8Array[]): void
  /** In-order payload from the peer. */
  data(payload: Uint8Array): void
  /** The connection is established (initiator only; an accepted connection starts connected). */
  connect(): void
  /** The send buffer went below its size after a `write` returned false. */
  drain(): void
  /** The peer finished sending (its FIN and everything before it arrived). */
  end(): void
  /** The connection is gone: after both FINs, a RESET, a timeout or `destroy`. Called once. */
  close(error?: UtpError): void
}

/** Options of a {@link UtpConnection}. */
export interface UtpConnectionOptions {
  /** Monotonic clock in milliseconds (fractions allowed). */
  now: () => number
  /** Random integer source for the initial sequence number. Default `Math.random`. */
  random?: () => number
  /**
   * A fixed datagram size in bytes, header included, without MTU probing. Larger sizes only where every
   * peer reads them: libtorrent reads at most 1500 bytes. Default: probed (see `pathMtu`).
   */
  packetSize?: number
  /**
   * The largest datagram the path may carry (the interface MTU less the IP and UDP headers): MTU probing
   * searches between {@link DEFAULT_PACKET_SIZE} (or this, if smaller) and the least of this and what the
   * peer says it reads. Default {@link DEFAULT_PACKET_SIZE} (no probing).
   */
  pathMtu?: number
  /** Receive window in bytes. Default {@link DEFAULT_RECEIVE_WINDOW}. */
  receiveWindow?: number
  /** Send buffer in bytes. Default {@link DEFAULT_SEND_BUFFER}. */
  sendBuffer?: number
  /** LEDBAT target queueing delay in microseconds. Default 100 ms. */
  targetDelayUs?: number
  /** Keep-alive interval in ms. Default {@link KEEPALIVE_MS}. */
  keepAlive?: number
  /** Silence in ms after which the connection times out. Default {@link IDLE_TIMEOUT_MS}. */
  idleTimeout?: number
}

/** Counters of one connection. */
export interface UtpConnectionStats {
  packetsSent: number
  packetsReceived: number
  retransmits: number
  /** Packets ignored: acks outside the window, data too far ahead, unexpected types. */
  dropped: number
  /** Data packets received more than once. */
  duplicates: number
  bytesSent: number
  bytesReceived: number
  timeouts: number
  losses: number
  /** MTU probes sent, and lost (a lost probe is no congestion signal). */
  probes: number
  probesLost: number
}

/** One sent packet waiting for its ack. */
interface OutPacket {
  seq: number
  /** Header and extensions (rewritten by {@link stampPacket} on each transmission). */
  header: Buffer
  /** The payload: views of the written chunks it spans. */
  payload: Uint8Array[]
  /** Payload length (0 for SYN and FIN). */
  size: number
  sentAt: number
  transmissions: number
  /** Timed out: not counted in flight until resent. */
  needResend: boolean
  /** Already fast-retransmitted once for duplicate or selective acks. */
  fastResent: boolean
  /** An MTU probe: sent padded to this many bytes (0: not a probe). */
  probe: number
}

/** States of a {@link UtpConnection}. */
export type UtpConnectionState = 'syn-sent' | 'connected' | 'closed'

/**
 * The sans-I/O uTP connection (BEP 29): packets, time and writes in; datagrams, data and events out
 * through {@link UtpConnectionHandlers}. It owns no socket and no timer: its shell calls
 * {@link UtpConnection.receive} per datagram, {@link UtpConnection.flush} after a batch of datagrams or
 * writes (that is when data and acks go out, so acks are delayed to one per batch), and
 * {@link UtpConnection.tick} periodically (at least every {@link UtpConnection.deadline}).
 *
 * @example
 * ```ts
 * const conn = UtpConnection.connect(0x1234, { send, data, connect, drain, end, close }, { now: performance.now })
 * conn.write(bytes)
 * conn.flush()
 * ```
 */
export class UtpConnection {
  /** Connection id of the packets we receive. */
  readonly recvId: number
  /** Connection id of the packets we send. */
  readonly sendId: number
  /** Counters. */
  readonly stats: UtpConnectionStats = {
    packetsSent: 0,
    packetsReceived: 0,
    retransmits: 0,
    dropped: 0,
    duplicates: 0,
    bytesSent: 0,
    bytesReceived: 0,
    timeouts: 0,
    losses: 0,
    probes: 0,
    probesLost: 0,
  }
  readonly #h: UtpConnectionHandlers
  readonly #now: () => number
  #mss: number
  /** Datagram size known to reach the peer: what data packets use. */
  #mtuFloor: number
  /** Datagram size above which packets are known (or assumed) not to reach the peer. */
  #mtuCeiling: number
  readonly #pathMtu: number
  /** Sequence number of the MTU probe in flight. */
  #probeSeq: number | undefined
  #peerReadsKnown = false
  readonly #receiveWindow: number
  readonly #sendBuffer: number
  readonly #keepAlive: number
  readonly #idleTimeout: number
  readonly #cc: Ledbat
  readonly #rtt = new RttEstimator()
  readonly #delays = new DelayHistory()
  readonly #recentDelays = [Infinity, Infinity, Infinity]
  #recentIndex = 0
  #state: UtpConnectionState
  #synSeq = 0
  #seqNr: number
  #ackedSeq: number
  #ackNr = 0
  readonly #ring: (OutPacket | undefined)[] = new Array(MAX_PACKETS_IN_FLIGHT)
  #outCount = 0
  #resendCount = 0
  #inFlight = 0
  #queue: Uint8Array[] = []
  /** Index in {@link #queue} of the chunk being sent, and the offset in it. */
  #queueIndex = 0
  #queueHead = 0
  #queued = 0
  #drainWanted = false
  readonly #reorder = new Map<number, Uint8Array>()
  #reorderBytes = 0
  #readBuffered = 0
  #eofSeq: number | undefined
  #eofDelivered = false
  #finWanted = false
  #finSeq: number | undefined
  #peerWindow: number
  #replyMicro = 0
  #dupAcks = 0
  #lossSeq: number
  #timeoutAt: number
  #timeouts = 0
  #lastSent: number
  #lastReceived: number
  #ackPending = false
  /** Payload bytes received since our last ack (any packet we send acks). */
  #unacked = 0
  #minRtt = Infinity
  #lingerUntil = -Infinity
  /**
   * Whether the peer has shown it knows our initial sequence number. Until an accepted connection hears
   * anything after the SYN, it sends only its first data packet and re-acks with that sequence number:
   * the initiator takes its ack_nr from the first packet it sees, so a later one would skip the lost ones.
   */
  #confirmed = true
  #initialSeq = 0

  private constructor(
    recvId: number,
    sendId: number,
    state: UtpConnectionState,
    handlers: UtpConnectionHandlers,
    options: UtpConnectionOptions,
  ) {
    this.recvId = recvId
    this.sendId = sendId
    this.#state = state
    this.#h = handlers
    this.#now = options.now
    const fixed = options.packetSize
    this.#pathMtu = fixed ?? options.pathMtu ?? DEFAULT_PACKET_SIZE
    this.#mtuFloor = fixed ?? Math.min(DEFAULT_PACKET_SIZE, this.#pathMtu)
    this.#mtuCeiling = this.#mtuFloor
    this.#mss = this.#mtuFloor - HEADER_LENGTH
    this.#receiveWindow = options.receiveWindow ?? DEFAULT_RECEIVE_WINDOW
    this.#sendBuffer = options.sendBuffer ?? DEFAULT_SEND_BUFFER
    this.#keepAlive = options.keepAlive ?? KEEPALIVE_MS
    this.#idleTimeout = options.idleTimeout ?? IDLE_TIMEOUT_MS
    this.#cc = new Ledbat(this.#mss, options.targetDelayUs ?? TARGET_DELAY_US)
    this.#peerWindow = this.#mss
    this.#seqNr = Math.floor((options.random ?? Math.random)() * 0x10000) & SEQ_MASK
    this.#initialSeq = this.#seqNr
    this.#ackedSeq = seqAdd(this.#seqNr, -1)
    this.#lossSeq = this.#ackedSeq
    const now = this.#now()
    this.#lastSent = now
    this.#lastReceived = now
    this.#timeoutAt = now + this.#rtt.rto
  }

  /** Opens a connection: sends ST_SYN with connection id `recvId`; we then send with `recvId + 1`. */
  static connect(
    recvId: number,
    handlers: UtpConnectionHandlers,
    options: UtpConnectionOptions,
  ): UtpConnection {
    const conn = new UtpConnection(recvId & SEQ_MASK, seqAdd(recvId, 1), 'syn-sent', handlers, options)
    conn.#sendSyn()
    return conn
  }

  /** Accepts the peer's ST_SYN: we receive with its connection id + 1 and send with its id. */
  static accept(
    syn: UtpPacket,
    handlers: UtpConnectionHandlers,
    options: UtpConnectionOptions,
  ): UtpConnection {
    const conn = new UtpConnection(
      seqAdd(syn.connectionId, 1),
      syn.connectionId,
      'connected',
      handlers,
      options,
    )
    conn.#synSeq = syn.seq
    conn.#confirmed = false
    conn.#ackNr = syn.seq
    conn.#peerWindow = syn.windowSize
    conn.#takeTimestamp(syn)
    if (syn.maxDatagram !== undefined) conn.#peerReads(syn.maxDatagram)
    conn.#ackPending = true
    return conn
  }

  /** Current state. */
  get state(): UtpConnectionState {
    return this.#state
  }

  /** Smoothed round-trip time in ms (0 before a sample). */
  get rtt(): number {
    return this.#rtt.rtt
  }

  /** Congestion window in bytes. */
  get cwnd(): number {
    return this.#cc.cwnd
  }

  /** The receive window the peer advertised last, in bytes. */
  get peerWindow(): number {
    return this.#peerWindow
  }

  /** Payload bytes in flight. */
  get inFlight(): number {
    return this.#inFlight
  }

  /** Bytes written but not yet sent. */
  get queued(): number {
    return this.#queued
  }

  /** The latest time (ms) by which {@link UtpConnection.tick} must be called. */
  get deadline(): number {
    return Math.min(this.#timeoutAt, this.#lastSent + this.#keepAlive, this.#lastReceived + this.#idleTimeout)
  }

  /**
   * Queues bytes to send (they go out on {@link UtpConnection.flush}). Returns false once the send buffer
   * is full; `drain` follows when it empties. Bytes written after `end` or `close` are discarded.
   */
  write(data: Uint8Array): boolean {
    if (this.#state === 'closed' || this.#finWanted) return false
    if (data.length > 0) {
      this.#queue.push(data)
      this.#queued += data.length
    }
    if (this.#queued < this.#sendBuffer) return true
    this.#drainWanted = true
    return false
  }

  /** Sends FIN once everything written is sent. */
  end(): void {
    this.#finWanted = true
  }

  /** Tells how many received bytes the application still holds (they shrink the advertised window). */
  setReadBuffered(bytes: number): void {
    const before = this.#window()
    this.#readBuffered = bytes
    if (before < this.#mss && this.#window() >= this.#mss) this.#ackPending = true
  }

  /** Closes at once: sends ST_RESET to a connected peer and reports `close` with `error`. */
  destroy(error?: UtpError): void {
    if (this.#state === 'closed') return
    if (this.#state === 'connected') this.#sendControl(PacketType.RESET)
    this.#close(error)
  }

  /** Whether a closed connection still answers retransmitted FINs (keep it reachable until then). */
  get lingering(): boolean {
    return this.#state === 'closed' && this.#now() < this.#lingerUntil
  }

  /** Handles one packet addressed to this connection (its connection id matched {@link recvId}). */
  receive(p: UtpPacket): void {
    if (this.#state === 'closed') {
      if (this.lingering && (p.type === PacketType.FIN || p.type === PacketType.DATA)) {
        this.#sendControl(PacketType.STATE)
      }
      return
    }
    const now = this.#now()
    if (p.type === PacketType.RESET) {
      this.#close(new UtpError('UTP_RESET', 'connection reset by peer'))
      return
    }
    if (p.type === PacketType.SYN) {
      // Our ack of it was lost: ack again. Any other SYN on this id is a collision or an attack.
      if (this.#state === 'connected' && p.seq === this.#synSeq && p.connectionId === this.sendId) {
        this.#ackPending = true
      } else this.stats.dropped++
      return
    }
    const lastSent = seqAdd(this.#seqNr, -1)
    if (this.#state === 'syn-sent') {
      if (p.ack !== lastSent || p.type === PacketType.FIN) {
        this.stats.dropped++
        return
      }
      this.#state = 'connected'
      // The acceptor's first data packet reuses the sequence number of its ST_STATE.
      this.#ackNr = seqAdd(p.seq, -1)
      this.#h.connect()
      if (this.#state !== 'connected') return
    }
    if (seqLess(lastSent, p.ack) || seqLess(p.ack, seqAdd(this.#ackedSeq, -DUP_ACK_LIMIT))) {
      this.stats.dropped++
      return
    }
    const carriesSeq = p.type === PacketType.DATA || p.type === PacketType.FIN
    if (
      carriesSeq &&
      seqLess(this.#ackNr, p.seq) &&
      seqDistance(this.#ackNr, p.seq) >= MAX_PACKETS_IN_FLIGHT
    ) {
      this.stats.dropped++
      return
    }
    if (p.type === PacketType.DATA && p.payload.length === 0) {
      this.stats.dropped++
      return
    }
    this.stats.packetsReceived++
    if (p.maxDatagram !== undefined) this.#peerReads(p.maxDatagram)
    this.#confirmed = true
    this.#lastReceived = now
    this.#takeTimestamp(p)
    this.#peerWindow = p.windowSize
    this.#timeouts = 0
    this.#timeoutAt = now + this.#rtt.rto
    this.#onAcks(p, now)
    if (this.#state !== 'connected') return
    if (p.type === PacketType.DATA) this.#onData(p.seq, p.payload)
    else if (p.type === PacketType.FIN) this.#onFin(p.seq)
    if (this.#unacked * ACK_EVERY_WINDOW_FRACTION >= this.#receiveWindow && this.#state === 'connected') {
      this.#sendControl(PacketType.STATE)
    }
    this.#maybeFinished()
  }

  /** Sends what the windows allow (retransmissions, new data, FIN) and a pending ack. */
  flush(): void {
    if (this.#state !== 'connected') return
    if (this.#resendCount > 0) this.#resendTimedOut()
    while (this.#queued > 0 && this.#roomForPacket()) {
      const size = Math.min(this.#queued, this.#mss)
      if (!this.#canSend(size)) break
      this.#sendData(size, this.#probeSize(size))
    }
    if (this.#finWanted && this.#finSeq === undefined && this.#queued === 0 && this.#roomForPacket()) {
      this.#finSeq = this.#seqNr
      this.#sendNew(PacketType.FIN)
    }
    if (this.#ackPending) this.#sendControl(PacketType.STATE)
    if (this.#drainWanted && this.#queued < this.#sendBuffer) {
      this.#drainWanted = false
      this.#h.drain()
    }
    this.#maybeFinished()
  }

  /** Handles timers: retransmission timeout (with backoff), keep-alive and idle timeout. */
  tick(): void {
    if (this.#state === 'closed') return
    const now = this.#now()
    if (now >= this.#lastReceived + this.#idleTimeout) {
      this.#close(new UtpError('UTP_TIMEOUT', 'no packet from the peer within the idle timeout'))
      return
    }
    if (now >= this.#timeoutAt) {
      if (this.#outCount > 0 || this.#queued > 0) this.#onTimeout(now)
      else this.#timeoutAt = now + this.#rtt.rto
      if (this.state === 'closed') return
    }
    if (this.#state === 'connected' && now >= this.#lastSent + this.#keepAlive)
      this.#sendControl(PacketType.STATE)
  }

  #onTimeout(now: number): void {
    // The peer said it had no room for a packet: this timeout is a window probe. libtorrent drops data
    // beyond its window and never says when its window reopens, so probe every RTO without backoff and
    // without counting towards the retransmission limit (a dead peer still ends with the idle timeout).
    const windowProbe = this.#state === 'connected' && this.#peerWindow < this.#mss
    if (!windowProbe) this.#timeouts++
    this.stats.timeouts++
    const limit = this.#state === 'syn-sent' ? SYN_RESENDS : MAX_TIMEOUTS
    if (this.#eofDelivered && this.#finSeq === seqAdd(this.#ackedSeq, 1) && this.#timeouts > FIN_RESENDS) {
      // Both sides are done and only the ack of our FIN is missing: the peer closed before acking it.
      this.#close()
      return
    }
    if (this.#timeouts > limit) {
      this.#close(new UtpError('UTP_TIMEOUT', `no ack after ${limit} retransmissions`))
      return
    }
    // A lost MTU probe is no congestion signal (it is resent without its padding below).
    if (this.#probeSeq !== seqAdd(this.#ackedSeq, 1) && !windowProbe) this.#cc.onTimeout(this.#inFlight === 0)
    this.#lossSeq = seqAdd(this.#seqNr, -1)
    for (let s = seqAdd(this.#ackedSeq, 1); s !== this.#seqNr; s = seqAdd(s, 1)) {
      const p = this.#ring[s & RING_MASK]
      if (!p || p.needResend) continue
      p.needResend = true
      this.#resendCount++
      this.#inFlight -= p.size
    }
    const first = this.#ring[seqAdd(this.#ackedSeq, 1) & RING_MASK]
    if (first) this.#resend(first)
    else if (this.#state === 'connected' && this.#queued > 0 && this.#roomForPacket()) {
      // A zero window from the peer: probe it with one packet.
      this.#sendData(Math.min(this.#queued, this.#mss))
    }
    this.#timeoutAt = now + Math.min(this.#rtt.rto * 2 ** this.#timeouts, MAX_RTO_MS)
  }

  #onAcks(p: UtpPacket, now: number): void {
    const prevInFlight = this.#inFlight
    const sample = p.timestampDiff
    let haveDelay = false
    if (sample !== 0 && sample !== NO_SAMPLE) {
      this.#recentDelays[this.#recentIndex] = this.#delays.add(sample, now)
      this.#recentIndex = (this.#recentIndex + 1) % this.#recentDelays.length
      haveDelay = true
    }
    if (p.type === PacketType.STATE && p.ack === this.#ackedSeq && this.#outCount > 0) this.#dupAcks++
    this.#minRtt = Infinity
    let acked = 0
    if (seqLess(this.#ackedSeq, p.ack)) {
      for (let s = seqAdd(this.#ackedSeq, 1); s !== seqAdd(p.ack, 1); s = seqAdd(s, 1)) {
        const out = this.#ring[s & RING_MASK]
        if (out && out.seq === s) acked += this.#ackPacket(out, now)
      }
      this.#ackedSeq = p.ack
      this.#dupAcks = 0
    }
    if (p.sack) acked += this.#onSack(p.ack, p.sack, now)
    while (this.#ackedSeq !== seqAdd(this.#seqNr, -1) && !this.#ring[seqAdd(this.#ackedSeq, 1) & RING_MASK]) {
      this.#ackedSeq = seqAdd(this.#ackedSeq, 1)
    }
    if (this.#dupAcks >= DUP_ACK_LIMIT) {
      const lost = this.#ring[seqAdd(this.#ackedSeq, 1) & RING_MASK]
      if (lost && !lost.fastResent) {
        lost.fastResent = true
        this.#loss(lost.seq, now)
        this.#resend(lost)
      }
    }
    if (acked > 0 && prevInFlight > 0 && haveDelay) {
      // Queueing delay: the least of the last three samples, never more than a round trip.
      let delay = Math.min(...this.#recentDelays)
      if (delay > this.#minRtt * 1000) delay = this.#minRtt * 1000
      const saturated = this.#inFlight + acked + this.#mss > this.#cc.cwnd
      this.#cc.onAck(acked, prevInFlight, delay, saturated)
    }
  }

  #onSack(ack: number, mask: Uint8Array, now: number): number {
    let acked = 0
    const bits = mask.length * 8
    const sent = seqDistance(ack, this.#seqNr) - 2 // bits that can refer to packets we sent
    const usable = Math.min(bits, Math.max(0, sent))
    for (let i = 0; i < usable; i++) {
      if ((mask[i >> 3]! & (1 << (i & 7))) === 0) continue
      const s = seqAdd(ack, 2 + i)
      const out = this.#ring[s & RING_MASK]
      if (out && out.seq === s) acked += this.#ackPacket(out, now)
    }
    // A packet with at least three acked packets after it is lost (BEP 29 "packet loss").
    let after = 0
    let resent = 0
    for (let i = usable - 1; i >= -1 && resent < SACK_RESEND_LIMIT; i--) {
      if (i >= 0 && (mask[i >> 3]! & (1 << (i & 7))) !== 0) {
        after++
        continue
      }
      if (after < DUP_ACK_LIMIT) continue
      const s = seqAdd(ack, 2 + i)
      const out = this.#ring[s & RING_MASK]
      if (!out || out.seq !== s || out.fastResent) continue
      out.fastResent = true
      this.#loss(s, now)
      this.#resend(out)
      resent++
    }
    return acked
  }

  #ackPacket(out: OutPacket, now: number): number {
    if (out.probe > 0) {
      // It got through: packets this large reach the peer.
      this.#probeSeq = undefined
      this.#setMtu(out.probe, this.#mtuCeiling)
    }
    this.#ring[out.seq & RING_MASK] = undefined
    this.#outCount--
    if (out.needResend) this.#resendCount--
    else this.#inFlight -= out.size
    if (out.transmissions === 1) {
      const rtt = now - out.sentAt
      this.#rtt.sample(rtt)
      if (rtt < this.#minRtt) this.#minRtt = rtt
    }
    return out.size
  }

  #loss(seq: number, now: number): void {
    if (seq === this.#probeSeq) return
    this.stats.losses++
    if (!seqLess(this.#lossSeq, seq)) return
    this.#lossSeq = seqAdd(this.#seqNr, -1)
    this.#cc.onLoss(now)
  }

  #onData(seq: number, payload: Uint8Array): void {
    this.#ackPending = true
    this.#unacked += payload.length
    if (this.#eofSeq !== undefined && !seqLess(seq, this.#eofSeq)) {
      this.stats.dropped++
      return
    }
    if (seq === seqAdd(this.#ackNr, 1)) {
      this.#ackNr = seq
      this.#deliver(payload)
      this.#drainReorder()
    } else if (seqLess(this.#ackNr, seq) && !this.#reorder.has(seq)) {
      if (this.#reorderBytes + payload.length > this.#receiveWindow) {
        // Beyond the window we advertised: the sender will resend it.
        this.stats.dropped++
        return
      }
      this.#reorder.set(seq, payload)
      this.#reorderBytes += payload.length
    } else this.stats.duplicates++
  }

  #onFin(seq: number): void {
    this.#ackPending = true
    if (this.#eofSeq !== undefined) return
    // Data after the FIN can never be delivered.
    for (const s of this.#reorder.keys()) if (!seqLess(s, seq)) this.#reorder.delete(s)
    this.#eofSeq = seq
    this.#drainReorder()
  }

  #drainReorder(): void {
    for (;;) {
      const next = seqAdd(this.#ackNr, 1)
      if (next === this.#eofSeq) {
        this.#ackNr = next
        if (!this.#eofDelivered) {
          this.#eofDelivered = true
          this.#h.end()
        }
        return
      }
      const payload = this.#reorder.get(next)
      if (!payload) return
      this.#reorder.delete(next)
      this.#reorderBytes -= payload.length
      this.#ackNr = next
      this.#deliver(payload)
      if (this.#state !== 'connected') return
    }
  }

  #deliver(payload: Uint8Array): void {
    this.stats.bytesReceived += payload.length
    this.#h.data(payload)
  }

  #maybeFinished(): void {
    if (this.#state !== 'connected' || !this.#eofDelivered || this.#finSeq === undefined) return
    if (seqLess(this.#ackedSeq, this.#finSeq)) return
    if (this.#ackPending) this.#sendControl(PacketType.STATE)
    this.#lingerUntil = this.#now() + LINGER_MS
    this.#close()
  }

  #window(): number {
    return Math.max(0, this.#receiveWindow - this.#reorderBytes - this.#readBuffered)
  }

  #roomForPacket(): boolean {
    if (!this.#confirmed && this.#seqNr !== this.#initialSeq) return false
    return seqDistance(this.#ackedSeq, this.#seqNr) < MAX_PACKETS_IN_FLIGHT - 1
  }

  #canSend(size: number): boolean {
    if (this.#inFlight === 0) return this.#peerWindow >= size
    return this.#inFlight + size <= Math.min(this.#cc.cwnd, this.#peerWindow)
  }

  #resendTimedOut(): void {
    for (let s = seqAdd(this.#ackedSeq, 1); s !== this.#seqNr && this.#resendCount > 0; s = seqAdd(s, 1)) {
      const out = this.#ring[s & RING_MASK]
      if (!out?.needResend) continue
      if (!this.#canSend(out.size)) return
      this.#resend(out)
    }
  }

  #resend(out: OutPacket): void {
    if (out.probe > 0) {
      // Lost (or late): assume it was too large, as libtorrent does; resend it as a plain data packet.
      this.stats.probesLost++
      this.#probeSeq = undefined
      this.#setMtu(this.#mtuFloor, Math.max(this.#mtuFloor, out.probe - 1))
      out.probe = 0
    }
    if (out.needResend) {
      out.needResend = false
      this.#resendCount--
      this.#inFlight += out.size
    }
    this.stats.retransmits++
    this.#transmit(out)
  }

  #sendSyn(): void {
    this.#synSeq = this.#seqNr
    const { bytes } = encodePacket(this.#header(PacketType.SYN, this.recvId), 0, {
      maxDatagram: MAX_DATAGRAM_READ,
    })
    this.#track(bytes, [], 0)
  }

  /** The peer says how large a datagram it reads: the ceiling of the MTU search. */
  #peerReads(maxDatagram: number): void {
    if (this.#peerReadsKnown) return
    this.#peerReadsKnown = true
    this.#setMtu(this.#mtuFloor, Math.min(this.#pathMtu, maxDatagram))
  }

  /**
   * The size of an MTU probe to send with the next data packet of `size` payload bytes, or 0 (libtorrent's
   * rule: one probe at a time, the midpoint of the search, once the window holds more than three packets
   * so that packets around the probe tell its loss from congestion).
   */
  #probeSize(size: number): number {
    // Padding takes at least 2 bytes: the search ends one byte short of a ceiling it cannot reach.
    if (this.#probeSeq !== undefined || this.#mtuCeiling - this.#mtuFloor < 2) return 0
    if (size < this.#mss || this.#cc.cwnd <= 3 * this.#mtuFloor) return 0
    return Math.max(this.#mtuFloor + 2, (this.#mtuFloor + this.#mtuCeiling + 1) >> 1)
  }

  #setMtu(floor: number, ceiling: number): void {
    this.#mtuFloor = Math.max(this.#mtuFloor, floor)
    this.#mtuCeiling = Math.max(this.#mtuFloor, ceiling)
    this.#mss = this.#mtuFloor - HEADER_LENGTH
    this.#cc.mss = this.#mss
    if (this.#cc.cwnd < this.#mss) this.#cc.cwnd = this.#mss
  }

  /** Datagram size data packets use now (MTU probing raises it). */
  get packetSize(): number {
    return this.#mtuFloor
  }

  #sendData(size: number, probe = 0): void {
    const { bytes } = encodePacket(this.#header(PacketType.DATA, this.sendId), 0)
    const payload: Uint8Array[] = []
    let need = size
    while (need > 0) {
      const chunk = this.#queue[this.#queueIndex]!
      const take = Math.min(chunk.length - this.#queueHead, need)
      payload.push(take === chunk.length ? chunk : chunk.subarray(this.#queueHead, this.#queueHead + take))
      need -= take
      this.#queueHead += take
      if (this.#queueHead === chunk.length) {
        this.#queue[this.#queueIndex++] = EMPTY
        this.#queueHead = 0
      }
    }
    if (this.#queueIndex === this.#queue.length) {
      this.#queue = []
      this.#queueIndex = 0
    } else if (this.#queueIndex >= QUEUE_COMPACT) {
      this.#queue = this.#queue.slice(this.#queueIndex)
      this.#queueIndex = 0
    }
    this.#queued -= size
    this.stats.bytesSent += size
    this.#track(bytes, payload, size, probe)
  }

  /** Sends a packet without payload that takes a sequence number (FIN). */
  #sendNew(type: PacketTypeValue): void {
    const { bytes } = encodePacket(this.#header(type, this.sendId), 0)
    this.#track(bytes, [], 0)
  }

  #track(header: Buffer, payload: Uint8Array[], size: number, probe = 0): void {
    if (probe > 0) {
      this.#probeSeq = this.#seqNr
      this.stats.probes++
    }
    const out: OutPacket = {
      seq: this.#seqNr,
      header,
      payload,
      size,
      sentAt: 0,
      transmissions: 0,
      needResend: false,
      fastResent: false,
      probe,
    }
    if (this.#outCount === 0) this.#timeoutAt = this.#now() + this.#rtt.rto
    this.#ring[this.#seqNr & RING_MASK] = out
    this.#outCount++
    this.#inFlight += size
    this.#seqNr = seqAdd(this.#seqNr, 1)
    this.#transmit(out)
  }

  #transmit(out: OutPacket): void {
    const now = this.#now()
    stampPacket(out.header, this.#micros(now), this.#replyMicro, this.#window(), this.#ackNr)
    out.sentAt = now
    out.transmissions++
    if (this.#reorder.size === 0) {
      this.#ackPending = false
      this.#unacked = 0
    }
    const header = out.probe > 0 ? padPacket(out.header, out.probe - out.size) : out.header
    this.#emit(out.payload.length === 0 ? [header] : [header, ...out.payload], now)
  }

  #sendControl(type: PacketTypeValue): void {
    const now = this.#now()
    const header = this.#header(type, this.sendId)
    header.timestamp = this.#micros(now)
    const { bytes } = encodePacket(
      header,
      0,
      type === PacketType.STATE ? { sack: this.#sack(), maxDatagram: MAX_DATAGRAM_READ } : {},
    )
    this.#ackPending = false
    this.#unacked = 0
    this.#emit([bytes], now)
  }

  #emit(datagram: readonly Uint8Array[], now: number): void {
    this.#lastSent = now
    this.stats.packetsSent++
    this.#h.send(datagram)
  }

  #header(type: PacketTypeValue, connectionId: number) {
    return {
      type,
      connectionId,
      timestamp: 0,
      timestampDiff: this.#replyMicro,
      windowSize: this.#window(),
      seq: this.#confirmed ? this.#seqNr : this.#initialSeq,
      ack: this.#ackNr,
    }
  }

  /** The selective ack of the reorder buffer: bit i says `ack_nr + 2 + i` arrived. */
  #sack(): Uint8Array | undefined {
    if (this.#reorder.size === 0) return undefined
    let highest = 0
    for (const s of this.#reorder.keys()) highest = Math.max(highest, seqDistance(this.#ackNr, s) - 2)
    const length = Math.min(MAX_SACK_BYTES, (Math.floor(highest / 32) + 1) * 4)
    const mask = new Uint8Array(length)
    for (const s of this.#reorder.keys()) {
      const i = seqDistance(this.#ackNr, s) - 2
      if (i >= 0 && i < length * 8) mask[i >> 3]! |= 1 << (i & 7)
    }
    return mask
  }

  #takeTimestamp(p: UtpPacket): void {
    if (p.timestamp !== 0) this.#replyMicro = (this.#micros(this.#now()) - p.timestamp) >>> 0
  }

  #micros(now: number): number {
    return Math.floor(now * 1000) >>> 0
  }

  #close(error?: UtpError): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    this.#queue = []
    this.#queueIndex = 0
    this.#queued = 0
    this.#reorder.clear()
    this.#ring.fill(undefined)
    this.#h.close(error)
  }
}
