import { rejectReason } from '../../../router/src/routing/filters.ts'
import type { RoutingRequest } from '../../../router/src/routing/preferences.ts'
import type { Candidate } from '../../../router/src/routing/registry.ts'
import { routingRequest } from './agora-policy.ts'
import { shuffle } from './distributions.ts'
import type { PolicyEnvironment, PolicyFactory } from './policy.ts'

/** Orders the candidates that passed the hard filters, first choice first; may reorder `passing` in place. */
type Order = (passing: Candidate[], request: RoutingRequest, environment: PolicyEnvironment) => Candidate[]

/**
 * A naive router: the same live offers and hard filters as ours (capacity by its own
 * in-flight count), the same number of attempts per request (`maxAttemptsPerModel`) and
 * the same fallback rule (the next candidate after a failure before the first token),
 * but no measurements, cooldowns or sessions: only `order` differs.
 */
function baseline(order: Order): PolicyFactory {
  return (environment) => {
    const { registry, now, config } = environment
    const inFlight = new Map<string, number>()
    const count = (peerId: string) => inFlight.get(peerId) ?? 0
    return {
      plan(request) {
        const routed = routingRequest(request)
        const passing = registry.candidates(request.model, now()).filter((c) => rejectReason(c, routed, count(c.offer.peerId)) === undefined)
        return order(passing, routed, environment)
          .slice(0, config.maxAttemptsPerModel)
          .map((candidate) => ({ candidate, model: request.model, reason: 'ranked' as const }))
      },
      begin(_request, attempt) {
        const { peerId } = attempt.candidate.offer
        inFlight.set(peerId, count(peerId) + 1)
        let answered = false
        let settled = false
        const settle = () => {
          if (settled) return
          settled = true
          inFlight.set(peerId, count(peerId) - 1)
        }
        return {
          firstByte: () => void (answered = true),
          succeed: settle,
          fail: () => {
            settle()
            return !answered
          },
        }
      },
      ping: () => {},
    }
  }
}

/** Uniformly random among the candidates. */
export const randomPolicy = baseline((passing, _request, { rng }) => shuffle(rng, passing))

/** Cheapest first, by the expected cost of the request (the same estimate our score uses). */
export const cheapestPolicy = baseline((passing, request, { config }) => {
  const outputTokens = Math.min(request.maxTokens ?? config.expectedOutputTokens, config.expectedOutputTokens)
  const cost = ({ model }: Candidate) => request.promptTokensEstimate * Number(model.pricing.inputPerMTok) + outputTokens * Number(model.pricing.outputPerMTok)
  return passing.sort((a, b) => cost(a) - cost(b) || a.offer.peerId.localeCompare(b.offer.peerId))
})

/** Least advertised load (in flight over capacity) first, ties at random: what a router that trusts offers would do. */
export const leastLoadedPolicy = baseline((passing, _request, { rng }) => {
  const load = ({ model }: Candidate) => model.inFlight / model.maxConcurrency
  return shuffle(rng, passing).sort((a, b) => load(a) - load(b))
})
