import { describe, it, expect } from 'vitest'
import { RoutingConfig } from './config.ts'
import type { ProviderStats } from './measurements.ts'
import { scoreCandidates, sortByMetric, type ScoreInput } from './score.ts'
import { candidate, type ModelOfferOverrides } from './testing.ts'

const config = RoutingConfig.parse({})
const request = { promptTokensEstimate: 1_000, maxTokens: 256 }

function stats(overrides: Partial<ProviderStats> = {}): ProviderStats {
  return { ttftMs: undefined, tokensPerSecond: undefined, successRate: undefined, samples: 0, rttMs: undefined, inFlight: 0, uptime: undefined, ...overrides }
}

const measured = (overrides: Partial<ProviderStats> = {}) => stats({ ttftMs: 300, tokensPerSecond: 50, successRate: 1, samples: 20, ...overrides })

function input(peerId: string, model: ModelOfferOverrides, providerStats: ProviderStats): ScoreInput {
  return { candidate: candidate(peerId, model), stats: providerStats }
}

const peers = (scored: { candidate: { offer: { peerId: string } } }[]) => scored.map((s) => s.candidate.offer.peerId)

describe('scoreCandidates', () => {
  it('puts the cheaper provider first when quality is equal', () => {
    const scored = scoreCandidates(
      [input('dear', { input: 200_000n, output: 400_000n }, measured()), input('cheap', { input: 100_000n, output: 200_000n }, measured())],
      request,
      config,
    )
    expect(peers(scored)).toEqual(['cheap', 'dear'])
    expect(scored[0]!.score).toBe(0)
    // Twice the price, squared (the default price weight is 2): a quarter of the weight.
    expect(Math.exp(scored[1]!.score)).toBeCloseTo(0.25, 2)
  })

  it('lets a much faster provider beat a slightly cheaper one under the default weights', () => {
    const scored = scoreCandidates(
      [
        input('cheap-slow', { input: 100_000n, output: 200_000n }, measured({ tokensPerSecond: 20, ttftMs: 900 })),
        input('fast', { input: 110_000n, output: 220_000n }, measured({ tokensPerSecond: 120, ttftMs: 250 })),
      ],
      request,
      config,
    )
    expect(peers(scored)).toEqual(['fast', 'cheap-slow'])
  })

  it('but not a much cheaper one', () => {
    const scored = scoreCandidates(
      [
        input('cheap', { input: 100_000n, output: 200_000n }, measured({ tokensPerSecond: 40 })),
        input('fast', { input: 400_000n, output: 800_000n }, measured({ tokensPerSecond: 60 })),
      ],
      request,
      config,
    )
    expect(peers(scored)).toEqual(['cheap', 'fast'])
  })

  it('marks down unreliable and loaded providers', () => {
    const flaky = scoreCandidates([input('ok', {}, measured()), input('flaky', {}, measured({ successRate: 0.5 }))], request, config)
    expect(peers(flaky)).toEqual(['ok', 'flaky'])
    expect(flaky[1]!.successRate).toBeCloseTo((0.5 * 20 + 1) / 21, 9)

    const loaded = scoreCandidates([input('busy', { maxConcurrency: 4 }, measured({ inFlight: 3 })), input('idle', { maxConcurrency: 4 }, measured())], request, config)
    expect(peers(loaded)).toEqual(['idle', 'busy'])
    expect(loaded[1]!.load).toBe(0.75)
  })

  it('counts the advertised load only as a discounted hint on top of its own count', () => {
    const [scored] = scoreCandidates([input('p', { maxConcurrency: 10, inFlight: 8 }, measured({ inFlight: 1 }))], request, config)
    expect(scored!.load).toBeCloseTo(0.4, 9)
    const [own] = scoreCandidates([input('p', { maxConcurrency: 10, inFlight: 2 }, measured({ inFlight: 5 }))], request, config)
    expect(own!.load).toBeCloseTo(0.5, 9)
  })

  it('weighs output price by the expected output, at most max_tokens', () => {
    // Cheap input, dear output, against the reverse.
    const offers = [input('dear-output', { input: 0n, output: 1_000_000n }, measured()), input('dear-input', { input: 1_000_000n, output: 0n }, measured())]
    expect(peers(scoreCandidates(offers, { promptTokensEstimate: 10_000 }, config))).toEqual(['dear-output', 'dear-input'])
    expect(peers(scoreCandidates(offers, { promptTokensEstimate: 10 }, config))).toEqual(['dear-input', 'dear-output'])
    expect(scoreCandidates(offers, { promptTokensEstimate: 10, maxTokens: 5 }, config).find((s) => s.candidate.offer.peerId === 'dear-output')!.cost).toBe(5_000_000n)
  })

  it('gives a provider not measured yet the median figures, shifted by its distance', () => {
    const scored = scoreCandidates(
      [
        input('a', {}, measured({ ttftMs: 200, tokensPerSecond: 40, rttMs: 10 })),
        input('b', {}, measured({ ttftMs: 400, tokensPerSecond: 80, rttMs: 30 })),
        input('near', {}, stats({ rttMs: 5 })),
        input('far', {}, stats({ rttMs: 400 })),
        input('unknown', {}, stats()),
      ],
      request,
      config,
    )
    const by = Object.fromEntries(scored.map((s) => [s.candidate.offer.peerId, s]))
    expect(by.near).toMatchObject({ latencyMs: 300 - 15, tokensPerSecond: 60, successRate: 1, measured: false })
    expect(by.far!.latencyMs).toBe(300 + 380)
    expect(by.unknown!.latencyMs).toBe(300)
    expect(by.a!.measured).toBe(true)
  })

  it('ranks by ping alone while nobody has a TTFT', () => {
    const scored = scoreCandidates([input('far', {}, stats({ rttMs: 200 })), input('near', {}, stats({ rttMs: 20 }))], request, config)
    expect(peers(scored)).toEqual(['near', 'far'])
  })

  it('is neutral on figures nobody has', () => {
    const scored = scoreCandidates([input('a', {}, stats()), input('b', {}, stats())], request, config)
    expect(scored.map((s) => s.score)).toEqual([0, 0])
    expect(peers(scored)).toEqual(['a', 'b'])
    expect(scoreCandidates([], request, config)).toEqual([])
  })

  it('follows the configured weights', () => {
    const offers = [
      input('cheap-slow', { input: 100_000n, output: 200_000n }, measured({ tokensPerSecond: 20, ttftMs: 900 })),
      input('fast', { input: 110_000n, output: 220_000n }, measured({ tokensPerSecond: 120, ttftMs: 250 })),
    ]
    const priceOnly = RoutingConfig.parse({ weights: { latency: 0, throughput: 0 } })
    expect(peers(scoreCandidates(offers, request, priceOnly))).toEqual(['cheap-slow', 'fast'])
  })
})

describe('sortByMetric', () => {
  const scored = scoreCandidates(
    [
      input('cheap', { input: 50_000n, output: 100_000n }, measured({ tokensPerSecond: 30, ttftMs: 800, successRate: 0.6 })),
      input('fast', { input: 300_000n, output: 600_000n }, measured({ tokensPerSecond: 150, ttftMs: 500 })),
      input('snappy', { input: 200_000n, output: 400_000n }, measured({ tokensPerSecond: 60, ttftMs: 120 })),
    ],
    request,
    config,
  )

  it('orders strictly by price, throughput or latency, whatever the score says', () => {
    expect(peers(sortByMetric(scored, 'price'))).toEqual(['cheap', 'snappy', 'fast'])
    expect(peers(sortByMetric(scored, 'throughput'))).toEqual(['fast', 'snappy', 'cheap'])
    expect(peers(sortByMetric(scored, 'latency'))).toEqual(['snappy', 'fast', 'cheap'])
  })

  it('breaks ties by score', () => {
    const tied = scoreCandidates([input('flaky', {}, measured({ successRate: 0.2 })), input('solid', {}, measured())], request, config)
    expect(peers(sortByMetric(tied, 'price'))).toEqual(['solid', 'flaky'])
  })
})
