import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { InvalidRequestError, type Usage } from '@agora/protocol'
import type { Engine, EngineEvent, EngineModel, EngineRequest } from './engine.ts'

/**
 * The dev engine: a development and benchmark engine, not a model. It generates
 * deterministic text (a seeded function of the prompt) at a configurable speed, calls a
 * tool when tools are offered, honours `response_format`, and returns deterministic
 * embeddings, so the whole marketplace can run and be measured without a GPU.
 */
export interface DevEngineOptions {
  models: Array<{ id: string; contextLength?: number }>
  /** Delay before the first token. */
  ttftMs?: number
  /** Output speed; 0 means as fast as possible. */
  tokensPerSecond?: number
  /** Dimensions of embeddings when the request does not ask for a number. */
  embeddingDimensions?: number
}

const WORDS = (
  'the a market of open models runs on many small nodes each node serves tokens for credits and ' +
  'routers pick the best price latency throughput while users stream answers quickly across peers ' +
  'with signed offers receipts settle fairly every batch verifiable mesh gossip libp2p stream frame'
).split(' ')

const DEFAULT_CONTEXT_LENGTH = 8192

export function createDevEngine(options: DevEngineOptions): Engine {
  const { ttftMs = 0, tokensPerSecond = 0, embeddingDimensions = 256 } = options
  const tokenGapMs = tokensPerSecond > 0 ? 1000 / tokensPerSecond : 0
  const models: EngineModel[] = options.models.map((m) => ({ id: m.id, contextLength: m.contextLength ?? DEFAULT_CONTEXT_LENGTH }))

  async function* run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    const { body } = request
    const model = String(body.model)
    if (request.kind === 'embeddings') {
      const result = embed(body, model, embeddingDimensions)
      const { prompt_tokens } = result.usage as { prompt_tokens: number }
      yield { type: 'result', data: result }
      yield { type: 'usage', usage: { prompt_tokens, completion_tokens: 0, total_tokens: prompt_tokens } }
      return
    }
    const prompt = promptText(request)
    const random = seededRandom(prompt)
    const plan = request.kind === 'chat.completions' ? planChat(body, random) : planText(body, random)
    const promptTokens = countTokens(prompt)
    const id = `${request.kind === 'chat.completions' ? 'chatcmpl' : 'cmpl'}-dev${random().toString(36).slice(2, 12)}`
    const created = Math.floor(Date.now() / 1000)
    const usage = (completionTokens: number): Usage => ({
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    })

    if (ttftMs > 0) await sleep(ttftMs, undefined, { signal })
    const pieces = plan.pieces
    if (!request.stream) {
      if (tokenGapMs > 0 && pieces.length > 1) await sleep(tokenGapMs * (pieces.length - 1), undefined, { signal })
      yield { type: 'result', data: plan.complete({ id, created, model, usage: usage(plan.completionTokens) }) }
      yield { type: 'usage', usage: usage(plan.completionTokens) }
      return
    }
    const chunk = (delta: Record<string, unknown>, finish: string | null) => plan.chunk({ id, created, model }, delta, finish)
    for (const [index, piece] of pieces.entries()) {
      if (index > 0 && tokenGapMs > 0) await sleep(tokenGapMs, undefined, { signal })
      signal.throwIfAborted()
      yield { type: 'chunk', data: chunk(piece, null) }
    }
    yield { type: 'chunk', data: chunk({}, plan.finishReason) }
    yield { type: 'usage', usage: usage(plan.completionTokens) }
  }

  return { kind: 'dev', models: async () => models, run }
}

type Random = () => number
type Meta = { id: string; created: number; model: string }

/** What a request will produce: its streamed deltas, and how to render them whole. */
interface Plan {
  pieces: Array<Record<string, unknown>>
  completionTokens: number
  finishReason: string
  chunk(meta: Meta, delta: Record<string, unknown>, finish: string | null): Record<string, unknown>
  complete(meta: Meta & { usage: Usage }): Record<string, unknown>
}

function planChat(body: Record<string, unknown>, random: Random): Plan {
  const chunk = (meta: Meta, delta: Record<string, unknown>, finish: string | null) => ({
    ...meta,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  })
  const tool = chooseTool(body)
  if (tool) {
    const args = JSON.stringify(valueForSchema(tool.parameters ?? { type: 'object' }, random))
    const callId = `call_dev${random().toString(36).slice(2, 14)}`
    const parts = splitEvenly(args, 4)
    const pieces = [
      { role: 'assistant', content: null, tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: tool.name, arguments: '' } }] },
      ...parts.map((part) => ({ tool_calls: [{ index: 0, function: { arguments: part } }] })),
    ]
    return {
      pieces,
      completionTokens: countTokens(args) + 1,
      finishReason: 'tool_calls',
      chunk,
      complete: ({ usage, ...meta }) => ({
        ...meta,
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: callId, type: 'function', function: { name: tool.name, arguments: args } }] },
            logprobs: null,
            finish_reason: 'tool_calls',
          },
        ],
        usage,
      }),
    }
  }
  const { text, finishReason } = generateText(body, random)
  const tokens = tokenize(text)
  const pieces = [{ role: 'assistant', content: '' }, ...tokens.map((content) => ({ content }))]
  return {
    pieces,
    completionTokens: tokens.length,
    finishReason,
    chunk,
    complete: ({ usage, ...meta }) => ({
      ...meta,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: finishReason }],
      usage,
    }),
  }
}

function planText(body: Record<string, unknown>, random: Random): Plan {
  const { text, finishReason } = generateText(body, random)
  const tokens = tokenize(text)
  const render = (meta: Meta, content: string, finish: string | null) => ({
    ...meta,
    object: 'text_completion',
    choices: [{ index: 0, text: content, logprobs: null, finish_reason: finish }],
  })
  return {
    pieces: tokens.map((t) => ({ text: t })),
    completionTokens: tokens.length,
    finishReason,
    chunk: (meta, delta, finish) => render(meta, typeof delta.text === 'string' ? delta.text : '', finish),
    complete: ({ usage, ...meta }) => ({ ...render(meta, text, finishReason), usage }),
  }
}

/** Text for a request: free words, or JSON when `response_format` asks for it; capped by max tokens. */
function generateText(body: Record<string, unknown>, random: Random): { text: string; finishReason: string } {
  const format = body.response_format as { type?: string; json_schema?: { schema?: Record<string, unknown> } } | undefined
  if (format?.type === 'json_object' || format?.type === 'json_schema') {
    const schema = format.json_schema?.schema ?? { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] }
    return { text: JSON.stringify(valueForSchema(schema, random)), finishReason: 'stop' }
  }
  const natural = 12 + Math.floor(random() * 24)
  const limit = maxTokens(body)
  const count = limit !== undefined ? Math.min(limit, natural) : natural
  const words = Array.from({ length: count }, (_, i) => WORDS[Math.floor(random() * WORDS.length)]!.replace(/^./, (c) => (i === 0 ? c.toUpperCase() : c)))
  return { text: `${words.join(' ')}${count === natural ? '.' : ''}`, finishReason: count < natural ? 'length' : 'stop' }
}

function maxTokens(body: Record<string, unknown>): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens
  return typeof value === 'number' ? value : undefined
}

/** The tool the dev engine calls: the forced one, else the first, unless the last message is already a tool result. */
function chooseTool(body: Record<string, unknown>): { name: string; parameters?: Record<string, unknown> } | undefined {
  const tools = body.tools as Array<{ function: { name: string; parameters?: Record<string, unknown> } }> | undefined
  if (!tools?.length || body.tool_choice === 'none') return undefined
  const messages = body.messages as Array<{ role: string }>
  if (messages.at(-1)?.role === 'tool') return undefined
  const forced = body.tool_choice as { function?: { name?: string } } | string | undefined
  if (typeof forced === 'object' && forced.function?.name) {
    const tool = tools.find((t) => t.function.name === forced.function?.name)
    if (!tool) throw new InvalidRequestError(`tool_choice names unknown function ${forced.function.name}`, { param: 'tool_choice' })
    return tool.function
  }
  return tools[0]!.function
}

/** A deterministic value that satisfies the common parts of a JSON schema. */
function valueForSchema(schema: Record<string, unknown>, random: Random, depth = 0): unknown {
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0]
  if ('const' in schema) return schema.const
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string':
      return WORDS[Math.floor(random() * WORDS.length)]
    case 'integer':
      return Math.floor(random() * 100)
    case 'number':
      return Math.round(random() * 10_000) / 100
    case 'boolean':
      return random() < 0.5
    case 'null':
      return null
    case 'array': {
      const items = (schema.items as Record<string, unknown> | undefined) ?? { type: 'string' }
      return depth > 4 ? [] : [valueForSchema(items, random, depth + 1)]
    }
    default: {
      const properties = (schema.properties as Record<string, Record<string, unknown>> | undefined) ?? {}
      if (depth > 4) return {}
      return Object.fromEntries(Object.entries(properties).map(([key, sub]) => [key, valueForSchema(sub, random, depth + 1)]))
    }
  }
}

function embed(body: Record<string, unknown>, model: string, defaultDimensions: number): Record<string, unknown> {
  const inputs = normalizeInputs(body.input)
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : defaultDimensions
  const base64 = body.encoding_format === 'base64'
  let promptTokens = 0
  const data = inputs.map((input, index) => {
    promptTokens += countTokens(input)
    const random = seededRandom(input)
    const vector = new Float32Array(dimensions)
    let norm = 0
    for (let i = 0; i < dimensions; i++) {
      vector[i] = random() * 2 - 1
      norm += vector[i]! * vector[i]!
    }
    const scale = 1 / Math.sqrt(norm || 1)
    for (let i = 0; i < dimensions; i++) vector[i] = vector[i]! * scale
    const embedding = base64 ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector)
    return { object: 'embedding', index, embedding }
  })
  return { object: 'list', model, data, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } }
}

function normalizeInputs(input: unknown): string[] {
  if (typeof input === 'string') return [input]
  if (Array.isArray(input) && input.every((x) => typeof x === 'number')) return [input.join(' ')]
  if (Array.isArray(input)) return input.map((x) => (Array.isArray(x) ? x.join(' ') : String(x)))
  return [String(input)]
}

/** The text the output is seeded from and prompt tokens are counted on. */
function promptText(request: EngineRequest): string {
  const { body } = request
  if (request.kind === 'chat.completions') {
    const messages = body.messages as Array<{ role: string; content?: unknown }>
    const tools = body.tools ? JSON.stringify(body.tools) : ''
    return messages.map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')}`).join('\n') + tools
  }
  return Array.isArray(body.prompt) ? body.prompt.join('\n') : String(body.prompt)
}

/** The dev engine's tokenizer: roughly four characters a token, as rules of thumb go. */
function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4))
}

/** Splits generated text into the tokens it streams: one word (with its leading space) each. */
function tokenize(text: string): string[] {
  return text.match(/\s*\S+/g) ?? []
}

function splitEvenly(text: string, parts: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / parts))
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/** mulberry32 seeded from a SHA-256 of the text: the same prompt always gives the same answer. */
function seededRandom(text: string): Random {
  let state = createHash('sha256').update(text).digest().readUInt32LE(0)
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
