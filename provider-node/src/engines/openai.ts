import { Agent, request, type Dispatcher } from 'undici'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { z } from 'zod'
import { MarketError, ProviderError, InvalidRequestError, type Usage } from '@agora/protocol'
import type { Engine, EngineEvent, EngineModel, EngineRequest } from './engine.ts'

/**
 * The `openai` engine: proxies to any OpenAI-compatible server (vLLM, SGLang, TGI,
 * llama.cpp server, Ollama, LM Studio). Streaming, tools and usage pass through as the
 * upstream sends them; the upstream is always asked for usage so the node can bill.
 */
export interface OpenAIEngineOptions {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:8000/v1`. */
  baseUrl: string
  apiKey?: string
  /** Upper bound on one upstream request, independent of the router's deadline. */
  timeoutMs?: number
}

const PATHS = { 'chat.completions': '/chat/completions', completions: '/completions', embeddings: '/embeddings' } as const

const UpstreamModels = z.object({
  data: z.array(z.looseObject({ id: z.string(), context_length: z.number().int().positive().optional(), max_model_len: z.number().int().positive().optional() })),
})

export function createOpenAIEngine({ baseUrl, apiKey, timeoutMs = 600_000 }: OpenAIEngineOptions): Engine {
  const base = baseUrl.replace(/\/+$/, '')
  const dispatcher: Dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 256, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) }

  async function models(signal?: AbortSignal): Promise<EngineModel[]> {
    const response = await request(`${base}/models`, { method: 'GET', headers, dispatcher, signal })
    if (response.statusCode !== 200) {
      await response.body.dump()
      throw new ProviderError(`upstream /models answered ${response.statusCode}`)
    }
    const parsed = UpstreamModels.parse(await response.body.json())
    return parsed.data.map((m) => ({ id: m.id, ...(m.context_length ?? m.max_model_len ? { contextLength: m.context_length ?? m.max_model_len } : {}) }))
  }

  async function* run({ kind, body, stream }: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    const upstreamBody = stream ? { ...body, stream: true, stream_options: { ...(body.stream_options as object | undefined), include_usage: true } } : body
    const response = await request(`${base}${PATHS[kind]}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(upstreamBody),
      dispatcher,
      signal,
    }).catch((cause: unknown) => {
      if (signal.aborted) throw cause
      throw new ProviderError('the upstream server is unreachable', { cause })
    })
    if (response.statusCode >= 400) throw await upstreamError(response.statusCode, response.body)
    if (!stream) {
      const data = (await response.body.json()) as Record<string, unknown>
      yield { type: 'result', data }
      const usage = UsageShape.safeParse(data.usage)
      if (usage.success) yield { type: 'usage', usage: usage.data }
      return
    }
    yield* readEventStream(response.body)
  }

  return { kind: 'openai', models, run, close: () => dispatcher.close() }
}

const UsageShape = z.looseObject({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative().default(0),
  total_tokens: z.number().int().nonnegative(),
})

/** Turns an upstream SSE body into chunk events, moving the usage the upstream reports into one `usage` event. */
async function* readEventStream(body: AsyncIterable<Buffer>): AsyncGenerator<EngineEvent> {
  const pending: EventSourceMessage[] = []
  const parser = createParser({ onEvent: (event) => pending.push(event) })
  const decoder = new TextDecoder()
  let usage: Usage | undefined
  for await (const bytes of body) {
    parser.feed(decoder.decode(bytes, { stream: true }))
    for (const event of pending.splice(0)) {
      if (event.data === '[DONE]') continue
      const data = JSON.parse(event.data) as Record<string, unknown>
      if (data.error) throw new ProviderError('the upstream server failed mid-stream', { details: event.data })
      const reported = UsageShape.safeParse(data.usage)
      if (reported.success) usage = reported.data
      const choices = data.choices as unknown[] | undefined
      if (choices?.length === 0 && reported.success) continue
      if (data.usage !== undefined) delete data.usage
      yield { type: 'chunk', data }
    }
  }
  if (usage) yield { type: 'usage', usage }
}

/** Maps an upstream error: the client's own mistakes keep their 4xx, everything else is the provider's failure. */
async function upstreamError(status: number, body: Dispatcher.ResponseData['body']): Promise<MarketError> {
  const text = await body.text().catch(() => '')
  let message = `upstream answered ${status}`
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string }
    const detail = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message)
    if (detail) message = detail
  } catch {
    // Not JSON: keep the generic message.
  }
  if (status === 400 || status === 422) return new InvalidRequestError(message, { code: 'upstream_rejected_request' })
  return new ProviderError(message, { details: text.slice(0, 500), code: status === 429 || status === 503 ? 'provider_busy' : 'provider_error' })
}
