/**
 * The place of each id in a list (first come, first placed), for ids that are long strings whose
 * first characters already tell them apart, as the trail's object ids (SHA-1 hex) do. A `Map` hashes
 * each new string whole and grows by copying its table; a trail of thousands of patches made one
 * per command, from strings read fresh out of its cache. This hashes an id's first characters into
 * a table of integers; ids whose hash collide are compared whole, so any strings are placed right.
 */
export class IdIndex {
  /** The ids placed, `size` of them (made at the size expected, not grown a push at a time). */
  readonly #ids: string[];
  /** Each id's hash (a larger table places them again without hashing). */
  #hashes: Uint32Array;
  #size = 0;
  /** Place + 1 of the id in each slot; 0 for none. */
  #slots: Int32Array;

  /** An empty index, its tables sized for `expected` ids (more can be placed). */
  constructor(expected = 0) {
    this.#ids = new Array(expected);
    this.#hashes = new Uint32Array(Math.max(expected, 16));
    let slots = 1 << 6;
    while (slots < 2 * expected) slots *= 2;
    this.#slots = new Int32Array(slots);
  }

  /** How many ids are placed. */
  get size(): number {
    return this.#size;
  }

  /** The place of `id`, or -1 when it has none. */
  placeOf(id: string): number {
    const mask = this.#slots.length - 1;
    for (let s = hashOf(id) & mask; ; s = (s + 1) & mask) {
      const at = this.#slots[s]! - 1;
      if (at < 0) return -1;
      if (this.#ids[at] === id) return at;
    }
  }

  /** The place of `id`, placed at the end when it has none. */
  place(id: string): number {
    const h = hashOf(id);
    const mask = this.#slots.length - 1;
    let s = h & mask;
    for (; ; s = (s + 1) & mask) {
      const at = this.#slots[s]! - 1;
      if (at < 0) break;
      if (this.#ids[at] === id) return at;
    }
    const at = this.#size++;
    this.#ids[at] = id;
    if (at === this.#hashes.length) {
      const more = new Uint32Array(2 * at);
      more.set(this.#hashes);
      this.#hashes = more;
    }
    this.#hashes[at] = h;
    this.#slots[s] = at + 1;
    // At most half full: a probe ends soon at an empty slot.
    if (2 * this.#size > this.#slots.length) this.#grow();
    return at;
  }

  #grow(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let at = 0; at < this.#size; at++) {
      let s = this.#hashes[at]! & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = at + 1;
    }
    this.#slots = slots;
  }
}

/** FNV-1a over the first 8 UTF-16 units and the length (32 bits of a hex id: tables of thousands rarely collide). */
function hashOf(id: string): number {
  let h = 0x811c9dc5 ^ id.length;
  for (let i = 0, n = Math.min(id.length, 8); i < n; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}
