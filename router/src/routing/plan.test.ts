import { describe, it, expect } from 'vitest'
import { InvalidRequestError, ModelNotFoundError, NoProviderError } from '@agora/protocol'
import { NoAllowedProviderError } from './errors.ts'
import { noRouteError, planRoute, type RoutePlan } from './plan.ts'
import { parseRoutingRequest } from './preferences.ts'
import { testOffer, testRouting, type TestRouting } from './testing.ts'

const peersOf = (plan: RoutePlan) => plan.attempts.map((a) => a.candidate.offer.peerId)

function plan(ctx: TestRouting, body: Record<string, unknown> = {}, headers: Record<string, string> = {}): RoutePlan {
  return planRoute(ctx, parseRoutingRequest({ model: 'm', ...body }, headers))
}

/** Gives a provider `n` fresh successes at the given speed, so it counts as measured. */
function measure(ctx: TestRouting, peerId: string, { n = 10, ttftMs = 300, tokensPerSecond = 50, model = 'm' } = {}) {
  for (let i = 0; i < n; i++) ctx.measurements.recordSuccess(peerId, model, { ttftMs, tokensPerSecond })
}

/** Three providers of `m`, cheapest first: p1 at 0.1/0.2, p2 at 0.2/0.4, p3 at 0.4/0.8 USD per MTok. */
function threeProviders(config = {}) {
  return testRouting(
    [
      testOffer('p1', [{ input: 100_000n, output: 200_000n }], { name: 'one' }),
      testOffer('p2', [{ input: 200_000n, output: 400_000n }], { name: 'two' }),
      testOffer('p3', [{ input: 400_000n, output: 800_000n }], { name: 'three' }),
    ],
    { config },
  )
}

describe('planRoute', () => {
  it('returns every passing provider of the model, best first by default', () => {
    const ctx = threeProviders({ topK: 1 })
    const route = plan(ctx)
    expect(peersOf(route)).toEqual(['p1', 'p2', 'p3'])
    expect(route.attempts.map((a) => [a.model, a.reason])).toEqual([
      ['m', 'ranked'],
      ['m', 'ranked'],
      ['m', 'ranked'],
    ])
    expect(route).toMatchObject({ candidates: 3, rejected: {} })
  })

  it('draws the first attempt among the top K in proportion to their weights', () => {
    const ctx = threeProviders({ topK: 2 })
    const firsts = { p1: 0, p2: 0, p3: 0 }
    const draws = 10_000
    for (let i = 0; i < draws; i++) firsts[peersOf(plan(ctx))[0] as keyof typeof firsts]++
    // p2 costs twice p1: weight (1/2)^2 = 1/4, so p1 leads 4 times in 5; p3 is outside the top 2.
    expect(firsts.p1 / draws).toBeGreaterThan(0.78)
    expect(firsts.p1 / draws).toBeLessThan(0.82)
    expect(firsts.p3).toBe(0)
  })

  it('sends a small share of requests first to a provider with too few measurements', () => {
    const ctx = testRouting(
      [
        testOffer('m1', [{ input: 100_000n }]),
        testOffer('m2', [{ input: 100_000n }]),
        testOffer('m3', [{ input: 100_000n }]),
        testOffer('m4', [{ input: 100_000n }]),
        testOffer('newcomer', [{ input: 900_000n, output: 900_000n }]),
      ],
      { seed: 7 },
    )
    for (const peer of ['m1', 'm2', 'm3', 'm4']) measure(ctx, peer)
    const draws = 10_000
    let explored = 0
    for (let i = 0; i < draws; i++) {
      const [first] = plan(ctx).attempts
      if (first!.candidate.offer.peerId === 'newcomer') {
        expect(first!.reason).toBe('explore')
        explored++
      }
    }
    // 5% ± 4.5 standard deviations (σ ≈ 0.22%).
    expect(explored / draws).toBeGreaterThan(0.04)
    expect(explored / draws).toBeLessThan(0.06)
  })

  it('does not explore once the newcomer is measured, nor under a strict sort', () => {
    const ctx = testRouting([testOffer('old', [{}]), testOffer('new', [{ input: 900_000n, output: 900_000n }])], { config: { explorationShare: 1, topK: 1 } })
    measure(ctx, 'old')
    expect(plan(ctx).attempts[0]).toMatchObject({ reason: 'explore', candidate: { offer: { peerId: 'new' } } })
    expect(plan(ctx, { provider: { sort: 'price' } }).attempts[0]!.reason).toBe('sorted')
    measure(ctx, 'new')
    expect(peersOf(plan(ctx))).toEqual(['old', 'new'])
  })

  it('tries the fallback models after the primary one, within the attempt bounds', () => {
    const ctx = testRouting(
      [testOffer('a1', [{ id: 'a' }]), testOffer('a2', [{ id: 'a' }]), testOffer('a3', [{ id: 'a' }]), testOffer('b1', [{ id: 'b' }, { id: 'c' }])],
      { config: { maxAttemptsPerModel: 2, maxAttempts: 4 } },
    )
    const route = plan(ctx, { model: 'a', models: ['b', 'c'] })
    expect(route.attempts.map((a) => a.model)).toEqual(['a', 'a', 'b', 'c'])
    expect(route.attempts[2]!.candidate.offer.peerId).toBe('b1')
    expect(plan(ctx, { model: 'missing', models: ['b'] }).attempts.map((a) => a.model)).toEqual(['b'])
  })

  it('skips providers cooling down', () => {
    const ctx = threeProviders({ topK: 1 })
    ctx.cooldown.recordFailure('p1', 'm', 'server')
    expect(peersOf(plan(ctx))).toEqual(['p2', 'p3'])
    ctx.clock.advance(1_000)
    expect(peersOf(plan(ctx))).toEqual(['p1', 'p2', 'p3'])
  })

  it('still tries a model whose providers all cool down, soonest-recovering first, after the healthy ones', () => {
    const ctx = testRouting([testOffer('a1', [{ id: 'a' }]), testOffer('a2', [{ id: 'a' }]), testOffer('b1', [{ id: 'b' }])])
    ctx.cooldown.recordFailure('a1', 'a', 'server')
    ctx.cooldown.recordFailure('a1', 'a', 'server')
    ctx.clock.advance(1_000)
    ctx.cooldown.recordFailure('a1', 'a', 'server') // now open 2 s
    ctx.cooldown.recordFailure('a2', 'a', 'connection') // open 1 s
    const route = plan(ctx, { model: 'a', models: ['b'] })
    expect(route.attempts.map((a) => [a.candidate.offer.peerId, a.model, a.reason])).toEqual([
      ['b1', 'b', 'ranked'],
      ['a2', 'a', 'best-effort'],
      ['a1', 'a', 'best-effort'],
    ])
    expect(peersOf(plan(ctx, { model: 'a' }))).toEqual(['a2', 'a1'])
  })

  it('puts provider.order first, in its order, then the rest by score', () => {
    const ctx = threeProviders()
    const route = plan(ctx, { provider: { order: ['three', 'p2'] } })
    expect(peersOf(route)).toEqual(['p3', 'p2', 'p1'])
    expect(route.attempts.every((a) => a.reason === 'ordered')).toBe(true)
    // Deterministic: no weighted draw.
    for (let i = 0; i < 20; i++) expect(peersOf(plan(ctx, { provider: { order: ['p2'] } }))).toEqual(['p2', 'p1', 'p3'])
  })

  it('with allow_fallbacks false, tries only the ordered providers, or only the first choice', () => {
    const ctx = threeProviders()
    const ordered = plan(ctx, { provider: { order: ['three', 'one'], allow_fallbacks: false } })
    expect(peersOf(ordered)).toEqual(['p3', 'p1'])
    expect(ordered.rejected).toEqual({ order: 1 })
    expect(peersOf(plan(ctx, { provider: { sort: 'price', allow_fallbacks: false } }))).toEqual(['p1'])
  })

  it('orders strictly by provider.sort and the :nitro / :floor suffixes', () => {
    const ctx = threeProviders()
    measure(ctx, 'p1', { tokensPerSecond: 20, ttftMs: 900 })
    measure(ctx, 'p2', { tokensPerSecond: 200, ttftMs: 400 })
    measure(ctx, 'p3', { tokensPerSecond: 90, ttftMs: 100 })
    expect(peersOf(plan(ctx, { model: 'm:nitro' }))).toEqual(['p2', 'p3', 'p1'])
    expect(peersOf(plan(ctx, { provider: { sort: 'latency' } }))).toEqual(['p3', 'p2', 'p1'])
    expect(peersOf(plan(ctx, { model: 'm:floor' }))).toEqual(['p1', 'p2', 'p3'])
    expect(plan(ctx, { model: 'm:floor' }).attempts[0]!.reason).toBe('sorted')
  })

  it('keeps a session on its provider while it is healthy and passes the filters', () => {
    const ctx = threeProviders()
    ctx.sessions.bind('s1', 'p3')
    const sticky = plan(ctx, { session_id: 's1' })
    expect(sticky.attempts[0]).toMatchObject({ reason: 'sticky', candidate: { offer: { peerId: 'p3' } } })
    expect(peersOf(sticky)).toHaveLength(3)
    expect(peersOf(plan(ctx, {}, { 'x-session-id': 's1' }))[0]).toBe('p3')
    expect(peersOf(plan(ctx, { session_id: 's1', provider: { sort: 'price' } }))[0]).toBe('p3')
    // Not past its filters, its cooldown, or an explicit order.
    expect(peersOf(plan(ctx, { session_id: 's1', provider: { max_price: { prompt: 0.3 } } }))).not.toContain('p3')
    expect(peersOf(plan(ctx, { session_id: 's1', provider: { order: ['p2'] } }))[0]).toBe('p2')
    ctx.cooldown.recordFailure('p3', 'm', 'timeout')
    expect(plan(ctx, { session_id: 's1' }).attempts[0]!.reason).not.toBe('sticky')
  })

  it('counts what the filters rejected, and leaves out unreachable peers', () => {
    const ctx = threeProviders()
    const route = plan(ctx, { provider: { ignore: ['one'], max_price: { prompt: 0.3 } } })
    expect(peersOf(route)).toEqual(['p2'])
    expect(route.rejected).toEqual({ ignore: 1, max_price: 1 })
    expect(peersOf(planRoute({ ...ctx, reachable: (peer) => peer !== 'p2' }, parseRoutingRequest({ model: 'm', provider: { order: ['p2'] } })))).toEqual(['p1', 'p3'])
  })

  it('counts the router’s own in-flight requests against capacity', () => {
    const ctx = testRouting([testOffer('small', [{ maxConcurrency: 1 }]), testOffer('big', [{ maxConcurrency: 8, output: 900_000n }])])
    ctx.measurements.begin('small', 'm')
    expect(peersOf(plan(ctx))).toEqual(['big'])
    ctx.measurements.end('small', 'm')
    expect(peersOf(plan(ctx, { provider: { sort: 'price' } }))).toEqual(['small', 'big'])
  })
})

describe('noRouteError', () => {
  function explain(ctx: TestRouting, body: Record<string, unknown>) {
    const request = parseRoutingRequest({ model: 'm', ...body })
    const route = planRoute(ctx, request)
    expect(route.attempts).toEqual([])
    return noRouteError(ctx, request, route)
  }

  it('is a 404 for a model nobody ever offered, a 503 for one with no live provider', () => {
    const ctx = testRouting([testOffer('p1', [{ id: 'known' }])])
    expect(explain(ctx, { model: 'never' })).toBeInstanceOf(ModelNotFoundError)
    expect(explain({ ...ctx, reachable: () => false }, { model: 'known' })).toBeInstanceOf(NoProviderError)
    expect(explain({ ...ctx, reachable: () => false }, { model: 'never', models: ['known'] })).toBeInstanceOf(NoProviderError)
  })

  it('is a 404 naming the preference that excluded the providers', () => {
    const ctx = threeProviders()
    const error = explain(ctx, { provider: { max_price: { prompt: 0.01 }, ignore: ['p1'] } })
    expect(error).toBeInstanceOf(NoAllowedProviderError)
    expect(error).toMatchObject({ status: 404, code: 'no_allowed_provider', param: 'provider.max_price' })
    expect(error.message).toContain('2 excluded by provider.max_price, 1 excluded by provider.ignore')
    expect(explain(ctx, { provider: { only: ['nobody'] } }).param).toBe('provider.only')
  })

  it('is a 400 when the prompt fits no provider’s context', () => {
    const ctx = testRouting([testOffer('p1', [{ contextLength: 1_000 }]), testOffer('p2', [{ contextLength: 2_000 }])])
    const error = explain(ctx, { prompt: 'x'.repeat(4_000), max_tokens: 1_500 })
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect(error).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'messages' })
    expect(error.message).toContain('about 2500 tokens')
    expect(error.message).toContain('at most 2000')
  })

  it('is a 503 while the providers are full', () => {
    const ctx = testRouting([testOffer('p1', [{ maxConcurrency: 1 }]), testOffer('p2', [{ input: 9_000_000n }])])
    ctx.measurements.begin('p1', 'm')
    const error = explain(ctx, { provider: { max_price: { prompt: 1 } } })
    expect(error).toBeInstanceOf(NoProviderError)
    expect(error.status).toBe(503)
  })
})
