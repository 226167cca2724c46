/** Smallest number of slots a table starts with. */
const MIN_SLOTS = 16

/**
 * A hash table from non-negative 31-bit integers to values that reuses its memory: entries live in
 * slots (freed slots are reused) and the index is open-addressed with linear probing over an
 * `Int32Array`, with backward-shift deletion (no tombstones). It only allocates when it holds more
 * entries than ever before.
 *
 * Why not a `Map`: V8 rehashes a `Map` into a newly allocated table each time its deleted entries
 * fill the free capacity, and shrinks it into another one when it empties, so a map with a steady
 * flow of adds and deletes (a wire's outstanding block requests: 64 Ki per GiB) allocates a table
 * every few hundred operations. Those tables live long enough to reach V8's old generation, where
 * they piled up as several MiB of garbage per GiB between full GCs.
 *
 * Iterating with {@link IntTable.entries} while entries are added or deleted is safe: a deleted
 * entry not yet visited is not visited, an added one may or may not be.
 */
export class IntTable<V> {
  /** Slot + 1 of the entry in each bucket, 0 when empty. Twice as many buckets as slots. */
  #buckets = new Int32Array(MIN_SLOTS * 2)
  #mask = MIN_SLOTS * 2 - 1
  /** 32 - log2(buckets): the hash is the top bits of the key times the golden ratio. */
  #shift = 32 - Math.log2(MIN_SLOTS * 2)
  /** Key of each slot. */
  #keys = new Int32Array(MIN_SLOTS)
  /** Value of each slot; `undefined` when the slot is free. */
  readonly #values: (V | undefined)[] = []
  /** Free slots below {@link IntTable.#used}. */
  readonly #free: number[] = []
  /** Slots handed out so far (free or not). */
  #used = 0
  #size = 0

  /** Entries in the table. */
  get size(): number {
    return this.#size
  }

  /** The value of `key`, if any. */
  get(key: number): V | undefined {
    const b = this.#find(key)
    return b < 0 ? undefined : this.#values[this.#buckets[b]! - 1]
  }

  /** Sets the value of `key` (a non-negative integer below 2^31). */
  set(key: number, value: V): void {
    if (!(key >= 0 && key <= 0x7fffffff && Number.isInteger(key))) {
      throw new RangeError(`expected a key in 0..2^31-1, got ${key}`)
    }
    const found = this.#find(key)
    if (found >= 0) {
      this.#values[this.#buckets[found]! - 1] = value
      return
    }
    if (this.#free.length === 0 && this.#used === this.#keys.length) this.#grow()
    const slot = this.#free.pop() ?? this.#used++
    this.#keys[slot] = key
    this.#values[slot] = value
    let b = this.#hash(key)
    while (this.#buckets[b] !== 0) b = (b + 1) & this.#mask
    this.#buckets[b] = slot + 1
    this.#size++
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: number): boolean {
    let b = this.#find(key)
    if (b < 0) return false
    const slot = this.#buckets[b]! - 1
    this.#values[slot] = undefined
    this.#free.push(slot)
    this.#size--
    // Backward-shift deletion: move later entries of the probe run into the hole when their home
    // bucket allows it, so lookups never need tombstones.
    const mask = this.#mask
    for (let next = (b + 1) & mask; this.#buckets[next] !== 0; next = (next + 1) & mask) {
      const home = this.#hash(this.#keys[this.#buckets[next]! - 1]!)
      // The entry at `next` may move to `b` unless its home lies cyclically in (b, next].
      if (((next - home) & mask) >= ((next - b) & mask)) {
        this.#buckets[b] = this.#buckets[next]!
        b = next
      }
    }
    this.#buckets[b] = 0
    return true
  }

  /** Every entry as `[key, value]`, in no particular order. */
  *entries(): Generator<[number, V], void, undefined> {
    for (let slot = 0; slot < this.#used; slot++) {
      const v = this.#values[slot]
      if (v !== undefined) yield [this.#keys[slot]!, v]
    }
  }

  /** Removes every entry (keeping the memory for reuse). */
  clear(): void {
    this.#buckets.fill(0)
    this.#values.length = 0
    this.#free.length = 0
    this.#used = 0
    this.#size = 0
  }

  /** The bucket holding `key`, or -1. */
  #find(key: number): number {
    const buckets = this.#buckets
    const keys = this.#keys
    for (let b = this.#hash(key); ; b = (b + 1) & this.#mask) {
      const s = buckets[b]!
      if (s === 0) return -1
      if (keys[s - 1] === key) return b
    }
  }

  #hash(key: number): number {
    // Fibonacci hashing: consecutive keys (the blocks of a piece) spread over the buckets.
    return Math.imul(key, 0x9e3779b1) >>> this.#shift
  }

  /** Doubles the slots and buckets (all slots are in use, so every entry is re-indexed). */
  #grow(): void {
    const slots = this.#keys.length * 2
    const keys = new Int32Array(slots)
    keys.set(this.#keys)
    this.#keys = keys
    this.#buckets = new Int32Array(slots * 2)
    this.#mask = slots * 2 - 1
    this.#shift--
    for (let slot = 0; slot < this.#used; slot++) {
      let b = this.#hash(keys[slot]!)
      while (this.#buckets[b] !== 0) b = (b + 1) & this.#mask
      this.#buckets[b] = slot + 1
    }
  }
}
