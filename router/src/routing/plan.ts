import { InvalidRequestError, ModelNotFoundError, NoProviderError, type MarketError } from '@agora/protocol'
import type { RoutingConfig } from './config.ts'
import type { Cooldown } from './cooldown.ts'
import { NoAllowedProviderError } from './errors.ts'
import { matchesProvider, rejectReason, type RejectReason } from './filters.ts'
import type { Measurements } from './measurements.ts'
import { explorationPick, weightedOrder } from './pick.ts'
import type { RoutingRequest } from './preferences.ts'
import type { Random } from './random.ts'
import type { Candidate, OfferRegistry } from './registry.ts'
import { byScore, scoreCandidates, sortByMetric, type ScoredCandidate } from './score.ts'
import type { SessionAffinity } from './sessions.ts'

/** What routing reads: the live offers, the router's measurements and its memory of failures and sessions. */
export interface RoutingContext {
  registry: OfferRegistry
  measurements: Measurements
  cooldown: Cooldown
  sessions: SessionAffinity
  config: RoutingConfig
  rng: Random
  now: () => number
  /** Whether the router has a connection to a peer; all peers count as reachable when absent. */
  reachable?: (peerId: string) => boolean
}

/**
 * Why an attempt is where it is: the session's provider (`sticky`), an exploration draw
 * (`explore`), the weighted pick or score order (`ranked`), `provider.order` (`ordered`),
 * `provider.sort` (`sorted`), or a provider still cooling down, tried because its model
 * has no other (`best-effort`).
 */
export type AttemptReason = 'sticky' | 'explore' | 'ranked' | 'ordered' | 'sorted' | 'best-effort'

/** One provider to try, for one model of the request. */
export interface Attempt {
  candidate: Candidate
  /** The model id to send (the candidate's), which may be a fallback from `models`. */
  model: string
  reason: AttemptReason
}

export interface RoutePlan {
  /** Providers to try, in order, until one answers. */
  attempts: Attempt[]
  /** How many live candidates each hard filter excluded, over all the request's models. */
  rejected: Partial<Record<RejectReason, number>>
  /** Live candidates found over all the request's models, before filters. */
  candidates: number
}

/**
 * Plans where a request goes: for each model (primary first, then the fallbacks), its
 * live candidates that pass the hard filters, ordered by policy, skipping those cooling
 * down; then, for a model whose every passing candidate is cooling down, those as a best
 * effort, soonest-recovering first. Bounded by `maxAttemptsPerModel` and `maxAttempts`.
 *
 * Order within a model: with `provider.order`, the listed providers in that order, then
 * (if fallbacks are allowed) the rest; otherwise the session's provider if it is healthy,
 * then `provider.sort`'s strict order or, by default, the weighted pick among the top K
 * with an exploration share. `allow_fallbacks: false` without `order` keeps one provider.
 *
 * An empty plan means no provider can serve; `noRouteError` says why.
 * @example
 * const request = parseRoutingRequest(body, headers)
 * const plan = planRoute(ctx, request)
 * if (!plan.attempts.length) throw noRouteError(ctx, request, plan)
 */
export function planRoute(ctx: RoutingContext, request: RoutingRequest): RoutePlan {
  const { config } = ctx
  const now = ctx.now()
  const rejected: Partial<Record<RejectReason, number>> = {}
  let candidates = 0
  const attempts: Attempt[] = []
  const bestEffort: Attempt[] = []

  for (const model of request.models) {
    const live = ctx.registry.candidates(model, now, ctx.reachable)
    candidates += live.length
    const passing = live.filter((candidate) => {
      const reason = rejectReason(candidate, request, ctx.measurements.inFlight(candidate.offer.peerId, model))
      if (reason) rejected[reason] = (rejected[reason] ?? 0) + 1
      return !reason
    })
    const scored = scoreCandidates(
      passing.map((candidate) => ({ candidate, stats: ctx.measurements.snapshot(candidate.offer.peerId, model) })),
      request,
      config,
    )
    const healthy = scored.filter((s) => ctx.cooldown.available(s.candidate.offer.peerId, model))
    const limit = request.preferences.allowFallbacks || request.preferences.order.length ? config.maxAttemptsPerModel : 1
    if (healthy.length) {
      attempts.push(...orderHealthy(ctx, request, healthy).slice(0, limit).map(({ scored, reason }) => attempt(scored, model, reason)))
    } else if (scored.length) {
      const retryAt = (s: ScoredCandidate) => ctx.cooldown.retryAt(s.candidate.offer.peerId, model)
      const soonest = [...scored].sort((a, b) => retryAt(a) - retryAt(b) || byScore(a, b))
      bestEffort.push(...soonest.slice(0, limit).map((s) => attempt(s, model, 'best-effort')))
    }
  }
  return { attempts: [...attempts, ...bestEffort].slice(0, config.maxAttempts), rejected, candidates }
}

/**
 * The error for a request with no route, by what emptied the plan: no live provider at
 * all (404 for a model never offered, else 503); providers full (503, retry shortly); a
 * prompt too long for every provider (400); or the client's provider preferences (404
 * naming the preference that excluded the most).
 */
export function noRouteError(ctx: RoutingContext, request: RoutingRequest, plan: RoutePlan): MarketError {
  const primary = request.models[0]!
  if (plan.candidates === 0) {
    return request.models.some((model) => ctx.registry.knowsModel(model)) ? new NoProviderError(primary) : new ModelNotFoundError(primary)
  }
  const counts = Object.entries(plan.rejected) as [RejectReason, number][]
  const summary = counts.map(([reason, count]) => `${count} ${REJECT_PARAMS[reason] ?? reason}`).join(', ')
  if (plan.rejected.capacity) return new NoProviderError(primary, `every provider is busy or excluded: ${summary}`)
  const preferences = counts.filter(([reason]) => REJECT_PARAMS[reason] !== undefined).sort(([, a], [, b]) => b - a)
  if (!preferences.length) {
    const largest = Math.max(
      0,
      ...request.models.flatMap((model) => ctx.registry.candidates(model, ctx.now(), ctx.reachable).map((c) => c.model.contextLength)),
    )
    const wanted = request.promptTokensEstimate + (request.maxTokens ?? 0)
    return new InvalidRequestError(
      `The request needs about ${wanted} tokens of context (prompt and max_tokens), more than any provider of \`${primary}\` offers (at most ${largest})`,
      { param: 'messages', code: 'context_length_exceeded' },
    )
  }
  const excluded = preferences.map(([reason, count]) => `${count} excluded by ${REJECT_PARAMS[reason]}`).join(', ')
  return new NoAllowedProviderError(primary, REJECT_PARAMS[preferences[0]![0]]!, excluded)
}

/** The request control behind each preference filter. */
const REJECT_PARAMS: Partial<Record<RejectReason, string>> = {
  only: 'provider.only',
  ignore: 'provider.ignore',
  order: 'provider.order',
  quantization: 'provider.quantizations',
  parameters: 'provider.require_parameters',
  max_price: 'provider.max_price',
}

interface Ordered {
  scored: ScoredCandidate
  reason: AttemptReason
}

function orderHealthy(ctx: RoutingContext, request: RoutingRequest, healthy: ScoredCandidate[]): Ordered[] {
  const { order, sort, allowFallbacks } = request.preferences
  if (order.length) {
    const ranked = sort ? sortByMetric(healthy, sort) : healthy
    const listed = order.flatMap((ref) => ranked.filter((s) => matchesProvider(s.candidate, ref)))
    const first = listed.filter((s, i) => listed.indexOf(s) === i)
    const rest = allowFallbacks ? ranked.filter((s) => !first.includes(s)) : []
    return [...first, ...rest].map((scored) => ({ scored, reason: 'ordered' }))
  }

  const ranked: Ordered[] = sort
    ? sortByMetric(healthy, sort).map((scored) => ({ scored, reason: 'sorted' }))
    : weightedOrder(healthy, ctx.config.topK, ctx.rng).map((scored) => ({ scored, reason: 'ranked' }))
  const stickyPeer = request.sessionId === undefined ? undefined : ctx.sessions.get(request.sessionId)
  const sticky = ranked.find((o) => o.scored.candidate.offer.peerId === stickyPeer)
  if (sticky) return [{ scored: sticky.scored, reason: 'sticky' }, ...ranked.filter((o) => o !== sticky)]
  const explored = sort ? undefined : explorationPick(healthy, ctx.config.explorationShare, ctx.rng)
  if (explored) return [{ scored: explored, reason: 'explore' }, ...ranked.filter((o) => o.scored !== explored)]
  return ranked
}

function attempt(scored: ScoredCandidate, model: string, reason: AttemptReason): Attempt {
  return { candidate: scored.candidate, model, reason }
}
