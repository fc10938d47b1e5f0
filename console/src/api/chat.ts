import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { ChatCompletionChunk, ErrorEnvelope } from '@agora/protocol/openai'
import { z } from 'zod'
import { ApiError, apiError } from './errors.ts'

/** One turn of a conversation. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface ChatStreamParameters {
  /** An API key of the account (`sk-agora-…`). */
  apiKey: string
  model: string
  messages: ChatMessage[]
  /** Called with each piece of the answer as it arrives. */
  onDelta: (text: string) => void
  signal?: AbortSignal
}

/** What the router said about a finished answer. */
export interface ChatStreamResult {
  content: string
  /** The serving provider's name. */
  provider: string | null
  /** `x-generation-id`, the id of the generation in Usage. */
  generationId: string | null
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number; cost: number } | null
}

/** The router adds its `provider` to every chunk and `cost` to the usage. */
const RoutedChunk = ChatCompletionChunk.extend({
  provider: z.string().optional(),
  usage: z.looseObject({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number(), cost: z.number() }).nullish(),
})

/**
 * A streamed chat completion through `/v1/chat/completions` with `stream_options.include_usage`,
 * so the answer ends with the billed usage and its cost. An error event mid-stream becomes an
 * `ApiError`.
 * @example
 * const { usage } = await streamChat({ apiKey, model: 'dev/chat', messages, onDelta: (text) => append(text) })
 */
export async function streamChat({
  baseUrl = '',
  fetch: fetchImpl = (...args) => fetch(...args),
  apiKey,
  model,
  messages,
  onDelta,
  signal,
}: ChatStreamParameters & { baseUrl?: string; fetch?: typeof fetch }): Promise<ChatStreamResult> {
  let response: Response
  try {
    response = await fetchImpl(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, stream: true, stream_options: { include_usage: true } }),
      ...(signal ? { signal } : {}),
    })
  } catch (error) {
    if (signal?.aborted) throw error
    throw new ApiError(0, `The router cannot be reached (${(error as Error).message})`, 'network_error')
  }
  if (!response.ok || !response.body) throw await apiError(response)

  const result: ChatStreamResult = { content: '', provider: null, generationId: response.headers.get('x-generation-id'), usage: null }
  let failure: ApiError | undefined
  const parser = createParser({
    onEvent(event: EventSourceMessage) {
      if (event.data === '[DONE]') return
      const data: unknown = JSON.parse(event.data)
      const error = ErrorEnvelope.safeParse(data)
      if (error.success) {
        failure = new ApiError(response.status, error.data.error.message, error.data.error.code, error.data.error.param)
        return
      }
      const chunk = RoutedChunk.parse(data)
      result.provider = chunk.provider ?? result.provider
      if (chunk.usage) result.usage = { prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.completion_tokens, total_tokens: chunk.usage.total_tokens, cost: chunk.usage.cost }
      const text = chunk.choices[0]?.delta.content
      if (text) {
        result.content += text
        onDelta(text)
      }
    },
  })
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    parser.feed(value)
  }
  if (failure) throw failure
  return result
}
