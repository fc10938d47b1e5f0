import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import OpenAI from 'openai'
import { startMarketplace, type Marketplace } from '../fixtures/marketplace.ts'
import { validateAgainstOpenAI } from '../conformance/openai-spec.ts'

/**
 * The official `openai` SDK, unmodified, against a real local marketplace: one router and
 * two dev-engine provider nodes on 127.0.0.1, found over libp2p. Every response and chunk
 * is also validated against OpenAI's own OpenAPI schemas.
 */
let market: Marketplace
let client: OpenAI

const pricing = (input: number, output: number) => ({ inputPerMTok: input, outputPerMTok: output })

beforeAll(async () => {
  market = await startMarketplace({
    providers: [
      {
        name: 'cheap-node',
        engine: { kind: 'dev' },
        models: [
          { id: 'dev/chat', contextLength: 8192, pricing: pricing(100_000, 300_000) },
          { id: 'dev/embed', contextLength: 8192, pricing: pricing(20_000, 0) },
        ],
      },
      {
        name: 'pricey-node',
        engine: { kind: 'dev' },
        models: [
          { id: 'dev/chat', contextLength: 32768, pricing: pricing(900_000, 900_000) },
          { id: 'dev/other', contextLength: 4096, pricing: pricing(1, 1) },
        ],
      },
    ],
  })
  client = new OpenAI({ baseURL: market.baseURL, apiKey: market.apiKey, maxRetries: 0 })
})

afterAll(async () => {
  await market?.stop()
})

function expectConforms(schema: string, value: unknown): void {
  expect(validateAgainstOpenAI(schema, value).errors).toEqual([])
}

describe('chat.completions.create', () => {
  it('answers a plain request from the cheapest provider, in OpenAI shape', async () => {
    // `sort: 'price'` makes the cheapest provider certain: by default the router only favours it (load balancing by weight).
    const body = { model: 'dev/chat', messages: [{ role: 'user' as const, content: 'Say hello' }], max_tokens: 16, provider: { sort: 'price' } }
    const { data: completion, response } = await client.chat.completions.create(body).withResponse()
    expect(completion.object).toBe('chat.completion')
    expect(completion.model).toBe('dev/chat')
    expect(completion.choices[0]!.message.role).toBe('assistant')
    expect(completion.choices[0]!.message.content?.length).toBeGreaterThan(0)
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0)
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens)
    expect((completion as unknown as { provider: string }).provider).toBe('cheap-node')
    expect(response.headers.get('x-provider-id')).toBe(market.providers[0]!.peerId)
    expect(response.headers.get('x-generation-id')).toMatch(/^gen-/)
    expectConforms('CreateChatCompletionResponse', completion)
  })

  it('gives the same answer to the same prompt (the dev engine is deterministic)', async () => {
    const ask = () => client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'repeat after me' }] })
    const [a, b] = await Promise.all([ask(), ask()])
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content)
  })

  it('streams chunks and, with include_usage, a final chunk with empty choices and usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'dev/chat',
      messages: [{ role: 'user', content: 'Stream to me' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = []
    for await (const chunk of stream) chunks.push(chunk)
    const usageChunk = chunks.at(-1)!
    expect(usageChunk.choices).toEqual([])
    expect(usageChunk.usage!.completion_tokens).toBeGreaterThan(0)
    const content = chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content ?? '')).join('')
    expect(content.length).toBeGreaterThan(0)
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toMatch(/stop|length/)
    for (const chunk of chunks) {
      expect(chunk.object).toBe('chat.completion.chunk')
      expect(chunk.id).toBe(chunks[0]!.id)
      expectConforms('CreateChatCompletionStreamResponse', chunk)
    }
    expect(usageChunk.usage!.completion_tokens).toBe(chunks.filter((c) => c.choices[0]?.delta.content).length)
  })

  it('streams without a usage chunk when include_usage is not asked for', async () => {
    const stream = await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'no usage please' }], stream: true })
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = []
    for await (const chunk of stream) chunks.push(chunk)
    expect(chunks.every((c) => c.choices.length === 1 && !c.usage)).toBe(true)
  })

  const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
      },
    },
  ]

  it('returns tool_calls when tools are offered', async () => {
    const completion = await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools })
    const choice = completion.choices[0]!
    expect(choice.finish_reason).toBe('tool_calls')
    const call = choice.message.tool_calls![0]! as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall
    expect(call.type).toBe('function')
    expect(call.function.name).toBe('get_weather')
    expect(JSON.parse(call.function.arguments)).toMatchObject({ unit: 'celsius' })
    expectConforms('CreateChatCompletionResponse', completion)
  })

  it('streams tool-call deltas as OpenAI does: id and name first, then argument fragments', async () => {
    const stream = await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools, stream: true })
    const deltas: OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta.ToolCall[] = []
    let finish: string | null | undefined
    for await (const chunk of stream) {
      expectConforms('CreateChatCompletionStreamResponse', chunk)
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []))
      finish = chunk.choices[0]?.finish_reason ?? finish
    }
    expect(deltas.length).toBeGreaterThan(2)
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } })
    expect(deltas[0]!.id).toMatch(/^call_/)
    expect(deltas.slice(1).every((d) => d.index === 0 && d.id === undefined && d.function?.name === undefined)).toBe(true)
    const args = deltas.map((d) => d.function?.arguments ?? '').join('')
    expect(JSON.parse(args)).toHaveProperty('city')
    expect(finish).toBe('tool_calls')

    // The SDK's own accumulator rebuilds the same call.
    const runner = client.chat.completions.stream({ model: 'dev/chat', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools })
    const final = await runner.finalChatCompletion()
    expect(final.choices[0]!.message.tool_calls![0]).toMatchObject({ function: { name: 'get_weather', arguments: args } })
  })

  it('honours response_format json_schema', async () => {
    const completion = await client.chat.completions.create({
      model: 'dev/chat',
      messages: [{ role: 'user', content: 'A city and its population' }],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'city', schema: { type: 'object', properties: { name: { type: 'string' }, population: { type: 'integer' } }, required: ['name', 'population'] } },
      },
    })
    const parsed = JSON.parse(completion.choices[0]!.message.content!)
    expect(typeof parsed.name).toBe('string')
    expect(Number.isInteger(parsed.population)).toBe(true)
  })
})

describe('completions.create', () => {
  it('answers plain and streamed legacy completions', async () => {
    const completion = await client.completions.create({ model: 'dev/chat', prompt: 'Once upon a time', max_tokens: 8 })
    expect(completion.object).toBe('text_completion')
    expect(completion.choices[0]!.text.length).toBeGreaterThan(0)
    expect(completion.usage!.completion_tokens).toBeLessThanOrEqual(8)
    expectConforms('CreateCompletionResponse', completion)

    const stream = await client.completions.create({ model: 'dev/chat', prompt: 'Once upon a time', max_tokens: 8, stream: true, stream_options: { include_usage: true } })
    let text = ''
    let usage: OpenAI.CompletionUsage | undefined | null
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? ''
      usage = chunk.usage ?? usage
    }
    expect(text).toBe(completion.choices[0]!.text)
    expect(usage!.completion_tokens).toBe(completion.usage!.completion_tokens)
  })
})

describe('embeddings.create', () => {
  it('returns one normalised vector per input, as floats or base64', async () => {
    const response = await client.embeddings.create({ model: 'dev/embed', input: ['hello', 'world'], encoding_format: 'float' })
    expect(response.data).toHaveLength(2)
    expect(response.data[1]!.index).toBe(1)
    const vector = response.data[0]!.embedding
    expect(vector).toHaveLength(256)
    expect(Math.hypot(...vector)).toBeCloseTo(1, 4)
    expect(response.usage.prompt_tokens).toBeGreaterThan(0)
    expectConforms('CreateEmbeddingResponse', response)

    // The SDK asks for base64 by default and decodes it: the same numbers arrive.
    const decoded = await client.embeddings.create({ model: 'dev/embed', input: 'hello', dimensions: 256 })
    expect(decoded.data[0]!.embedding[0]).toBeCloseTo(vector[0]!, 6)
  })
})

describe('models.list', () => {
  it('lists the union of live offers with context length and the cheapest pricing', async () => {
    const models = []
    for await (const model of client.models.list()) models.push(model)
    const byId = Object.fromEntries(models.map((m) => [m.id, m as OpenAI.Models.Model & Record<string, unknown>]))
    expect(Object.keys(byId).sort()).toEqual(['dev/chat', 'dev/embed', 'dev/other'])
    expect(byId['dev/chat']).toMatchObject({ object: 'model', owned_by: 'dev', context_length: 32768, providers: 2, pricing: { prompt: '0.0000001', completion: '0.0000003' } })
    for (const model of models) expectConforms('Model', model)

    const one = await client.models.retrieve('dev/other')
    expect(one.id).toBe('dev/other')
  })
})

describe('errors reach the SDK in OpenAI shape', () => {
  it('404 for an unknown model', async () => {
    const error = await client.chat.completions.create({ model: 'nobody/serves-this', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found')
  })

  it('401 for a wrong key', async () => {
    const stranger = new OpenAI({ baseURL: market.baseURL, apiKey: 'sk-wrong', maxRetries: 0 })
    await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError)
  })

  it('400 naming the param for a bad request', async () => {
    const error = await client.chat.completions.create({ model: 'dev/chat', messages: 'not a list' as never }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages')
  })
})
