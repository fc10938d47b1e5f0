import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import OpenAI from 'openai'
import { startMarketplace, waitFor, type Marketplace } from '../fixtures/marketplace.ts'
import { startMockUpstream, type MockUpstream } from '../fixtures/mock-openai-upstream.ts'
import { validateAgainstOpenAI } from '../conformance/openai-spec.ts'

/**
 * The `openai` engine: a provider node in front of an OpenAI-compatible server (here the
 * mock upstream, standing in for vLLM or Ollama). What the client sends reaches the
 * upstream faithfully, and what the upstream answers reaches the client faithfully.
 */
let upstream: MockUpstream
let market: Marketplace
let client: OpenAI

beforeAll(async () => {
  // `qwen2.5:0.5b` is on the upstream but not in the config: the node must not publish it.
  upstream = await startMockUpstream({ tokens: 6, models: ['llama3.1:8b', 'nomic-embed', 'qwen2.5:0.5b'], apiKey: 'upstream-secret' })
  market = await startMarketplace({
    logLevel: 'error',
    providers: [
      {
        name: 'ollama-box',
        engine: { kind: 'openai', baseUrl: upstream.url, apiKey: 'upstream-secret' },
        models: [
          { id: 'meta-llama/llama-3.1-8b-instruct', upstream: 'llama3.1:8b', contextLength: 131072, quantization: 'q4_k_m' },
          { id: 'nomic-ai/nomic-embed-text', upstream: 'nomic-embed' },
        ],
        modelRefreshMs: 200,
      },
    ],
  })
  client = new OpenAI({ baseURL: market.baseURL, apiKey: market.apiKey, maxRetries: 0 })
})

afterAll(async () => {
  await market?.stop()
  await upstream?.close()
})

const lastUpstreamBody = (path: string) => upstream.requests.findLast((r) => r.path === path)!.body

describe('openai engine', () => {
  it('publishes the configured names for the upstream models it discovered, and only those', async () => {
    const models = []
    for await (const model of client.models.list()) models.push(model.id)
    expect(models.sort()).toEqual(['meta-llama/llama-3.1-8b-instruct', 'nomic-ai/nomic-embed-text'])
  })

  it('with no models configured, publishes every model the upstream lists, under its own name', async () => {
    const node = await market.addProvider({ name: 'everything', engine: { kind: 'openai', baseUrl: upstream.url, apiKey: 'upstream-secret' } })
    try {
      expect(node.currentOffer()?.models.map((m) => m.id).sort()).toEqual(['llama3.1:8b', 'nomic-embed', 'qwen2.5:0.5b'])
      const completion = await client.chat.completions.create({ model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: 'hi' }] })
      expect(completion.model).toBe('qwen2.5:0.5b')
    } finally {
      await node.stop()
    }
  })

  it('passes response_format, tools and vendor fields through to the upstream, under its own model name', async () => {
    const completion = await client.chat.completions.create({
      model: 'meta-llama/llama-3.1-8b-instruct',
      messages: [{ role: 'user', content: 'JSON please' }],
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
      temperature: 0.2,
      // Vendor parameters the OpenAI API does not know (vLLM's, Ollama's) must not be dropped.
      ...({ top_k: 40, repetition_penalty: 1.1 } as object),
    })
    expect(completion.model).toBe('meta-llama/llama-3.1-8b-instruct')
    expect(completion.choices[0]!.message.content).toBe('The quick brown fox jumps over')
    const sent = lastUpstreamBody('/v1/chat/completions')
    expect(sent).toMatchObject({
      model: 'llama3.1:8b',
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
      temperature: 0.2,
      top_k: 40,
      repetition_penalty: 1.1,
    })
    expect(upstream.requests.at(-1)!.headers.authorization).toBe('Bearer upstream-secret')
    expect(validateAgainstOpenAI('CreateChatCompletionResponse', completion).errors).toEqual([])
  })

  it('streams tool-call deltas through unchanged, and usage even when the upstream needed asking', async () => {
    const stream = await client.chat.completions.create({
      model: 'meta-llama/llama-3.1-8b-instruct',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = []
    for await (const chunk of stream) chunks.push(chunk)
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather' } })
    expect(JSON.parse(calls.map((c) => c.function?.arguments ?? '').join(''))).toHaveProperty('city')
    expect(chunks.at(-1)!.usage!.total_tokens).toBeGreaterThan(0)
    for (const chunk of chunks) {
      expect(chunk.model).toBe('meta-llama/llama-3.1-8b-instruct')
      expect(validateAgainstOpenAI('CreateChatCompletionStreamResponse', chunk).errors).toEqual([])
    }
  })

  it('asks the upstream for usage on every stream, and hides it when the client did not ask', async () => {
    const stream = await client.chat.completions.create({ model: 'meta-llama/llama-3.1-8b-instruct', messages: [{ role: 'user', content: 'hi' }], stream: true })
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = []
    for await (const chunk of stream) chunks.push(chunk)
    expect(lastUpstreamBody('/v1/chat/completions').stream_options).toEqual({ include_usage: true })
    expect(chunks.some((c) => c.usage)).toBe(false)
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('The quick brown fox jumps over')
  })

  it('relays completions and embeddings', async () => {
    const completion = await client.completions.create({ model: 'meta-llama/llama-3.1-8b-instruct', prompt: 'Hello', max_tokens: 3 })
    expect(completion.choices[0]!.text).toBe('The quick brown')
    expect(lastUpstreamBody('/v1/completions')).toMatchObject({ model: 'llama3.1:8b', max_tokens: 3 })

    const embeddings = await client.embeddings.create({ model: 'nomic-ai/nomic-embed-text', input: ['a', 'b'], encoding_format: 'float' })
    expect(embeddings.data).toHaveLength(2)
    expect(embeddings.model).toBe('nomic-ai/nomic-embed-text')
    expect(lastUpstreamBody('/v1/embeddings')).toMatchObject({ model: 'nomic-embed', input: ['a', 'b'] })
  })

  it("turns the upstream's rejection of a request into a 400, and its outage into a 502", async () => {
    const bad = await client.chat.completions
      .create({ model: 'meta-llama/llama-3.1-8b-instruct', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'a' } }], tool_choice: { type: 'function', function: { name: 'missing' } } })
      .catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError)

    // Its model list still answers, so the health check (every 200 ms here) cannot withdraw the
    // model before the request arrives, which would make it a 404.
    upstream.setDown('inference')
    try {
      const down = await client.chat.completions
        .create({ model: 'meta-llama/llama-3.1-8b-instruct', messages: [{ role: 'user', content: 'hi' }] }, { maxRetries: 0 })
        .catch((e: unknown) => e)
      expect(down).toBeInstanceOf(OpenAI.APIError)
      expect((down as InstanceType<typeof OpenAI.APIError>).status).toBe(502)
    } finally {
      upstream.setDown(false)
    }
  })

  it('withdraws its models while the upstream is down and brings them back when it recovers', async () => {
    const router = market.router
    const node = market.providers[0]!
    upstream.setDown(true)
    try {
      await waitFor(() => router.registry.get(node.peerId)?.models.length === 0, 'models withdrawn')
      const response = await client.chat.completions.create({ model: 'meta-llama/llama-3.1-8b-instruct', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)
      expect((response as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
    } finally {
      upstream.setDown(false)
    }
    await waitFor(() => router.registry.get(node.peerId)?.models.length === 2, 'models back')
  })
})
