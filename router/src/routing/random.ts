/** A source of uniform numbers in [0, 1); `Math.random` in production, seeded in tests. */
export type Random = () => number

/**
 * A small deterministic generator (mulberry32), for tests and simulations that must replay.
 * @example
 * const rng = seededRandom(42)
 * rng() // 0.6011037519201636, the same on every run
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
