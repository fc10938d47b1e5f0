import { afterAll, beforeAll, describe, it, expect, vi } from 'vitest'
import { createThrowawayDatabase, fundedAccount, testDrivers } from '@agora/router/testing'
import { startMarketplace, type LocalProvider, type Marketplace } from '../fixtures/marketplace.ts'

/**
 * Account settings on the request path, against a real marketplace on each database:
 * what an account saves through the management API is what its requests get when they do
 * not say otherwise, a request's own preference wins, and the account's allowed models bind
 * every key.
 */
vi.setConfig({ hookTimeout: 180_000 })

const provider = (name: string, input: number, output: number, quantization: string): LocalProvider => ({
  name,
  engine: { kind: 'dev', ttftMs: 0 },
  models: ['dev/chat', 'dev/other'].map((id) => ({ id, quantization, maxConcurrency: 64, pricing: { inputPerMTok: input, outputPerMTok: output } })),
})

describe.each(await testDrivers())('account settings on %s', (driver) => {
  let market: Marketplace
  let dropDatabase: (() => Promise<void>) | undefined
  let account: { address: string; id: string }
  let secret: string

  beforeAll(async () => {
    const database = driver === 'postgres' ? await createThrowawayDatabase() : undefined
    dropDatabase = database?.drop
    market = await startMarketplace({
      logLevel: 'error',
      ...(database ? { databaseUrl: database.url } : {}),
      providers: [provider('cheap-node', 100_000, 200_000, 'q4'), provider('dear-node', 1_000_000, 2_000_000, 'fp16')],
    })
    const funded = await fundedAccount(market.router.database.db, 10_000_000n)
    account = funded.account
    secret = funded.secret
  })

  afterAll(async () => {
    await market?.stop()
    await dropDatabase?.()
  })

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${market.router.url}/api/accounts/${account.address}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${market.adminToken}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
    })

  async function save(settings: Record<string, unknown>): Promise<Record<string, unknown>> {
    const response = await api('/settings', { method: 'PUT', body: JSON.stringify(settings) })
    expect(response.status, await response.clone().text()).toBe(200)
    return (await response.json()) as Record<string, unknown>
  }

  function complete(body: Record<string, unknown>): Promise<Response> {
    return fetch(`${market.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'dev/chat', max_tokens: 4, messages: [{ role: 'user', content: `settings ${Math.random()}` }], ...body }),
    })
  }

  /** Which provider served each of `count` requests with `body`. */
  async function servedBy(count: number, body: Record<string, unknown> = {}): Promise<Record<string, number>> {
    const tally: Record<string, number> = {}
    for (let i = 0; i < count; i++) {
      const response = await complete(body)
      expect(response.status, await response.clone().text()).toBe(200)
      const { provider } = (await response.json()) as { provider: string }
      tally[provider] = (tally[provider] ?? 0) + 1
    }
    return tally
  }

  it('has no defaults until saved, and reads back what was saved', async () => {
    const initial = await (await api('/settings')).json()
    expect(initial).toEqual({
      provider: { sort: null, max_price: { prompt: null, completion: null }, ignore: [], quantizations: null, allow_fallbacks: true },
      allowed_models: null,
      low_balance_threshold_micro_usd: null,
      updated_at: null,
    })
    const saved = await save({ provider: { sort: 'price', max_price: { prompt: '0.5', completion: 3 }, ignore: ['slow-node'], quantizations: ['FP16'] }, low_balance_threshold_micro_usd: '2500000' })
    expect(saved).toMatchObject({
      provider: { sort: 'price', max_price: { prompt: '0.5', completion: '3' }, ignore: ['slow-node'], quantizations: ['fp16'], allow_fallbacks: true },
      allowed_models: null,
      low_balance_threshold_micro_usd: '2500000',
      updated_at: expect.any(String),
    })
    expect(await (await api('/settings')).json()).toEqual(saved)
  })

  it('refuses settings that do not parse, naming the field', async () => {
    for (const [settings, param] of [
      [{ provider: { sort: 'cheapest' } }, 'provider.sort'],
      [{ provider: { max_price: { prompt: '-1' } } }, 'provider.max_price.prompt'],
      [{ allowed_models: [] }, 'allowed_models'],
      [{ low_balance_threshold_micro_usd: -5 }, 'low_balance_threshold_micro_usd'],
      [{ surprise: true }, null],
    ] as const) {
      const response = await api('/settings', { method: 'PUT', body: JSON.stringify(settings) })
      expect(response.status, JSON.stringify(settings)).toBe(400)
      expect(((await response.json()) as { error: { param: string | null } }).error.param).toBe(param)
    }
  })

  it('routes a request without preferences by the account defaults, at once after saving', async () => {
    await save({ provider: { sort: 'price' } })
    expect(await servedBy(6)).toEqual({ 'cheap-node': 6 })
    await save({ provider: { ignore: ['cheap-node'] } })
    expect(await servedBy(6)).toEqual({ 'dear-node': 6 })
    await save({ provider: { quantizations: ['q4'] } })
    expect(await servedBy(6)).toEqual({ 'cheap-node': 6 })
    // 0.5 USD per million input tokens: only cheap-node (0.1) is within it.
    await save({ provider: { max_price: { prompt: 0.5 } } })
    expect(await servedBy(6)).toEqual({ 'cheap-node': 6 })
  })

  it("lets a request's own provider preferences override the defaults, field by field", async () => {
    await save({ provider: { sort: 'price', ignore: ['cheap-node'], quantizations: ['q4', 'fp16'] } })
    expect(await servedBy(4)).toEqual({ 'dear-node': 4 })
    // Its own (empty) ignore list replaces the default; the default sort by price still applies.
    expect(await servedBy(4, { provider: { ignore: [] } })).toEqual({ 'cheap-node': 4 })
    expect(await servedBy(4, { provider: { ignore: [], quantizations: ['fp16'] } })).toEqual({ 'dear-node': 4 })
    await save({ provider: { max_price: { prompt: 0.5 } } })
    expect(await servedBy(4, { provider: { max_price: { prompt: 5 }, sort: 'price', ignore: ['cheap-node'] } })).toEqual({ 'dear-node': 4 })
  })

  it("refuses a model outside the account's allowed models with a 403, whatever the key allows", async () => {
    await save({ allowed_models: ['dev/chat'] })
    expect((await complete({})).status).toBe(200)
    for (const body of [{ model: 'dev/other' }, { models: ['dev/other'] }]) {
      const response = await complete(body)
      expect(response.status, JSON.stringify(body)).toBe(403)
      expect(await response.json()).toEqual({ error: { message: 'This account is not allowed to use `dev/other`', type: 'permission_error', param: 'model', code: 'model_not_allowed' } })
    }
    await save({})
    expect((await complete({ model: 'dev/other' })).status).toBe(200)
  })
})
