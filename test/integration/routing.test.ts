import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import OpenAI from 'openai'
import { startMarketplace, waitFor, type LocalProvider, type Marketplace } from '../fixtures/marketplace.ts'

/**
 * Routing over real libp2p with dev engines of different prices and speeds: who gets the
 * requests, what the request controls change, and what happens when a provider dies.
 */
let market: Marketplace
let client: OpenAI

// Alike in speed, and at a pace of a few milliseconds a request: the dev engine unthrottled
// answers in well under a millisecond, so the router's latency and throughput measurements were
// scheduling noise on a busy machine, and a noisy ratio outweighed a 10× price difference now and then.
const provider = (name: string, input: number, output: number, extra: Partial<LocalProvider> & { quantization?: string } = {}): LocalProvider => ({
  name,
  engine: { kind: 'dev', ttftMs: 10, tokensPerSecond: 400 },
  models: [{ id: 'dev/route', pricing: { inputPerMTok: input, outputPerMTok: output }, maxConcurrency: 64, ...(extra.quantization ? { quantization: extra.quantization } : {}) }],
})

beforeAll(async () => {
  market = await startMarketplace({
    logLevel: 'error',
    providers: [
      provider('cheap', 100_000, 200_000, { quantization: 'q4_k_m' }),
      provider('double', 200_000, 400_000, { quantization: 'fp16' }),
      provider('pricey', 2_000_000, 4_000_000, { quantization: 'fp16' }),
    ],
  })
  client = new OpenAI({ baseURL: market.baseURL, apiKey: market.apiKey, maxRetries: 0 })
})

afterAll(async () => {
  await market?.stop()
})

type Extra = Record<string, unknown>

async function servedBy(extra: Extra = {}, model = 'dev/route'): Promise<string> {
  const completion = await client.chat.completions.create({ model, messages: [{ role: 'user', content: `route ${Math.random()}` }], max_tokens: 4, ...extra } as never)
  return (completion as unknown as { provider: string }).provider
}

async function tally(count: number, extra: Extra = {}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (let i = 0; i < count; i++) {
    const name = await servedBy(extra)
    counts[name] = (counts[name] ?? 0) + 1
  }
  return counts
}

describe('default policy', () => {
  it('sends most requests to the cheapest provider, some to the next, few to the dearest', async () => {
    const counts = await tally(120)
    expect(counts.cheap).toBeGreaterThan(60)
    expect(counts.cheap!).toBeGreaterThan(counts.double ?? 0)
    expect(counts.double ?? 0).toBeGreaterThan(0)
    expect(counts.pricey ?? 0).toBeLessThan(counts.double ?? 0)
  })

  it('a provider five times slower at the same price gets few requests once measured', async () => {
    const local = await startMarketplace({
      logLevel: 'error',
      providers: [
        { name: 'fast', engine: { kind: 'dev', ttftMs: 20, tokensPerSecond: 400 }, models: [{ id: 'dev/speed', maxConcurrency: 64 }] },
        { name: 'slow', engine: { kind: 'dev', ttftMs: 100, tokensPerSecond: 80 }, models: [{ id: 'dev/speed', maxConcurrency: 64 }] },
      ],
    })
    try {
      const speedClient = new OpenAI({ baseURL: local.baseURL, apiKey: local.apiKey, maxRetries: 0 })
      const counts: Record<string, number> = {}
      for (let i = 0; i < 60; i++) {
        const stream = await speedClient.chat.completions.create({ model: 'dev/speed', messages: [{ role: 'user', content: `speed ${i}` }], max_tokens: 8, stream: true })
        let name = ''
        for await (const chunk of stream) name = (chunk as unknown as { provider: string }).provider
        if (i >= 20) counts[name] = (counts[name] ?? 0) + 1
      }
      expect(counts.fast).toBeGreaterThan(30)
      expect(counts.slow ?? 0).toBeLessThan(10)
      const endpoints = (await speedClient.get('/models/dev/speed/endpoints')) as { data: { endpoints: Array<{ provider: string; latency_ms: number; throughput_tps: number }> } }
      const byName = Object.fromEntries(endpoints.data.endpoints.map((e) => [e.provider, e]))
      expect(byName.fast!.latency_ms).toBeLessThan(byName.slow!.latency_ms)
    } finally {
      await local.stop()
    }
  })
})

describe('request controls', () => {
  it('provider.sort, order, only, ignore, max_price and quantizations change the choice as documented', async () => {
    expect(await servedBy({ provider: { sort: 'price' } })).toBe('cheap')
    expect(await servedBy({ provider: { order: ['pricey', 'cheap'] } })).toBe('pricey')
    expect(await servedBy({ provider: { only: ['double'] } })).toBe('double')
    const ignoring = await tally(10, { provider: { ignore: ['cheap', market.providers[1]!.peerId] } })
    expect(ignoring).toEqual({ pricey: 10 })
    expect(await tally(10, { provider: { quantizations: ['fp16'], sort: 'price' } })).toEqual({ double: 10 })
    // 0.15 USD per million input tokens: only `cheap` (0.1) is within it.
    expect(await tally(10, { provider: { max_price: { prompt: 0.15, completion: 1 } } })).toEqual({ cheap: 10 })
  })

  it('the :floor suffix sorts by price and is stripped from the model id', async () => {
    const completion = await client.chat.completions.create({ model: 'dev/route:floor', messages: [{ role: 'user', content: 'floor' }] })
    expect(completion.model).toBe('dev/route')
    expect((completion as unknown as { provider: string }).provider).toBe('cheap')
  })

  it('explains in a 404 when preferences exclude every provider', async () => {
    const error = (await client.chat.completions.create({ model: 'dev/route', messages: [{ role: 'user', content: 'x' }], provider: { max_price: { prompt: 0.01 } } } as never).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
    expect(error.status).toBe(404)
    expect(error.message).toMatch(/max_price/)
  })

  it('rejects a control of the wrong type with a 400 naming it', async () => {
    const error = (await client.chat.completions.create({ model: 'dev/route', messages: [{ role: 'user', content: 'x' }], provider: { sort: 'vibes' } } as never).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
    expect(error.status).toBe(400)
    expect(error.param).toBe('provider.sort')
  })

  it('session_id keeps a conversation on one provider', async () => {
    const first = await servedBy({ session_id: 'conversation-1', provider: { order: ['double'] } })
    expect(first).toBe('double')
    expect(await tally(10, { session_id: 'conversation-1' })).toEqual({ double: 10 })
  })

  it('models[] falls back to the next model when the first has no provider', async () => {
    const completion = await client.chat.completions.create({ model: 'nobody/serves-this', models: ['dev/route'], messages: [{ role: 'user', content: 'fallback' }] } as never)
    expect(completion.model).toBe('dev/route')
  })
})

describe('failures', () => {
  it('fails over before the first byte and cools the dead provider down at once, then evicts it when its offer expires', async () => {
    const local = await startMarketplace({
      logLevel: 'error',
      providers: [
        { name: 'doomed', engine: { kind: 'dev' }, models: [{ id: 'dev/failover', pricing: { inputPerMTok: 1, outputPerMTok: 1 } }], offerTtlMs: 2_000, announceIntervalMs: 500 },
        { name: 'survivor', engine: { kind: 'dev' }, models: [{ id: 'dev/failover', pricing: { inputPerMTok: 900_000, outputPerMTok: 900_000 } }] },
      ],
    })
    try {
      const failoverClient = new OpenAI({ baseURL: local.baseURL, apiKey: local.apiKey, maxRetries: 0 })
      const ask = async () => {
        const c = await failoverClient.chat.completions.create({ model: 'dev/failover', messages: [{ role: 'user', content: 'hi' }], provider: { sort: 'price' } } as never)
        return (c as unknown as { provider: string }).provider
      }
      expect(await ask()).toBe('doomed')
      const doomed = local.providers[0]!
      // Kill its libp2p node only: the router still holds its unexpired offer.
      await doomed.peer.stop()
      for (let i = 0; i < 5; i++) expect(await ask()).toBe('survivor')
      const endpoints = (await failoverClient.get('/models/dev/failover/endpoints')) as { data: { endpoints: Array<{ provider: string }> } }
      expect(endpoints.data.endpoints.map((e) => e.provider)).toEqual(['survivor'])
      await waitFor(() => local.router.registry.get(doomed.peerId) === undefined, 'the dead offer to expire', 5_000)
    } finally {
      await local.stop()
    }
  })
})
