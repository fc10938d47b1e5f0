import { describe, it, expect } from 'vitest'
import { RoutingConfig } from './config.ts'
import { explorationPick, weightedOrder } from './pick.ts'
import { seededRandom } from './random.ts'
import { scoreCandidates, type ScoredCandidate } from './score.ts'
import { candidate } from './testing.ts'

const config = RoutingConfig.parse({})

/** Candidates whose weights are `weights` (by price: weight = price ratio squared), measured or not. */
function scored(weights: number[], measured = weights.map(() => true)): ScoredCandidate[] {
  const inputs = weights.map((weight, i) => ({
    candidate: candidate(`p${i}`, { input: 0n, output: BigInt(Math.round(1_000_000 / Math.sqrt(weight))) }),
    stats: { ttftMs: undefined, tokensPerSecond: undefined, successRate: 1, samples: measured[i] ? 100 : 0, rttMs: undefined, inFlight: 0, uptime: undefined },
  }))
  return scoreCandidates(inputs, { promptTokensEstimate: 0 }, config)
}

const ids = (list: ScoredCandidate[]) => list.map((s) => s.candidate.offer.peerId)

describe('weightedOrder', () => {
  it('draws the top K in proportion to their weights, and keeps the rest in score order', () => {
    const list = scored([1, 0.5, 0.5, 0.1, 0.05])
    // A draw just under the first weight's share takes the first; just over it, the second.
    expect(ids(weightedOrder(list, 3, () => 0.49))[0]).toBe('p0')
    expect(ids(weightedOrder(list, 3, () => 0.51))[0]).toBe('p1')
    expect(ids(weightedOrder(list, 3, () => 0.99)).slice(3)).toEqual(['p3', 'p4'])

    const rng = seededRandom(3)
    const firsts = new Map<string, number>()
    for (let i = 0; i < 20_000; i++) {
      const first = ids(weightedOrder(list, 3, rng))[0]!
      firsts.set(first, (firsts.get(first) ?? 0) + 1)
    }
    expect(firsts.get('p0')! / 20_000).toBeCloseTo(0.5, 1)
    expect(firsts.get('p1')! / 20_000).toBeCloseTo(0.25, 1)
    expect(firsts.has('p3')).toBe(false)
  })

  it('returns every candidate once', () => {
    const list = scored([1, 0.9, 0.8, 0.7])
    const rng = seededRandom(9)
    for (let i = 0; i < 100; i++) expect(ids(weightedOrder(list, 3, rng)).sort()).toEqual(['p0', 'p1', 'p2', 'p3'])
  })
})

describe('explorationPick', () => {
  it('picks an under-measured candidate with the given probability', () => {
    const list = scored([1, 1, 1], [true, true, false])
    expect(explorationPick(list, 0.05, () => 0.04)?.candidate.offer.peerId).toBe('p2')
    expect(explorationPick(list, 0.05, () => 0.05)).toBeUndefined()
  })

  it('does not explore when every candidate, or none, is under-measured', () => {
    expect(explorationPick(scored([1, 1]), 1, () => 0)).toBeUndefined()
    expect(explorationPick(scored([1, 1], [false, false]), 1, () => 0)).toBeUndefined()
  })
})
