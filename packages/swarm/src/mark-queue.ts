/**
 * @internal Items marked for some work, each once, in marking order; taking one unmarks it (so it can
 * be marked again while the work runs). Unlike a `Set` it reuses its memory: V8 rehashes a `Set`
 * that empties into a newly allocated table, and once the set's table lives in the old generation
 * so do the new ones, so a set emptied once per I/O turn piled up megabytes of old-generation
 * garbage per GiB downloaded. Marking is linear in the items already marked (a few, per turn).
 */
export class MarkQueue<T> {
  readonly #items: (T | undefined)[] = []
  #head = 0
  #end = 0

  /** Items marked and not taken yet. */
  get size(): number {
    return this.#end - this.#head
  }

  /** Marks `item` (nothing when it is already marked). */
  add(item: T): void {
    if (this.#has(item, this.#end)) return
    this.#items[this.#end++] = item
  }

  /** Marks every item of `items` (distinct items, such as a set's). */
  addAll(items: Iterable<T>): void {
    const end = this.#end
    for (const item of items) if (!this.#has(item, end)) this.#items[this.#end++] = item
  }

  /** Unmarks and returns the first marked item; `undefined` when none is. */
  take(): T | undefined {
    if (this.#head === this.#end) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head++] = undefined
    if (this.#head === this.#end) this.#head = this.#end = 0
    return item
  }

  /** Unmarks everything. */
  clear(): void {
    this.#items.fill(undefined, this.#head, this.#end)
    this.#head = this.#end = 0
  }

  /** Whether `item` is marked among the items before `end`. */
  #has(item: T, end: number): boolean {
    for (let i = this.#head; i < end; i++) if (this.#items[i] === item) return true
    return false
  }
}
