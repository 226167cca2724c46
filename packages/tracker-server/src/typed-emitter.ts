import { EventEmitter } from 'node:events'

/** Event name -> listener argument. */
export type EventMap = Record<string, unknown>

/** A Node EventEmitter whose `on` / `once` / `off` / `emit` are typed by an {@link EventMap}. */
export class TypedEmitter<E extends EventMap> extends EventEmitter {
  override on<K extends keyof E & string>(event: K, listener: (arg: E[K]) => void): this {
    return super.on(event, listener)
  }
  override once<K extends keyof E & string>(event: K, listener: (arg: E[K]) => void): this {
    return super.once(event, listener)
  }
  override off<K extends keyof E & string>(event: K, listener: (arg: E[K]) => void): this {
    return super.off(event, listener)
  }
  override emit<K extends keyof E & string>(event: K, arg: E[K]): boolean {
    return super.emit(event, arg)
  }
}
