import { performance } from 'node:perf_hooks'
import { DEFAULT_ANNOUNCE_INTERVAL_MS, DEFAULT_OFFER_TTL_MS, type MarketError } from '@agora/protocol'
import type { RoutingConfig } from '../../../router/src/routing/config.ts'
import type { Attempt } from '../../../router/src/routing/plan.ts'
import { OfferRegistry } from '../../../router/src/routing/registry.ts'
import { T0, testOffer } from '../../../router/src/routing/testing.ts'
import { jitter, substream } from './distributions.ts'
import { EventQueue } from './event-queue.ts'
import type { Market, ProviderKind } from './market.ts'
import type { PolicyFactory } from './policy.ts'
import { SimProvider, STREAM_RESET } from './provider.ts'
import type { SimRequest } from './workload.ts'

/** How often the router pings its peers (as `router.ts` does). */
const PING_INTERVAL_MS = 10_000
const CONTEXT_LENGTH = 32_768
export const KINDS: readonly ProviderKind[] = ['honest', 'liar', 'intermittent']

/** What became of a request; failed: every attempt failed, its stream broke, or there was no provider to try. */
export const Status = { pending: 0, served: 1, failed: 2 } as const
export type Status = (typeof Status)[keyof typeof Status]

/** Everything one policy's run recorded, one slot per request (in arrival order). */
export interface RunRecord {
  status: Uint8Array
  /** Arrival to the last token (served) or to the final failure, failed attempts included. */
  latencyMs: Float64Array
  /** The lowest expected latency among the providers feasible at arrival; NaN when none was. */
  bestLatencyMs: Float64Array
  /** Cost at the provider that served it (micro-USD per million tokens × tokens). */
  paid: Float64Array
  /** The lowest cost among the providers feasible at arrival; NaN when none was. */
  cheapest: Float64Array
  attempts: Uint8Array
  /** Index in `KINDS` of the provider that served it. */
  servedByKind: Uint8Array
  /** Whether it was served by the provider holding its conversation's previous turn in cache. */
  cacheHit: Uint8Array
  /** Failed attempts by error code, and `mid_stream` for streams that broke after the first token. */
  failedAttempts: Record<string, number>
  /** Failed requests by what ended them: the last attempt's error code, `mid_stream`, or `no_route`. */
  failureCauses: Record<string, number>
  /** Attempts by the reason routing gave them. */
  attemptReasons: Record<string, number>
  planCalls: number
  planMs: number
  wallMs: number
  virtualMs: number
}

/**
 * Runs the whole workload through one policy, on a virtual clock: providers announce their
 * offers (and load) every `announceMs`, the router pings them every 10 s, requests arrive
 * at their times, and each attempt's first token, end or failure is an event. An attempt
 * that fails before its first token goes on to the next planned one if the policy says
 * so; a stream that breaks after it fails the request, as in the relay.
 * @example
 * const record = simulate(market, requests, agoraPolicy, { announceMs: 2000, seed: 1, routing: RoutingConfig.parse({}) })
 */
export function simulate(
  market: Market,
  requests: SimRequest[],
  factory: PolicyFactory,
  { announceMs, seed, routing }: { announceMs: number; seed: number; routing: RoutingConfig },
): RunRecord {
  const started = performance.now()
  let now = T0
  const clock = () => now
  const queue = new EventQueue()
  const registry = new OfferRegistry()
  const providers = market.providers.map((spec) => new SimProvider(spec, T0))
  const byPeer = new Map(providers.map((p) => [p.spec.peerId, p]))
  const byModel = new Map(market.models.map((model) => [model, providers.filter((p) => p.spec.model === model)]))
  const serviceRng = substream(seed, 3)
  const policy = factory({ registry, now: clock, rng: substream(seed, 4), config: routing })

  const count = requests.length
  const record: RunRecord = {
    status: new Uint8Array(count),
    latencyMs: new Float64Array(count),
    bestLatencyMs: new Float64Array(count),
    paid: new Float64Array(count),
    cheapest: new Float64Array(count),
    attempts: new Uint8Array(count),
    servedByKind: new Uint8Array(count),
    cacheHit: new Uint8Array(count),
    failedAttempts: {},
    failureCauses: {},
    attemptReasons: {},
    planCalls: 0,
    planMs: 0,
    wallMs: 0,
    virtualMs: 0,
  }
  /** Which provider served each conversation's latest turn, and so holds its prompt in cache. */
  const cachedAt = new Map<string, string>()
  let unfinished = 0
  let arrived = 0

  const announced = providers.map(() => ({ seq: 0, load: -1, at: -Infinity }))
  const announce = () => {
    for (const provider of providers) {
      const last = announced[provider.spec.index]!
      const load = provider.advertisedLoad(now)
      if (load === last.load && now - last.at < DEFAULT_ANNOUNCE_INTERVAL_MS) continue
      const { peerId, model, inputPerMTok, outputPerMTok, maxConcurrency } = provider.spec
      const offer = testOffer(peerId, [{ id: model, input: inputPerMTok, output: outputPerMTok, maxConcurrency, inFlight: load, contextLength: CONTEXT_LENGTH }], {
        expiresAt: now + DEFAULT_OFFER_TTL_MS,
      })
      registry.accept({ ...offer, seq: ++last.seq })
      Object.assign(last, { load, at: now })
    }
  }
  const ping = () => policy.ping(new Map(providers.map((p) => [p.spec.peerId, p.spec.rttMs * jitter(serviceRng, 0.1)])))
  const running = () => unfinished > 0 || arrived < count
  const every = (intervalMs: number, run: () => void) => {
    const tick = () => {
      run()
      if (running()) queue.schedule(now + intervalMs, tick)
    }
    tick()
  }

  const finish = (request: SimRequest, status: Status, attempts: number, cause?: string) => {
    if (cause !== undefined) record.failureCauses[cause] = (record.failureCauses[cause] ?? 0) + 1
    record.status[request.index] = status
    record.latencyMs[request.index] = now - (T0 + request.at)
    record.attempts[request.index] = attempts
    unfinished--
  }
  const countFailure = (code: string) => {
    record.failedAttempts[code] = (record.failedAttempts[code] ?? 0) + 1
    return code
  }

  const attempt = (request: SimRequest, attempts: Attempt[], i: number) => {
    const planned = attempts[i]!
    record.attemptReasons[planned.reason] = (record.attemptReasons[planned.reason] ?? 0) + 1
    const provider = byPeer.get(planned.candidate.offer.peerId)!
    const cached = request.sessionId !== undefined && cachedAt.get(request.sessionId) === provider.spec.peerId ? request.cachedTokens : 0
    const handle = policy.begin(request, planned)
    const service = provider.serve(request, now, cached, serviceRng)
    if (!service.ok) {
      if (service.occupies) provider.ours++
      queue.schedule(now + service.afterMs, () => {
        if (service.occupies) provider.ours--
        const code = countFailure((service.error as MarketError).code)
        if (handle.fail(service.error) && i + 1 < attempts.length) attempt(request, attempts, i + 1)
        else finish(request, Status.failed, i + 1, code)
      })
      return
    }
    provider.ours++
    queue.schedule(now + service.ttftMs, () => handle.firstByte())
    const { breakAtMs } = service
    if (breakAtMs !== undefined) {
      queue.schedule(now + breakAtMs, () => {
        provider.ours--
        handle.fail(STREAM_RESET)
        finish(request, Status.failed, i + 1, countFailure('mid_stream'))
      })
      return
    }
    queue.schedule(now + service.durationMs, () => {
      provider.ours--
      handle.succeed(request.outputTokens)
      record.paid[request.index] = provider.cost(request)
      record.servedByKind[request.index] = KINDS.indexOf(provider.spec.kind)
      record.cacheHit[request.index] = cached > 0 ? 1 : 0
      if (request.sessionId !== undefined) cachedAt.set(request.sessionId, provider.spec.peerId)
      finish(request, Status.served, i + 1)
    })
  }

  const arrive = (request: SimRequest) => {
    arrived++
    unfinished++
    let cheapest = Infinity
    let best = Infinity
    const cachedPeer = request.sessionId === undefined ? undefined : cachedAt.get(request.sessionId)
    for (const provider of byModel.get(request.model)!) {
      if (!provider.feasible(now)) continue
      cheapest = Math.min(cheapest, provider.cost(request))
      best = Math.min(best, provider.expectedLatencyMs(request, now, provider.spec.peerId === cachedPeer ? request.cachedTokens : 0))
    }
    record.cheapest[request.index] = cheapest === Infinity ? NaN : cheapest
    record.bestLatencyMs[request.index] = best === Infinity ? NaN : best

    const planStarted = performance.now()
    const attempts = policy.plan(request)
    record.planMs += performance.now() - planStarted
    record.planCalls++
    if (!attempts.length) {
      finish(request, Status.failed, 0, 'no_route')
    } else {
      attempt(request, attempts, 0)
    }
    const next = requests[arrived]
    if (next) queue.schedule(T0 + next.at, () => arrive(next))
  }

  every(announceMs, announce)
  every(PING_INTERVAL_MS, ping)
  if (requests[0]) queue.schedule(T0 + requests[0].at, () => arrive(requests[0]!))
  for (let event = queue.next(); event; event = queue.next()) {
    now = event.at
    event.run()
  }
  record.virtualMs = now - T0
  record.wallMs = performance.now() - started
  return record
}
