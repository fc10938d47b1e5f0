import { describe, it, expect } from 'vitest'
import { InvalidRequestError } from '@agora/protocol'
import { parseRoutingRequest, parseUsdPerMTok } from './preferences.ts'

const messages = [{ role: 'user', content: 'Hello there, how are you?' }]

function invalid(body: Record<string, unknown>, headers?: Record<string, string>): InvalidRequestError {
  try {
    parseRoutingRequest(body, headers)
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError)
    return error as InvalidRequestError
  }
  throw new Error('expected an InvalidRequestError')
}

describe('parseRoutingRequest', () => {
  it('defaults to the one model, no preferences', () => {
    const request = parseRoutingRequest({ model: 'llama', messages })
    expect(request).toEqual({
      models: ['llama'],
      preferences: {
        order: [],
        only: undefined,
        ignore: [],
        sort: undefined,
        maxPrice: { prompt: undefined, completion: undefined },
        allowFallbacks: true,
        requireParameters: false,
        quantizations: undefined,
      },
      parameters: [],
      promptTokensEstimate: expect.any(Number),
    })
    expect(request.sessionId).toBeUndefined()
    expect(request.maxTokens).toBeUndefined()
  })

  it('lists the primary model, then the fallbacks, without repeats', () => {
    expect(parseRoutingRequest({ model: 'a', models: ['b', 'a', 'c', 'b'] }).models).toEqual(['a', 'b', 'c'])
    expect(parseRoutingRequest({ models: ['b', 'c'] }).models).toEqual(['b', 'c'])
  })

  it('strips :floor and :nitro, which sort by price and throughput', () => {
    expect(parseRoutingRequest({ model: 'llama:floor' })).toMatchObject({ models: ['llama'], preferences: { sort: 'price' } })
    expect(parseRoutingRequest({ model: 'llama:nitro', models: ['qwen:floor'] })).toMatchObject({
      models: ['llama', 'qwen'],
      preferences: { sort: 'throughput' },
    })
    expect(parseRoutingRequest({ model: 'llama:nitro', models: ['llama'] }).models).toEqual(['llama'])
    // An explicit sort wins over a suffix; other suffixes are part of the id.
    expect(parseRoutingRequest({ model: 'llama:nitro', provider: { sort: 'latency' } }).preferences.sort).toBe('latency')
    expect(parseRoutingRequest({ model: 'llama:free' }).models).toEqual(['llama:free'])
  })

  it('reads each provider preference', () => {
    const { preferences } = parseRoutingRequest({
      model: 'm',
      provider: {
        order: ['fast-co', '12D3KooWabc'],
        only: ['fast-co', 'cheap-co'],
        ignore: ['bad-co'],
        sort: 'throughput',
        allow_fallbacks: false,
        require_parameters: true,
        quantizations: ['FP8', 'bf16'],
        max_price: { prompt: 0.5, completion: '1.25' },
      },
    })
    expect(preferences).toEqual({
      order: ['fast-co', '12D3KooWabc'],
      only: ['fast-co', 'cheap-co'],
      ignore: ['bad-co'],
      sort: 'throughput',
      maxPrice: { prompt: 500_000n, completion: 1_250_000n },
      allowFallbacks: false,
      requireParameters: true,
      quantizations: ['fp8', 'bf16'],
    })
  })

  it('accepts sort as an object, and null for any preference', () => {
    expect(parseRoutingRequest({ model: 'm', provider: { sort: { by: 'price', partition: 'none' } } }).preferences.sort).toBe('price')
    const { preferences } = parseRoutingRequest({ model: 'm', provider: { order: null, sort: null, max_price: null, allow_fallbacks: null } })
    expect(preferences).toMatchObject({ order: [], sort: undefined, allowFallbacks: true, maxPrice: { prompt: undefined } })
    expect(parseRoutingRequest({ model: 'm', provider: null }).preferences.allowFallbacks).toBe(true)
  })

  it("fills the provider fields a request leaves unset from the account's defaults, and lets the request override each", () => {
    const defaults = { sort: 'price' as const, maxPrice: { prompt: 500_000n, completion: 1_500_000n }, ignore: ['slow'], quantizations: ['q8'], allowFallbacks: false }
    expect(parseRoutingRequest({ model: 'm' }, {}, defaults).preferences).toMatchObject({
      sort: 'price',
      maxPrice: { prompt: 500_000n, completion: 1_500_000n },
      ignore: ['slow'],
      quantizations: ['q8'],
      allowFallbacks: false,
    })
    const own = parseRoutingRequest(
      { model: 'm', provider: { sort: 'latency', max_price: { prompt: 1 }, ignore: [], quantizations: ['FP16'], allow_fallbacks: true } },
      {},
      defaults,
    )
    expect(own.preferences).toMatchObject({ sort: 'latency', maxPrice: { prompt: 1_000_000n, completion: 1_500_000n }, ignore: [], quantizations: ['fp16'], allowFallbacks: true })
    expect(parseRoutingRequest({ model: 'm:nitro', provider: { quantizations: [], sort: null } }, {}, defaults).preferences).toMatchObject({ sort: 'throughput', quantizations: undefined })
  })

  it('treats empty only and quantizations lists as no restriction', () => {
    expect(parseRoutingRequest({ model: 'm', provider: { only: [], quantizations: [] } }).preferences).toMatchObject({
      only: undefined,
      quantizations: undefined,
    })
  })

  it('ignores fields it does not act on, whatever their value', () => {
    const request = parseRoutingRequest({
      model: 'm',
      route: 'fallback',
      provider: {
        data_collection: 'deny',
        zdr: 'yes',
        enforce_distillable_text: 7,
        preferred_min_throughput: { p90: 50 },
        max_price: { prompt: 1, request: 'whatever', image: -3 },
        something_new: [1, 2, 3],
      },
    })
    expect(request.preferences.maxPrice).toEqual({ prompt: 1_000_000n, completion: undefined })
  })

  it('answers a control of the wrong type with a 400 naming it', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ model: 'm', provider: 'fast' }, 'provider'],
      [{ model: 'm', provider: { sort: 'cheapest' } }, 'provider.sort'],
      [{ model: 'm', provider: { sort: 1 } }, 'provider.sort'],
      [{ model: 'm', provider: { order: 'fast-co' } }, 'provider.order'],
      [{ model: 'm', provider: { only: [3] } }, 'provider.only[0]'],
      [{ model: 'm', provider: { ignore: [''] } }, 'provider.ignore[0]'],
      [{ model: 'm', provider: { allow_fallbacks: 'false' } }, 'provider.allow_fallbacks'],
      [{ model: 'm', provider: { require_parameters: 1 } }, 'provider.require_parameters'],
      [{ model: 'm', provider: { quantizations: 'fp8' } }, 'provider.quantizations'],
      [{ model: 'm', provider: { max_price: { prompt: -1 } } }, 'provider.max_price.prompt'],
      [{ model: 'm', provider: { max_price: { completion: 'one dollar' } } }, 'provider.max_price.completion'],
      [{ model: 'm', provider: { max_price: 5 } }, 'provider.max_price'],
      [{ model: 'm', models: 'n' }, 'models'],
      [{ model: 'm', models: Array.from({ length: 9 }, (_, i) => `m${i}`) }, 'models'],
      [{ model: 'm', session_id: 42 }, 'session_id'],
      [{ model: 'm', session_id: 'x'.repeat(257) }, 'session_id'],
    ]
    for (const [body, param] of cases) {
      const error = invalid(body)
      expect(error.status, param).toBe(400)
      expect(error.param, param).toBe(param)
      expect(error.message, param).toContain(`'${param}'`)
    }
    expect(invalid({ messages }).param).toBe('model')
    expect(invalid({ model: 'm' }, { 'x-session-id': 'x'.repeat(300) }).param).toBe('x-session-id')
  })

  it('takes the session id from the body, else from the x-session-id header', () => {
    expect(parseRoutingRequest({ model: 'm', session_id: 'body' }, { 'x-session-id': 'header' }).sessionId).toBe('body')
    expect(parseRoutingRequest({ model: 'm' }, { 'X-Session-Id': 'header' }).sessionId).toBe('header')
    expect(parseRoutingRequest({ model: 'm' }, new Headers({ 'x-session-id': 'fetch' })).sessionId).toBe('fetch')
    expect(parseRoutingRequest({ model: 'm', session_id: '' }).sessionId).toBeUndefined()
  })

  it('lists the routed parameters the request sets', () => {
    const request = parseRoutingRequest({
      model: 'm',
      messages,
      tools: [{ type: 'function', function: { name: 'f' } }],
      temperature: 0.2,
      top_p: null,
      max_completion_tokens: 64,
      stream: true,
      user: 'u',
    })
    expect(request.parameters.sort()).toEqual(['max_tokens', 'temperature', 'tools'])
    expect(request.maxTokens).toBe(64)
    expect(parseRoutingRequest({ model: 'm', max_tokens: 32 }).maxTokens).toBe(32)
  })

  it('estimates the prompt from messages, prompt or input', () => {
    const text = 'x'.repeat(400)
    expect(parseRoutingRequest({ model: 'm', messages: [{ role: 'user', content: text }] }).promptTokensEstimate).toBe(4 + 100)
    expect(
      parseRoutingRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text }, { type: 'image_url', image_url: {} }] }] })
        .promptTokensEstimate,
    ).toBe(4 + 100)
    expect(parseRoutingRequest({ model: 'm', prompt: [text, text] }).promptTokensEstimate).toBe(200)
    expect(parseRoutingRequest({ model: 'm', input: [[1, 2, 3], [4]] }).promptTokensEstimate).toBe(4)
    // Multi-byte text counts by its bytes.
    expect(parseRoutingRequest({ model: 'm', prompt: '日本語' }).promptTokensEstimate).toBe(3)
  })
})

describe('parseUsdPerMTok', () => {
  it('converts USD per million tokens to micro-USD exactly, through no float', () => {
    expect(parseUsdPerMTok(0.1)).toBe(100_000n)
    expect(parseUsdPerMTok(0.3)).toBe(300_000n)
    expect(parseUsdPerMTok('0.15')).toBe(150_000n)
    expect(parseUsdPerMTok(15)).toBe(15_000_000n)
    expect(parseUsdPerMTok('2.000001')).toBe(2_000_001n)
    expect(parseUsdPerMTok('0')).toBe(0n)
    expect(parseUsdPerMTok(' 7.5 ')).toBe(7_500_000n)
    expect(parseUsdPerMTok('.5')).toBe(500_000n)
    expect(parseUsdPerMTok('3.')).toBe(3_000_000n)
    expect(parseUsdPerMTok(1e21)).toBe(10n ** 27n)
    expect(parseUsdPerMTok('123456789012345678901234567890')).toBe(123456789012345678901234567890n * 1_000_000n)
  })

  it('rounds below a micro-USD down, since provider prices are whole micro-USD', () => {
    expect(parseUsdPerMTok('0.0000019')).toBe(1n)
    expect(parseUsdPerMTok(1e-7)).toBe(0n)
    expect(parseUsdPerMTok('2.5e-6')).toBe(2n)
  })

  it('refuses what is not a non-negative decimal', () => {
    for (const value of ['-1', '', '.', 'abc', '1,5', '0x10', '1e999', Number.NaN, Number.POSITIVE_INFINITY, -0.5]) {
      expect(parseUsdPerMTok(value), String(value)).toBeUndefined()
    }
  })
})
