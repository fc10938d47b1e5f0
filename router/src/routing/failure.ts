import { InternalError, MalformedFrameError, MarketError, ProviderError } from '@agora/protocol'

/**
 * Why an attempt failed, when it is the provider's fault. `connection` cools down the
 * whole peer; the others only the model that failed. `busy` (the provider is at capacity)
 * cools down but does not count against its success rate.
 */
export type FailureKind = 'connection' | 'timeout' | 'malformed' | 'server' | 'busy'

/**
 * What a failed attempt says about the provider, or undefined when it says nothing: the
 * client went away, the router failed on its own (`InternalError`), or the request itself
 * was refused (a 4xx other than 408 and 429), which another provider would refuse too.
 *
 * Takes a raw error (a dial or stream error, `MalformedFrameError`) or the `MarketError`
 * the relay made of it; a `ProviderError` is judged by its cause when it has one.
 * @example
 * classifyFailure(new DeadlineError()) // 'timeout'
 * classifyFailure(new InvalidRequestError('bad')) // undefined
 */
export function classifyFailure(error: unknown): FailureKind | undefined {
  if (error instanceof MalformedFrameError) return 'malformed'
  if (error instanceof MarketError) return classifyMarketError(error)
  if (error instanceof Error && error.name === 'TimeoutError') return 'timeout'
  return 'connection'
}

function classifyMarketError(error: MarketError): FailureKind | undefined {
  // The router's own failure (its ledger, say), not a provider's 5xx, which arrives as a plain MarketError.
  if (error.status === 499 || error instanceof InternalError) return undefined
  if (error.status === 504 || error.status === 408) return 'timeout'
  if (error.status === 429 || error.code === 'provider_busy') return 'busy'
  if (error.status < 500) return undefined
  // The router wraps dial and stream errors in a ProviderError; the ones it raises itself
  // without a cause are protocol violations (malformed frame, wrong frame kind, early end).
  // A provider's own 5xx arrives in an error frame, rebuilt as a plain MarketError.
  if (error instanceof ProviderError) return error.cause === undefined ? 'malformed' : classifyCause(error.cause)
  return 'server'
}

function classifyCause(cause: unknown): FailureKind {
  return cause instanceof MarketError ? (classifyMarketError(cause) ?? 'server') : (classifyFailure(cause) ?? 'connection')
}
