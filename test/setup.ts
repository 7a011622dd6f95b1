import { expect } from 'vitest';
import { StoredAnchor } from '../src/store/stored-anchor.js';
import { StoredPatch } from '../src/store/stored-patch.js';

/**
 * A patch or anchor read from a cache file holds its fields in the file's stream, not as own
 * properties, so a structural comparison would find nothing to compare (any two would be equal).
 * Compared in tests, it is the plain value it stores (`toJSON`).
 */
const stored = (x: unknown): x is StoredPatch | StoredAnchor => x instanceof StoredPatch || x instanceof StoredAnchor;
expect.addEqualityTesters([
  function storedEquals(a: unknown, b: unknown, customTesters) {
    if (!stored(a) && !stored(b)) return undefined;
    return this.equals(stored(a) ? a.toJSON() : a, stored(b) ? b.toJSON() : b, customTesters);
  },
]);
