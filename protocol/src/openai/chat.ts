import { z } from 'zod'
import { ModelId, samplingFields, Usage } from './common.ts'

const ContentPart = z.looseObject({ type: z.string() })
const MessageContent = z.union([z.string(), z.array(ContentPart)])

export const ToolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
})
export type ToolCall = z.infer<typeof ToolCall>

/** One message of a chat request. */
export const ChatMessage = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: MessageContent, name: z.string().optional() }),
  z.looseObject({ role: z.literal('developer'), content: MessageContent, name: z.string().optional() }),
  z.looseObject({ role: z.literal('user'), content: MessageContent, name: z.string().optional() }),
  z.looseObject({
    role: z.literal('assistant'),
    content: MessageContent.nullish(),
    name: z.string().optional(),
    tool_calls: z.array(ToolCall).optional(),
  }),
  z.looseObject({ role: z.literal('tool'), content: MessageContent, tool_call_id: z.string() }),
])
export type ChatMessage = z.infer<typeof ChatMessage>

/** A function tool offered to the model. */
export const Tool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
})
export type Tool = z.infer<typeof Tool>

export const ToolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }),
])

export const ResponseFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({ name: z.string(), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }),
  }),
])

/** `POST /v1/chat/completions` body. Unknown fields pass through to the provider. */
export const ChatCompletionRequest = z.looseObject({
  model: ModelId,
  messages: z.array(ChatMessage).min(1, 'messages must contain at least one message'),
  ...samplingFields,
  max_completion_tokens: z.number().int().positive().nullish(),
  tools: z.array(Tool).optional(),
  tool_choice: ToolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: ResponseFormat.optional(),
  logprobs: z.boolean().nullish(),
})
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>

const FinishReason = z.enum(['stop', 'length', 'tool_calls', 'content_filter', 'function_call'])
export type FinishReason = z.infer<typeof FinishReason>

/** A non-streamed `chat.completion`. */
export const ChatCompletion = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number().int(),
      message: z.looseObject({
        role: z.literal('assistant'),
        content: z.string().nullable(),
        tool_calls: z.array(ToolCall).optional(),
      }),
      finish_reason: FinishReason.nullable(),
    }),
  ),
  usage: Usage.optional(),
})
export type ChatCompletion = z.infer<typeof ChatCompletion>

const ToolCallDelta = z.looseObject({
  index: z.number().int(),
  id: z.string().optional(),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
})

/** One `chat.completion.chunk` of a stream. */
export const ChatCompletionChunk = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number().int(),
      delta: z.looseObject({
        role: z.literal('assistant').optional(),
        content: z.string().nullish(),
        tool_calls: z.array(ToolCallDelta).optional(),
      }),
      finish_reason: FinishReason.nullable(),
    }),
  ),
  usage: Usage.nullish(),
})
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunk>
