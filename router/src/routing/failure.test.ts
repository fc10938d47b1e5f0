import { describe, it, expect } from 'vitest'
import {
  BusyError,
  ClientClosedError,
  DeadlineError,
  InsufficientCreditsError,
  InternalError,
  InvalidRequestError,
  MalformedFrameError,
  MarketError,
  ModelNotFoundError,
  ProviderError,
} from '@agora/protocol'
import { classifyFailure } from './failure.ts'

describe('classifyFailure', () => {
  it('blames the provider for connection errors, timeouts, malformed frames and 5xx', () => {
    expect(classifyFailure(new Error('dial failed: ECONNREFUSED'))).toBe('connection')
    expect(classifyFailure(new ProviderError('the provider failed to complete the request', { cause: new Error('stream reset') }))).toBe('connection')
    expect(classifyFailure(new DeadlineError())).toBe('timeout')
    expect(classifyFailure(new DOMException('timed out', 'TimeoutError'))).toBe('timeout')
    expect(classifyFailure(new MalformedFrameError('frame is not valid JSON'))).toBe('malformed')
    expect(classifyFailure(new ProviderError('the provider sent a malformed frame'))).toBe('malformed')
    expect(classifyFailure(new ProviderError('failed', { cause: new MalformedFrameError('bad') }))).toBe('malformed')
    // A provider's own 5xx, rebuilt from its error frame.
    expect(classifyFailure(new MarketError(502, 'provider_error', 'provider_error', 'upstream died'))).toBe('server')
    expect(classifyFailure(new MarketError(500, 'server_error', 'internal_error', 'oops'))).toBe('server')
  })

  it('calls a provider at capacity busy', () => {
    expect(classifyFailure(new BusyError())).toBe('busy')
    expect(classifyFailure(new MarketError(429, 'rate_limit_error', 'rate_limited', 'slow down'))).toBe('busy')
    expect(classifyFailure(new MarketError(502, 'provider_error', 'provider_busy', 'upstream 503'))).toBe('busy')
  })

  it('does not blame the provider for the request’s own 4xx, the client leaving or the router’s own failure', () => {
    expect(classifyFailure(new InvalidRequestError('bad tool_choice', { param: 'tool_choice' }))).toBeUndefined()
    expect(classifyFailure(new MarketError(400, 'invalid_request_error', 'upstream_rejected_request', 'context too long'))).toBeUndefined()
    expect(classifyFailure(new ModelNotFoundError('m'))).toBeUndefined()
    expect(classifyFailure(new ClientClosedError())).toBeUndefined()
    expect(classifyFailure(new InsufficientCreditsError('the balance was spent elsewhere'))).toBeUndefined()
    expect(classifyFailure(new InternalError(new Error('the ledger is unreachable')))).toBeUndefined()
  })
})
