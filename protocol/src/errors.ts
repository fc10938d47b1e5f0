/**
 * One error hierarchy for the whole marketplace. Every error a client can see is a
 * `MarketError`: it knows its HTTP status and renders itself in OpenAI's error shape.
 */

/** OpenAI's error envelope: `{ error: { message, type, param, code } }`. */
export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null }
}

export interface MarketErrorParameters {
  /** Extra detail kept for logs; never sent to clients. */
  details?: string
  param?: string | null
  cause?: unknown
}

/** Base of every error that crosses a boundary (HTTP response, libp2p error frame). */
export class MarketError extends Error {
  override name = 'MarketError'
  /** HTTP status a client receives. */
  readonly status: number
  /** OpenAI error `type`, e.g. `invalid_request_error`. */
  readonly type: string
  /** Machine-readable code, e.g. `model_not_found`. */
  readonly code: string
  readonly param: string | null
  readonly details: string | undefined
  /** HTTP headers to send with the error response (e.g. `retry-after`). */
  readonly headers: Record<string, string> = {}

  constructor(
    status: number,
    type: string,
    code: string,
    message: string,
    { details, param = null, cause }: MarketErrorParameters = {},
  ) {
    super(message, { cause })
    this.status = status
    this.type = type
    this.code = code
    this.param = param
    this.details = details
  }

  /**
   * The error in OpenAI's shape.
   * @example
   * new ModelNotFoundError('x').toBody() // { error: { message: 'The model `x` does not exist', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } }
   */
  toBody(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } }
  }
}

/** 400: the request body is not valid JSON or does not match the endpoint's schema. */
export class InvalidRequestError extends MarketError {
  override name = 'InvalidRequestError'
  constructor(message: string, parameters: MarketErrorParameters & { code?: string } = {}) {
    super(400, 'invalid_request_error', parameters.code ?? 'invalid_request', message, parameters)
  }
}

/** 401: missing, malformed or unknown API key (typed as OpenAI types it: `invalid_request_error`, code `invalid_api_key`). */
export class AuthenticationError extends MarketError {
  override name = 'AuthenticationError'
  constructor(message = 'Invalid API key. Pass it as `Authorization: Bearer <key>`.', code = 'invalid_api_key') {
    super(401, 'invalid_request_error', code, message)
  }
}

/** 404: no provider has ever offered this model and it is not in the catalog. */
export class ModelNotFoundError extends MarketError {
  override name = 'ModelNotFoundError'
  constructor(model: string) {
    super(404, 'invalid_request_error', 'model_not_found', `The model \`${model}\` does not exist`, { param: 'model' })
  }
}

/** 404 for a path that is not an endpoint. */
export class RouteNotFoundError extends MarketError {
  override name = 'RouteNotFoundError'
  constructor(method: string, path: string) {
    super(404, 'invalid_request_error', 'not_found', `Unknown endpoint: ${method} ${path}`)
  }
}

/** 503: the model is known but no live provider can take the request now. */
export class NoProviderError extends MarketError {
  override name = 'NoProviderError'
  constructor(model: string, details?: string) {
    super(503, 'service_unavailable', 'no_provider_available', `No provider is currently available for \`${model}\`; retry shortly`, {
      details,
      param: 'model',
    })
  }
}

/** 502: the provider failed (connection lost, malformed frames, engine failure). */
export class ProviderError extends MarketError {
  override name = 'ProviderError'
  constructor(message = 'The provider failed to complete the request', parameters: MarketErrorParameters & { code?: string } = {}) {
    super(502, 'provider_error', parameters.code ?? 'provider_error', message, parameters)
  }
}

/** 504: the request deadline passed. */
export class DeadlineError extends MarketError {
  override name = 'DeadlineError'
  constructor(message = 'The provider did not answer before the request deadline') {
    super(504, 'timeout_error', 'deadline_exceeded', message)
  }
}

/** 503 from a provider whose capacity is full; the router may try another provider before the first byte. */
export class BusyError extends MarketError {
  override name = 'BusyError'
  constructor(message = 'The provider is at capacity') {
    super(503, 'service_unavailable', 'provider_busy', message)
  }
}

/** 499 (as nginx names it): the client closed the connection; nobody is left to answer. */
export class ClientClosedError extends MarketError {
  override name = 'ClientClosedError'
  constructor(message = 'the client closed the connection') {
    super(499, 'client_closed_request', 'client_closed_request', message)
  }
}

/** 402: the account cannot pay for this request. Clients must not retry until they top up. */
export class InsufficientCreditsError extends MarketError {
  override name = 'InsufficientCreditsError'
  constructor(message = 'Insufficient credits: add credits to your account to continue') {
    super(402, 'insufficient_quota', 'insufficient_credits', message)
  }
}

/** 402: the key's own spend limit for its current period is reached. */
export class KeyLimitError extends MarketError {
  override name = 'KeyLimitError'
  constructor(message: string) {
    super(402, 'insufficient_quota', 'key_limit_exceeded', message)
  }
}

/** 403: the key (or, with `by: 'account'`, the account's settings) may not use this model. */
export class ModelNotAllowedError extends MarketError {
  override name = 'ModelNotAllowedError'
  constructor(model: string, by: 'key' | 'account' = 'key') {
    super(403, 'permission_error', 'model_not_allowed', `This ${by === 'key' ? 'API key' : 'account'} is not allowed to use \`${model}\``, { param: 'model' })
  }
}

/** 403: authenticated, but not allowed to do this (e.g. a management call without the admin token). */
export class PermissionError extends MarketError {
  override name = 'PermissionError'
  constructor(message: string) {
    super(403, 'permission_error', 'forbidden', message)
  }
}

/** 429: a key's requests- or tokens-per-minute limit; `retryAfterMs` becomes `Retry-After`. */
export class RateLimitError extends MarketError {
  override name = 'RateLimitError'
  readonly retryAfterMs: number
  constructor(message: string, retryAfterMs: number, code: 'rate_limit_exceeded' | 'tokens_rate_limit_exceeded' = 'rate_limit_exceeded') {
    super(429, 'rate_limit_error', code, message)
    this.retryAfterMs = retryAfterMs
  }
}

/** 500: a bug on our side; the message sent to clients never includes internals. */
export class InternalError extends MarketError {
  override name = 'InternalError'
  constructor(cause?: unknown) {
    super(500, 'server_error', 'internal_error', 'The server had an error while processing your request', { cause })
  }
}

/** Wraps anything thrown into a `MarketError` so it can be sent. */
export function toMarketError(error: unknown): MarketError {
  return error instanceof MarketError ? error : new InternalError(error)
}
