/**
 * The typed event emitter the toolkit's long-running objects share (`Client`, `Torrent`,
 * `TrackerClient`, `TrackerServer`): listeners typed per event, `on` returning an unsubscribe, an
 * unheard `'error'` dropped rather than thrown, and a throwing listener that never stops the others.
 *
 * @example
 * ```ts
 * import { TypedEmitter } from '@p2p/events'
 * class Counter extends TypedEmitter<{ tick: (n: number) => void }> {
 *   #n = 0
 *   step() { this.emit('tick', ++this.#n) }
 * }
 * const off = new Counter().on('tick', (n) => console.log(n))
 * ```
 * @packageDocumentation
 */
export { type EventMap, TypedEmitter } from './typed-emitter.js'
