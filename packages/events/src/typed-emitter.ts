/** A map from event name to listener signature. */
export type EventMap = { [event: string]: (...args: never[]) => void }

/**
 * A small typed event emitter. Unlike Node's `EventEmitter`, an `'error'` event without a listener is
 * simply dropped (errors of a long-running client are reports, not crashes), and a throwing listener
 * does not stop the others.
 */
export class TypedEmitter<Events extends EventMap> {
  readonly #listeners = new Map<keyof Events, Set<Events[keyof Events]>>()

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    let set = this.#listeners.get(event)
    if (!set) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    set.add(listener)
    return () => this.off(event, listener)
  }

  /** Adds a listener called at most once. */
  once<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    const wrapper = ((...args: Parameters<Events[E]>) => {
      this.off(event, wrapper)
      ;(listener as (...a: Parameters<Events[E]>) => void)(...args)
    }) as Events[E]
    return this.on(event, wrapper)
  }

  /** Removes a listener. */
  off<E extends keyof Events>(event: E, listener: Events[E]): void {
    this.#listeners.get(event)?.delete(listener)
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0
  }

  /** Calls every listener of `event` with `args`. */
  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.#listeners.get(event)
    if (!set) return
    for (const listener of [...set]) {
      try {
        ;(listener as (...a: Parameters<Events[E]>) => void)(...args)
      } catch (err) {
        queueMicrotask(() => {
          throw err
        })
      }
    }
  }
}
