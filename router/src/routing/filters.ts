import type { ModelOffer } from '@agora/protocol'
import type { RoutingRequest } from './preferences.ts'
import type { Candidate } from './registry.ts'

/**
 * Why a candidate cannot serve a request, named after what excluded it: a provider
 * preference (`only`, `ignore`, `order` without fallbacks, `quantization`, `parameters`,
 * `max_price`), the request's size (`context_length`) or the provider's load (`capacity`).
 */
export type RejectReason = 'only' | 'ignore' | 'order' | 'quantization' | 'parameters' | 'max_price' | 'context_length' | 'capacity'

export type FilterRequest = Pick<RoutingRequest, 'preferences' | 'parameters' | 'promptTokensEstimate' | 'maxTokens'>

/**
 * The first hard filter `candidate` fails for `request`, or undefined if it passes them
 * all. Preferences come first, so a rejection is blamed on what the client asked for
 * before what may change by itself. `inFlight` is the router's own count of requests
 * there (the advertised load is only a hint and never rejects).
 * @example
 * rejectReason(candidate, request, measurements.inFlight(candidate.offer.peerId, candidate.model.id)) // 'max_price'
 */
export function rejectReason(candidate: Candidate, request: FilterRequest, inFlight: number): RejectReason | undefined {
  const { preferences } = request
  const { model } = candidate
  if (preferences.only && !preferences.only.some((ref) => matchesProvider(candidate, ref))) return 'only'
  if (preferences.ignore.some((ref) => matchesProvider(candidate, ref))) return 'ignore'
  if (!preferences.allowFallbacks && preferences.order.length && !preferences.order.some((ref) => matchesProvider(candidate, ref))) return 'order'
  if (preferences.quantizations && !preferences.quantizations.includes((model.quantization ?? 'unknown').toLowerCase())) return 'quantization'
  if (preferences.requireParameters && !supportsAll(model, request.parameters)) return 'parameters'
  const { prompt, completion } = preferences.maxPrice
  if ((prompt !== undefined && model.pricing.inputPerMTok > prompt) || (completion !== undefined && model.pricing.outputPerMTok > completion)) {
    return 'max_price'
  }
  if (request.promptTokensEstimate + (request.maxTokens ?? 0) > model.contextLength) return 'context_length'
  if (inFlight >= model.maxConcurrency) return 'capacity'
  return undefined
}

/**
 * Whether a provider entry of `order`, `only` or `ignore` names `candidate`: its peer id
 * exactly, or its offer name in any case. Names are self-chosen and may be shared; peer
 * ids are not.
 */
export function matchesProvider(candidate: Candidate, ref: string): boolean {
  return ref === candidate.offer.peerId || ref.toLowerCase() === candidate.offer.name.toLowerCase()
}

/** A request using no routed parameter needs no declaration; otherwise every one must be declared. */
function supportsAll(model: ModelOffer, parameters: string[]): boolean {
  if (!parameters.length) return true
  const supported = model.supportedParameters
  return supported !== undefined && parameters.every((name) => supported.includes(name))
}
