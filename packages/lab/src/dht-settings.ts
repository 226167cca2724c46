/**
 * Per-address query rate every lab DHT node accepts: in loopback mode every node sends from
 * 127.0.0.1, so the default per-address limit (20/s) would throttle the lab itself (as the lab's
 * tracker runs without its per-IP limit).
 */
export const LAB_DHT_RATE_LIMIT = { perSecond: 10_000, burst: 20_000 }
