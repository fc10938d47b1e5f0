import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import OpenAI from 'openai'
import { createDevEngine, type Engine } from '@agora/provider-node'
import { adjust, creditsSummary, recomputeBalance } from '@agora/router'
import { fundedAccount } from '@agora/router/testing'
import { requestCost } from '@agora/protocol'
import { startMarketplace, waitFor, type Marketplace } from '../fixtures/marketplace.ts'

/**
 * Credits on the request path, against a real marketplace (router on PGlite, dev-engine
 * providers over libp2p): what a request costs, who may make it, and that nothing is
 * charged that was not delivered.
 */
let market: Marketplace

const PRICE = { inputPerMTok: 1_000_000, outputPerMTok: 2_000_000 }

/** A dev engine that claims ten thousand times the tokens it produced. */
function inflatingEngine(): Engine {
  const dev = createDevEngine({ models: [{ id: 'dev/inflated' }] })
  return {
    kind: 'inflating',
    models: dev.models,
    async *run(request, signal) {
      for await (const event of dev.run(request, signal)) {
        yield event.type === 'usage' ? { type: 'usage', usage: { prompt_tokens: 10_000, completion_tokens: 10_000, total_tokens: 20_000 } } : event
      }
    },
  }
}

beforeAll(async () => {
  market = await startMarketplace({
    logLevel: 'error',
    providers: [
      { name: 'billing-node', engine: { kind: 'dev' }, models: [{ id: 'dev/chat', pricing: PRICE }, { id: 'dev/embed', pricing: PRICE }, { id: 'dev/other', pricing: PRICE }] },
      { name: 'inflating-node', engine: { kind: 'dev' }, engineInstance: inflatingEngine(), models: [{ id: 'dev/inflated', pricing: PRICE }] },
    ],
  })
})

afterAll(async () => {
  await market?.stop()
})

const db = () => market.router.database.db

/** A fresh account with `balance` micro-USD and one key with `limits`, and an SDK client for it. */
async function customer(balance: bigint, limits: Parameters<typeof fundedAccount>[2] = {}) {
  const funded = await fundedAccount(db(), balance, limits)
  return { ...funded, client: new OpenAI({ baseURL: market.baseURL, apiKey: funded.secret, maxRetries: 0 }) }
}

async function expectConserved(accountId: string): Promise<void> {
  const summary = (await creditsSummary(db(), accountId))!
  expect(await recomputeBalance(db(), accountId)).toBe(summary.balance)
  expect(summary.held).toBe(0n)
}

describe('a billed request', () => {
  it('costs its usage at the provider price, reported in usage.cost, /v1/generation and /v1/credits', async () => {
    const { client, account } = await customer(10_000_000n)
    const { data: completion, response } = await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'price me' }] }).withResponse()
    const usage = completion.usage as OpenAI.CompletionUsage & { cost: number }
    const expected = requestCost({ promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }, { inputPerMTok: 1_000_000n, outputPerMTok: 2_000_000n })
    expect(usage.cost).toBe(Number(expected) / 1e6)

    const generationId = response.headers.get('x-generation-id')!
    const generation = (await client.get(`/generation?id=${generationId}`)) as { data: Record<string, unknown> }
    expect(generation.data).toMatchObject({
      id: generationId,
      model: 'dev/chat',
      provider: market.providers[0]!.peerId,
      status: 'completed',
      finish_reason: 'stop',
      tokens_prompt: usage.prompt_tokens,
      tokens_completion: usage.completion_tokens,
      total_cost_micro_usd: expected.toString(),
    })
    const credits = (await client.get('/credits')) as { data: { total_credits: number; total_usage: number; balance: number } }
    expect(credits.data).toMatchObject({ total_credits: 10, total_usage: Number(expected) / 1e6, balance: (10_000_000 - Number(expected)) / 1e6 })
    await expectConserved(account.id)
  })

  it('bills streams whether or not the client asked for usage, and puts the cost in the usage chunk', async () => {
    const { client, account } = await customer(10_000_000n)
    const silent = await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'stream' }], stream: true }).withResponse()
    for await (const chunk of silent.data) expect(chunk.usage).toBeFalsy()
    const generation = (await client.get(`/generation?id=${silent.response.headers.get('x-generation-id')}`)) as { data: { tokens_completion: number; total_cost: number } }
    expect(generation.data.tokens_completion).toBeGreaterThan(0)
    expect(generation.data.total_cost).toBeGreaterThan(0)

    const told = await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'stream' }], stream: true, stream_options: { include_usage: true } })
    let cost: number | undefined
    for await (const chunk of told) cost = (chunk.usage as { cost?: number } | undefined)?.cost ?? cost
    expect(cost).toBe(generation.data.total_cost)
    await expectConserved(account.id)
  })

  it('charges a provider that inflates its usage only what it delivered', async () => {
    const { client, account } = await customer(100_000_000n)
    const completion = await client.chat.completions.create({ model: 'dev/inflated', messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 })
    const delivered = Buffer.byteLength(completion.choices[0]!.message.content!)
    expect(completion.usage!.completion_tokens).toBeLessThanOrEqual(20)
    expect(completion.usage!.completion_tokens).toBeLessThan(10_000)
    expect(completion.usage!.prompt_tokens).toBeLessThanOrEqual(JSON.stringify([{ role: 'user', content: 'hi' }]).length + 4)
    expect(delivered).toBeGreaterThan(0)
    await expectConserved(account.id)
  })
})

describe('who may make a request', () => {
  it('402 insufficient_credits when the balance cannot cover the hold, and nothing is recorded', async () => {
    const { client, account } = await customer(10n)
    const error = (await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
    expect(error.status).toBe(402)
    expect(error.code).toBe('insufficient_credits')
    const summary = (await creditsSummary(db(), account.id))!
    expect(summary).toMatchObject({ balance: 10n, used: 0n, held: 0n })
  })

  it('402 insufficient_credits when the balance was spent elsewhere since the router last saw it, and nothing is charged', async () => {
    const { client, account } = await customer(10_000_000n)
    await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'hi' }] })
    // The router has seen the balance; another replica (here, an adjustment) spends it.
    const before = (await creditsSummary(db(), account.id))!
    await adjust(db(), { accountId: account.id, amount: -before.balance, note: 'spent elsewhere' })

    const error = (await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
    expect(error.status).toBe(402)
    expect(error.code).toBe('insufficient_credits')
    const stream = await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'hi' }], stream: true }).catch((e: unknown) => e)
    expect(stream).toMatchObject({ status: 402 })
    expect(await creditsSummary(db(), account.id)).toMatchObject({ balance: 0n, used: before.used, held: 0n })
    await expectConserved(account.id)
  })

  it("402 key_limit_exceeded once a key's spend limit is reached, while the account still has credits", async () => {
    const { client } = await customer(100_000_000n, { spendLimit: 1_000n, spendReset: 'daily' })
    const error = (await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
    expect(error.status).toBe(402)
    expect(error.code).toBe('key_limit_exceeded')
    const info = (await client.get('/key')) as { data: { limit: number; limit_remaining: number; limit_reset: string } }
    expect(info.data).toMatchObject({ limit: 0.001, limit_remaining: 0.001, limit_reset: 'daily' })
  })

  it('403 for a model the key may not use', async () => {
    const { client } = await customer(10_000_000n, { allowedModels: ['dev/chat'] })
    await expect(client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'hi' }] })).resolves.toBeDefined()
    const error = (await client.embeddings.create({ model: 'dev/embed', input: 'hi' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
    expect(error.status).toBe(403)
    expect(error.code).toBe('model_not_allowed')
  })

  it('429 past the rpm limit, with Retry-After and x-ratelimit headers', async () => {
    const { secret } = await customer(10_000_000n, { rpmLimit: 2 })
    const ask = () =>
      fetch(`${market.baseURL}/embeddings`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'dev/embed', input: 'x' }) })
    const first = await ask()
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2')
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1')
    expect((await ask()).status).toBe(200)
    const limited = await ask()
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0')
    expect((await limited.json()).error.type).toBe('rate_limit_error')
  })

  it('401 for a revoked key within seconds of revoking it', async () => {
    const { client, key, account } = await customer(10_000_000n)
    await client.models.list()
    const revoke = await fetch(`${market.baseURL.replace(/\/v1$/, '')}/api/accounts/${account.address}/keys/${key.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${market.adminToken}` } })
    expect(revoke.status).toBe(200)
    const error = (await client.models.list().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
    expect(error.status).toBe(401)
    expect(error.code).toBe('key_revoked')
  })
})

describe('interrupted streams charge only what was delivered', () => {
  it('when the provider dies mid-stream', async () => {
    const doomed = await market.addProvider({ name: 'doomed', engine: { kind: 'dev', tokensPerSecond: 30 }, models: [{ id: 'dev/doomed', pricing: PRICE }] })
    const { secret, account } = await customer(100_000_000n)
    const response = await fetch(`${market.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'dev/doomed', messages: [{ role: 'user', content: 'a long one' }], stream: true, max_tokens: 500 }),
    })
    const generationId = response.headers.get('x-generation-id')!
    const reader = response.body!.getReader()
    let text = ''
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      text += new TextDecoder().decode(next.value)
      if (text.split('data: ').length === 4) void doomed.stop()
    }
    expect(text).toContain('"error"')
    const delivered = text
      .split('\n')
      .filter((line) => line.startsWith('data: {"id"'))
      .map((line) => JSON.parse(line.slice(6)).choices[0].delta.content ?? '')
      .join('')
    await waitFor(async () => (await creditsSummary(db(), account.id))!.held === 0n, 'the hold to settle')
    const generation = await db().query.generations.findFirst({ where: (g, { eq }) => eq(g.id, generationId) })
    expect(generation).toMatchObject({ status: 'failed' })
    expect(generation!.completionTokens).toBeLessThanOrEqual(Buffer.byteLength(delivered) + 4)
    expect(generation!.completionTokens).toBeLessThan(500)
    await expectConserved(account.id)
  })

  it('when the client goes away', async () => {
    const slow = await market.addProvider({ name: 'slow-billing', engine: { kind: 'dev', tokensPerSecond: 30 }, models: [{ id: 'dev/slow-billing', pricing: PRICE }] })
    const { secret, account } = await customer(100_000_000n)
    const abort = new AbortController()
    const response = await fetch(`${market.baseURL}/chat/completions`, {
      method: 'POST',
      signal: abort.signal,
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'dev/slow-billing', messages: [{ role: 'user', content: 'a long one' }], stream: true, max_tokens: 500 }),
    })
    const generationId = response.headers.get('x-generation-id')!
    const reader = response.body!.getReader()
    await reader.read()
    await reader.read()
    abort.abort()
    await waitFor(() => slow.stats.aborted === 1, 'the provider to stop')
    await waitFor(async () => (await creditsSummary(db(), account.id))!.held === 0n, 'the hold to settle')
    const generation = await db().query.generations.findFirst({ where: (g, { eq }) => eq(g.id, generationId) })
    expect(generation).toMatchObject({ status: 'cancelled' })
    expect(generation!.completionTokens).toBeLessThan(20)
    await expectConserved(account.id)
  })
})

describe('a request that fails before the first byte', () => {
  it('costs nothing and leaves no hold', async () => {
    const doomed = await market.addProvider({ name: 'doomed-early', engine: { kind: 'dev', ttftMs: 5_000 }, models: [{ id: 'dev/doomed-early', pricing: PRICE }] })
    const { client, account } = await customer(10_000_000n)
    const pending = client.chat.completions.create({ model: 'dev/doomed-early', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)
    await waitFor(() => doomed.stats.requests === 1, 'the request to arrive')
    await doomed.stop()
    expect(((await pending) as InstanceType<typeof OpenAI.APIError>).status).toBe(502)
    expect(await creditsSummary(db(), account.id)).toMatchObject({ balance: 10_000_000n, used: 0n, held: 0n })
  })
})
