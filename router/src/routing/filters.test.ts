import { describe, it, expect } from 'vitest'
import { matchesProvider, rejectReason, type FilterRequest } from './filters.ts'
import { parseRoutingRequest } from './preferences.ts'
import { candidate } from './testing.ts'

function request(body: Record<string, unknown> = {}): FilterRequest {
  return parseRoutingRequest({ model: 'm', ...body })
}

describe('rejectReason', () => {
  it('passes a candidate that meets every filter', () => {
    expect(rejectReason(candidate('p1'), request(), 0)).toBeUndefined()
  })

  it('keeps only the providers in provider.only', () => {
    const filter = request({ provider: { only: ['Fast-Co', 'p9'] } })
    expect(rejectReason(candidate('p1', {}, 'fast-co'), filter, 0)).toBeUndefined()
    expect(rejectReason(candidate('p9', {}, 'other'), filter, 0)).toBeUndefined()
    expect(rejectReason(candidate('p2', {}, 'slow-co'), filter, 0)).toBe('only')
  })

  it('drops the providers in provider.ignore', () => {
    const filter = request({ provider: { ignore: ['slow-co'] } })
    expect(rejectReason(candidate('p1', {}, 'slow-co'), filter, 0)).toBe('ignore')
    expect(rejectReason(candidate('p2', {}, 'fast-co'), filter, 0)).toBeUndefined()
  })

  it('keeps only the providers in provider.order when fallbacks are off', () => {
    const ordered = { order: ['fast-co'] }
    expect(rejectReason(candidate('p2', {}, 'other'), request({ provider: { ...ordered, allow_fallbacks: false } }), 0)).toBe('order')
    expect(rejectReason(candidate('p1', {}, 'fast-co'), request({ provider: { ...ordered, allow_fallbacks: false } }), 0)).toBeUndefined()
    expect(rejectReason(candidate('p2', {}, 'other'), request({ provider: ordered }), 0)).toBeUndefined()
  })

  it('keeps only the listed quantizations, `unknown` standing for none declared', () => {
    const filter = request({ provider: { quantizations: ['fp8'] } })
    expect(rejectReason(candidate('p1', { quantization: 'FP8' }), filter, 0)).toBeUndefined()
    expect(rejectReason(candidate('p1', { quantization: 'int4' }), filter, 0)).toBe('quantization')
    expect(rejectReason(candidate('p1'), filter, 0)).toBe('quantization')
    expect(rejectReason(candidate('p1'), request({ provider: { quantizations: ['unknown'] } }), 0)).toBeUndefined()
  })

  it('with require_parameters, keeps only providers that declare every parameter used', () => {
    const body = { tools: [{ type: 'function', function: { name: 'f' } }], temperature: 0.5 }
    const strict = request({ ...body, provider: { require_parameters: true } })
    expect(rejectReason(candidate('p1', { supportedParameters: ['tools', 'temperature', 'top_p'] }), strict, 0)).toBeUndefined()
    expect(rejectReason(candidate('p1', { supportedParameters: ['temperature'] }), strict, 0)).toBe('parameters')
    // Not declared is unknown: it fails a strict request, and passes any other.
    expect(rejectReason(candidate('p1'), strict, 0)).toBe('parameters')
    expect(rejectReason(candidate('p1'), request(body), 0)).toBeUndefined()
    expect(rejectReason(candidate('p1', { supportedParameters: [] }), request(body), 0)).toBeUndefined()
    // A request that uses no routed parameter needs no declaration.
    expect(rejectReason(candidate('p1'), request({ provider: { require_parameters: true } }), 0)).toBeUndefined()
  })

  it('drops providers above provider.max_price, compared exactly', () => {
    const filter = request({ provider: { max_price: { prompt: '0.1', completion: 0.2 } } })
    expect(rejectReason(candidate('p1', { input: 100_000n, output: 200_000n }), filter, 0)).toBeUndefined()
    expect(rejectReason(candidate('p1', { input: 100_001n, output: 200_000n }), filter, 0)).toBe('max_price')
    expect(rejectReason(candidate('p1', { input: 0n, output: 200_001n }), filter, 0)).toBe('max_price')
    expect(rejectReason(candidate('p1', { input: 100_000n, output: 9_000_000n }), request({ provider: { max_price: { prompt: 0.1 } } }), 0)).toBeUndefined()
  })

  it('drops providers whose context cannot hold the prompt and max_tokens', () => {
    const prompt = 'x'.repeat(4 * 1000)
    const fits = request({ prompt, max_tokens: 96 })
    expect(fits.promptTokensEstimate + fits.maxTokens!).toBe(1096)
    expect(rejectReason(candidate('p1', { contextLength: 1096 }), fits, 0)).toBeUndefined()
    expect(rejectReason(candidate('p1', { contextLength: 1095 }), fits, 0)).toBe('context_length')
    expect(rejectReason(candidate('p1', { contextLength: 1000 }), request({ prompt }), 0)).toBeUndefined()
  })

  it('drops providers the router already keeps at their advertised capacity, whatever load they advertise', () => {
    expect(rejectReason(candidate('p1', { maxConcurrency: 2, inFlight: 2 }), request(), 1)).toBeUndefined()
    expect(rejectReason(candidate('p1', { maxConcurrency: 2, inFlight: 0 }), request(), 2)).toBe('capacity')
  })

  it('blames a preference before the request size or the load', () => {
    const filter = request({ prompt: 'x'.repeat(40_000), provider: { max_price: { prompt: 0 } } })
    expect(rejectReason(candidate('p1', { contextLength: 100, maxConcurrency: 1 }), filter, 5)).toBe('max_price')
  })
})

describe('matchesProvider', () => {
  it('matches a peer id exactly and an offer name in any case', () => {
    const c = candidate('12D3KooWabc', {}, 'Fast-Co')
    expect(matchesProvider(c, '12D3KooWabc')).toBe(true)
    expect(matchesProvider(c, '12d3koowabc')).toBe(false)
    expect(matchesProvider(c, 'fast-co')).toBe(true)
    expect(matchesProvider(c, 'fast')).toBe(false)
  })
})
