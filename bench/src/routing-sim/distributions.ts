import { seededRandom, type Random } from '../../../router/src/routing/random.ts'

/** Random draws the simulation needs, all from one seeded `Random` so a run replays exactly. */

/**
 * An independent generator for one purpose (`stream`) of the run seeded by `seed`: the
 * workload, each provider's schedule, the service draws of a policy's run, …
 * @example
 * const workloadRng = substream(1, 2)
 */
export function substream(seed: number, stream: number): Random {
  // Mulberry32 hashes its state, so seeds far apart in this linear map give unrelated sequences.
  return seededRandom(Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b))
}

export function uniform(rng: Random, low: number, high: number): number {
  return low + (high - low) * rng()
}

/** An integer in [low, high], both included. */
export function integer(rng: Random, low: number, high: number): number {
  return low + Math.floor(rng() * (high - low + 1))
}

/** A standard normal draw (Box–Muller). */
export function normal(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())
}

/** A log-normal draw with this median and log-space standard deviation. */
export function logNormal(rng: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng))
}

/** A log-normal factor with mean 1: noise on a duration that leaves its expectation alone. */
export function jitter(rng: Random, sigma: number): number {
  return Math.exp(sigma * normal(rng) - (sigma * sigma) / 2)
}

export function exponential(rng: Random, mean: number): number {
  return -mean * Math.log(1 - rng())
}

/** The index drawn with probability proportional to its weight. */
export function weightedIndex(rng: Random, weights: readonly number[]): number {
  let target = rng() * weights.reduce((sum, w) => sum + w, 0)
  for (let i = 0; i < weights.length - 1; i++) {
    target -= weights[i]!
    if (target < 0) return i
  }
  return weights.length - 1
}

/** Shuffles `items` in place (Fisher–Yates) and returns them. */
export function shuffle<T>(rng: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}
