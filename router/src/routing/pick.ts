import type { Random } from './random.ts'
import type { ScoredCandidate } from './score.ts'

/**
 * Load balancing: the best `topK` candidates (best first) in a random order drawn without
 * replacement, each next one with probability proportional to its weight `exp(score)`;
 * then the others in score order. So the best takes most requests without taking all.
 */
export function weightedOrder(scored: ScoredCandidate[], topK: number, rng: Random): ScoredCandidate[] {
  const pool = scored.slice(0, topK)
  const drawn: ScoredCandidate[] = []
  while (pool.length) {
    const best = Math.max(...pool.map((s) => s.score))
    const weights = pool.map((s) => Math.exp(s.score - best))
    let target = rng() * weights.reduce((sum, w) => sum + w, 0)
    let index = 0
    while (index < pool.length - 1 && target >= weights[index]!) target -= weights[index++]!
    drawn.push(pool.splice(index, 1)[0]!)
  }
  return [...drawn, ...scored.slice(topK)]
}

/**
 * Exploration: with probability `share`, an under-measured candidate (chosen uniformly)
 * goes first, so a new provider earns measurements it could not earn from its score.
 * Only when there are both measured and under-measured candidates; returns undefined when
 * this request does not explore.
 */
export function explorationPick(ranked: ScoredCandidate[], share: number, rng: Random): ScoredCandidate | undefined {
  const newcomers = ranked.filter((s) => !s.measured)
  if (!newcomers.length || newcomers.length === ranked.length) return undefined
  if (rng() >= share) return undefined
  return newcomers[Math.floor(rng() * newcomers.length)]
}
