import { AttemptTracker } from '../../../router/src/routing/attempt.ts'
import { Cooldown } from '../../../router/src/routing/cooldown.ts'
import { Measurements } from '../../../router/src/routing/measurements.ts'
import { planRoute, type RoutingContext } from '../../../router/src/routing/plan.ts'
import { parseRoutingRequest, type RoutingRequest } from '../../../router/src/routing/preferences.ts'
import { SessionAffinity } from '../../../router/src/routing/sessions.ts'
import type { PolicyFactory } from './policy.ts'
import type { SimRequest } from './workload.ts'

/** A request with no `provider` controls, as most clients send. */
const DEFAULT_PREFERENCES = parseRoutingRequest({ model: 'any' }).preferences

/**
 * Our policy: the router's own `planRoute` over a routing context on the virtual clock,
 * with its real measurements, cooldowns and sticky sessions, every attempt booked by an
 * `AttemptTracker` as the relay books it.
 */
export const agoraPolicy: PolicyFactory = ({ registry, now, rng, config }) => {
  const ctx: RoutingContext = {
    registry,
    measurements: new Measurements(config, now),
    cooldown: new Cooldown(config.cooldown, now),
    sessions: new SessionAffinity(config.sessions, now),
    config,
    rng,
    now,
  }
  return {
    plan: (request) => planRoute(ctx, routingRequest(request)).attempts,
    begin(request, attempt) {
      const tracker = new AttemptTracker(ctx, attempt, { streamed: true, ...(request.sessionId ? { sessionId: request.sessionId } : {}) })
      return {
        firstByte: () => tracker.firstByte(),
        succeed: (completionTokens) => tracker.succeed({ completionTokens }),
        fail: (error) => tracker.fail(error).retry,
      }
    },
    ping(rtts) {
      ctx.measurements.prune()
      for (const [peerId, ms] of rtts) ctx.measurements.recordRtt(peerId, ms)
    },
  }
}

/** What `parseRoutingRequest` makes of a streamed chat completion with `max_tokens` and no provider controls. */
export function routingRequest(request: SimRequest): RoutingRequest {
  return {
    models: [request.model],
    preferences: DEFAULT_PREFERENCES,
    parameters: ['max_tokens'],
    promptTokensEstimate: request.promptTokens,
    maxTokens: request.maxTokens,
    ...(request.sessionId ? { sessionId: request.sessionId } : {}),
  }
}
