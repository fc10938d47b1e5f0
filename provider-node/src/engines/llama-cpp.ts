import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { z } from 'zod'
import { BusyError, InvalidRequestError, ProviderError, type ChatMessage, type Usage } from '@agora/protocol'
import type {
  ChatHistoryItem,
  ChatWrapper,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaGrammar,
  LlamaModel,
  LLamaContextualRepeatPenalty,
  Token,
} from 'node-llama-cpp'
import { ConfigError } from '../config.ts'
import type { Engine, EngineEvent, EngineModel, EngineRequest } from './engine.ts'

/**
 * The `llama-cpp` engine: runs one GGUF model in-process through node-llama-cpp (an
 * optional dependency, loaded only when this engine is configured). Chat uses the model's
 * own chat template; a context with one sequence per concurrent request lets that many
 * requests generate at once. Usage is counted with the model's tokenizer.
 */
export interface LlamaCppEngineOptions {
  /** Path of the `.gguf` file. */
  modelPath: string
  /** The engine's id for the model, what `models()` reports. */
  model: string
  /** Layers to offload to a GPU: `auto` fits what the GPU's memory allows, `max` all, 0 none. */
  gpuLayers?: 'auto' | 'max' | number
  /** Tokens of context per sequence; by default as much as memory allows, up to the model's training context. */
  contextSize?: number
  /** CPU threads for generation; by default node-llama-cpp's choice. */
  threads?: number
  /** Sequences in the context: how many requests generate at once. */
  sequences: number
  log?: Logger
  /** How node-llama-cpp is loaded; tests replace it. */
  importModule?: () => Promise<NodeLlamaCpp>
}

type NodeLlamaCpp = typeof import('node-llama-cpp')

/** The request parameters this engine honours, announced in offers for `provider.require_parameters`. */
export const LLAMA_CPP_CHAT_PARAMETERS = [
  'max_tokens',
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'stop',
  'seed',
  'frequency_penalty',
  'presence_penalty',
  'repetition_penalty',
  'response_format',
]

/** Sampling parameters beyond the OpenAI schema's own checks, as node-llama-cpp takes them. */
const Sampling = z.looseObject({
  top_k: z.number().int().nonnegative().nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repetition_penalty: z.number().positive().max(10).nullish(),
  logprobs: z.literal(false, { message: 'logprobs are not supported by this provider' }).nullish(),
  logit_bias: z.record(z.string(), z.number()).refine((bias) => Object.keys(bias).length === 0, 'logit_bias is not supported by this provider').nullish(),
  tools: z.array(z.unknown()).max(0, 'tools are not supported by this provider (llama.cpp in-process engine)').nullish(),
})

/** llama.cpp pooling types of embedding models (mean, cls, last); without one a model generates text. */
const EMBEDDING_POOLING = new Set<number>([1, 2, 3])

/** OpenAI's finish reason for each way node-llama-cpp stops generating (an aborted one throws). */
const FINISH_REASONS: Record<string, 'stop' | 'length'> = {
  eogToken: 'stop',
  stopGenerationTrigger: 'stop',
  customStopTrigger: 'stop',
  maxTokens: 'length',
}

/**
 * Loads the model and creates its context. Configuration problems (node-llama-cpp not
 * installed, a file that is not a loadable GGUF) are `ConfigError`s naming the field.
 * @example
 * const engine = await createLlamaCppEngine({ modelPath: '/models/qwen2.5-0.5b-instruct-q4_k_m.gguf', model: 'qwen2.5-0.5b', sequences: 2 })
 */
export async function createLlamaCppEngine(options: LlamaCppEngineOptions): Promise<Engine> {
  const { modelPath, model: id, gpuLayers = 'auto', contextSize, threads, sequences, log } = options
  const lib = await loadModule(options.importModule)
  const llama = await lib
    .getLlama({
      gpu: gpuLayers === 0 ? false : 'auto',
      // Only the prebuilt binaries that come from the npm registry; never a download or a compile at start.
      build: 'never',
      logLevel: lib.LlamaLogLevel.warn,
      logger: (level, message) => log?.[level === 'error' || level === 'fatal' ? 'error' : 'warn']({ engine: 'llama-cpp' }, message.trim()),
    })
    .catch((cause: unknown) => {
      throw new ConfigError(`engine: node-llama-cpp has no usable binary for this machine: ${errorMessage(cause)}`, { cause })
    })
  let model: LlamaModel
  try {
    model = await llama.loadModel({ modelPath, gpuLayers })
  } catch (cause) {
    await llama.dispose()
    throw new ConfigError(`engine.modelPath: cannot load ${modelPath} as a GGUF model: ${errorMessage(cause)}`, { cause })
  }
  const quantization = quantizationLabel(lib, model.fileInfo.metadata.general.file_type)
  const pooling = model.fileInfo.architectureMetadata.pooling_type
  const embeddingOnly = pooling !== undefined && EMBEDDING_POOLING.has(pooling)

  try {
    if (embeddingOnly) {
      const contextLength = contextSize ?? model.trainContextSize
      // The whole input is one batch: llama.cpp pools an embedding over a single batch.
      const context = await model.createEmbeddingContext({ contextSize: contextLength, batchSize: contextLength, ...(threads ? { threads } : {}) })
      const engineModel: EngineModel = { id, contextLength, supportedParameters: [], ...(quantization ? { quantization } : {}) }
      log?.info({ model: id, modelPath, contextLength, gpuLayers: model.gpuLayers }, 'llama-cpp embedding model loaded')
      return embeddingEngine({ model, context, llama, engineModel })
    }
    const context = await model.createContext({ sequences, contextSize: contextSize ?? 'auto', ...(threads ? { threads } : {}) })
    const chatWrapper = lib.resolveChatWrapper(model)
    const engineModel: EngineModel = { id, contextLength: context.contextSize, supportedParameters: LLAMA_CPP_CHAT_PARAMETERS, ...(quantization ? { quantization } : {}) }
    log?.info({ model: id, modelPath, contextLength: context.contextSize, sequences, gpuLayers: model.gpuLayers, chatWrapper: chatWrapper.wrapperName }, 'llama-cpp model loaded')
    return generationEngine({ lib, llama, model, context, chatWrapper, engineModel })
  } catch (cause) {
    await llama.dispose()
    throw new ConfigError(`engine: cannot create a context for ${modelPath}: ${errorMessage(cause)}`, { cause })
  }
}

async function loadModule(importModule: () => Promise<NodeLlamaCpp> = () => import('node-llama-cpp')): Promise<NodeLlamaCpp> {
  try {
    return await importModule()
  } catch (cause) {
    const missing = (cause as { code?: string }).code === 'ERR_MODULE_NOT_FOUND'
    throw new ConfigError(
      missing
        ? 'engine.kind: llama-cpp needs the optional package node-llama-cpp, which is not installed; install it with `npm install node-llama-cpp@3.21.1`'
        : `engine.kind: node-llama-cpp failed to load: ${errorMessage(cause)}`,
      { cause },
    )
  }
}

interface GenerationEngineParts {
  lib: NodeLlamaCpp
  llama: Llama
  model: LlamaModel
  context: LlamaContext
  chatWrapper: ChatWrapper
  engineModel: EngineModel
}

/** Chat and text completions on a pool of context sequences, one request per sequence. */
function generationEngine({ lib, llama, model, context, chatWrapper, engineModel }: GenerationEngineParts): Engine {
  const free: LlamaContextSequence[] = Array.from({ length: context.totalSequences }, () => context.getSequence())
  const contextLength = context.contextSize
  const running = new Set<Promise<unknown>>()

  async function* run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    if (request.kind === 'embeddings') {
      throw new InvalidRequestError(`The model \`${engineModel.id}\` is a text generation model and does not serve embeddings`, { param: 'model', code: 'unsupported_endpoint' })
    }
    const { body } = request
    const sampling = parseSampling(body)
    const grammar = await responseGrammar(llama, body.response_format)
    const chat = request.kind === 'chat.completions'
    const history = chat ? chatHistory(body.messages) : undefined
    const promptTokens = history ? chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer).length : countPromptTokens(model, completionPrompt(body))
    const maxTokens = completionBudget(body, promptTokens, contextLength, chat ? 'messages' : 'prompt')

    signal.throwIfAborted()
    const sequence = free.pop()
    // The capacity limit in front of the engine never lets more requests in than there are sequences.
    if (!sequence) throw new BusyError()
    const meterBefore = sequence.tokenMeter.getState()
    const stop = new AbortController()
    const onAbort = () => stop.abort(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    const options = { ...sampling, maxTokens, signal: stop.signal, ...(grammar ? { grammar } : {}) }
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${randomBytes(12).toString('base64url')}`
    const created = Math.floor(Date.now() / 1000)
    const meta = { id, created, model: engineModel.id }
    const generation = startGeneration<string>(async (push) => {
      if (history) {
        const llamaChat = new lib.LlamaChat({ contextSequence: sequence, chatWrapper })
        try {
          const result = await llamaChat.generateResponse(history, { ...options, onTextChunk: push })
          return FINISH_REASONS[result.metadata.stopReason] ?? 'stop'
        } finally {
          llamaChat.dispose({ disposeSequence: false })
        }
      }
      const completion = new lib.LlamaCompletion({ contextSequence: sequence })
      try {
        const result = await completion.generateCompletionWithMeta(completionPrompt(body), { ...options, onTextChunk: push })
        return FINISH_REASONS[result.metadata.stopReason] ?? 'stop'
      } finally {
        completion.dispose({ disposeSequence: false })
      }
    })
    const settled = generation.result.catch(() => {})
    running.add(settled)
    try {
      const render = chat ? chatChunk : textChunk
      if (request.stream && chat) yield { type: 'chunk', data: chatChunk(meta, { role: 'assistant', content: '' }, null) }
      let text = ''
      for await (const piece of generation.pieces) {
        if (!piece) continue
        if (request.stream) yield { type: 'chunk', data: render(meta, chat ? { content: piece } : { text: piece }, null) }
        else text += piece
      }
      const finishReason = await generation.result
      const completionTokens = sequence.tokenMeter.diff(meterBefore).usedOutputTokens
      const usage: Usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens }
      if (request.stream) yield { type: 'chunk', data: render(meta, {}, finishReason) }
      else yield { type: 'result', data: chat ? chatCompletion(meta, text, finishReason, usage) : { ...textChunk(meta, { text }, finishReason), usage } }
      yield { type: 'usage', usage }
    } catch (error) {
      if (signal.aborted) throw signal.reason
      if (error instanceof InvalidRequestError) throw error
      throw new ProviderError('llama.cpp failed to generate', { cause: error, details: errorMessage(error) })
    } finally {
      signal.removeEventListener('abort', onAbort)
      // A sequence goes back to the pool only once its generation has stopped.
      stop.abort(new Error('the request ended'))
      await settled
      running.delete(settled)
      free.push(sequence)
    }
  }

  return {
    kind: 'llama-cpp',
    models: async () => [engineModel],
    run,
    // Generations still running when the node stops have been aborted with their requests; llama.cpp's memory goes once they end.
    async close() {
      await Promise.allSettled(running)
      await llama.dispose()
    },
  }
}

interface EmbeddingEngineParts {
  model: LlamaModel
  context: LlamaEmbeddingContext
  llama: Llama
  engineModel: EngineModel
}

/** Embeddings from a model with a pooling type (an embedding model); it serves nothing else. */
function embeddingEngine({ model, context, llama, engineModel }: EmbeddingEngineParts): Engine {
  const contextLength = engineModel.contextLength!
  const vocabularySize = [...model.iterateAllTokens()].length
  const running = new Set<Promise<unknown>>()

  async function* run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    if (request.kind !== 'embeddings') {
      throw new InvalidRequestError(`The model \`${engineModel.id}\` is an embedding model and serves only embeddings`, { param: 'model', code: 'unsupported_endpoint' })
    }
    const { body } = request
    if (typeof body.dimensions === 'number' && body.dimensions !== model.embeddingVectorSize) {
      throw new InvalidRequestError(`dimensions must be ${model.embeddingVectorSize} for this model`, { param: 'dimensions' })
    }
    const inputs = embeddingInputs(body.input, vocabularySize)
    const lengths = inputs.map((input) => context.calculateInputLength(input))
    for (const length of lengths) if (length >= contextLength) throw contextLengthError(length, contextLength, 'input')
    const base64 = body.encoding_format === 'base64'
    const data: Array<Record<string, unknown>> = []
    for (const [index, input] of inputs.entries()) {
      signal.throwIfAborted()
      const embedding = context.getEmbeddingFor(input)
      const settled = embedding.catch(() => {})
      running.add(settled)
      const floats = Float32Array.from((await embedding.finally(() => running.delete(settled))).vector)
      data.push({ object: 'embedding', index, embedding: base64 ? Buffer.from(floats.buffer).toString('base64') : Array.from(floats) })
    }
    const promptTokens = lengths.reduce((sum, length) => sum + length, 0)
    yield { type: 'result', data: { object: 'list', model: engineModel.id, data, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } } }
    yield { type: 'usage', usage: { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens } }
  }

  return {
    kind: 'llama-cpp',
    models: async () => [engineModel],
    run,
    async close() {
      await Promise.allSettled(running)
      await llama.dispose()
    },
  }
}

/** The sampling options node-llama-cpp takes, from an OpenAI body (with the common extras `top_k`, `min_p`, `repetition_penalty`). */
function parseSampling(body: Record<string, unknown>) {
  const parsed = Sampling.safeParse(body)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new InvalidRequestError(issue.message, { param: issue.path.join('.') || null })
  }
  const { top_k, min_p, repetition_penalty } = parsed.data
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined)
  const stop = typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? (body.stop as string[]).filter(Boolean) : []
  const frequencyPenalty = number(body.frequency_penalty)
  const presencePenalty = number(body.presence_penalty)
  const repeatPenalty: false | LLamaContextualRepeatPenalty =
    frequencyPenalty || presencePenalty || repetition_penalty
      ? { penalty: repetition_penalty ?? 1, frequencyPenalty: frequencyPenalty ?? 0, presencePenalty: presencePenalty ?? 0, penalizeNewLine: false }
      : false
  return {
    // OpenAI's defaults: temperature 1 and top_p 1.
    temperature: number(body.temperature) ?? 1,
    topP: number(body.top_p) ?? 1,
    ...(top_k != null ? { topK: top_k } : {}),
    ...(min_p != null ? { minP: min_p } : {}),
    ...(number(body.seed) !== undefined ? { seed: number(body.seed)! } : {}),
    repeatPenalty,
    ...(stop.length ? { customStopTriggers: stop } : {}),
  }
}

/**
 * A grammar for `response_format`: any JSON, or JSON of a schema. node-llama-cpp enforces
 * the schema keywords its grammar knows (type, properties, required, enum, const, items,
 * oneOf, $ref, …) and lets values under the others be any JSON.
 */
async function responseGrammar(llama: Llama, format: unknown): Promise<LlamaGrammar | undefined> {
  const { type, json_schema } = (format ?? {}) as { type?: string; json_schema?: { schema?: Record<string, unknown> } }
  if (type === 'json_object' || (type === 'json_schema' && !json_schema?.schema)) return llama.getGrammarFor('json')
  if (type !== 'json_schema') return undefined
  return llama.createGrammarForJsonSchema(json_schema!.schema as Parameters<Llama['createGrammarForJsonSchema']>[0])
}

/** OpenAI chat messages as a node-llama-cpp chat history, ending in the model's (empty) turn. */
function chatHistory(messages: unknown): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = []
  for (const [index, message] of (messages as ChatMessage[]).entries()) {
    const text = messageText(message.content, index)
    switch (message.role) {
      case 'system':
      case 'developer':
        history.push({ type: 'system', text })
        break
      case 'user':
        history.push({ type: 'user', text })
        break
      case 'assistant':
        if (message.tool_calls?.length) throw new InvalidRequestError('tool calls are not supported by this provider', { param: `messages[${index}].tool_calls` })
        history.push({ type: 'model', response: [text] })
        break
      case 'tool':
        throw new InvalidRequestError('tool messages are not supported by this provider', { param: `messages[${index}].role` })
    }
  }
  history.push({ type: 'model', response: [] })
  return history
}

function messageText(content: unknown, index: number): string {
  if (content == null) return ''
  if (typeof content === 'string') return content
  return (content as Array<{ type: string; text?: unknown }>)
    .map((part) => {
      if (part.type !== 'text' || typeof part.text !== 'string') {
        throw new InvalidRequestError(`content parts of type ${part.type} are not supported by this provider (text only)`, { param: `messages[${index}].content` })
      }
      return part.text
    })
    .join('')
}

function completionPrompt(body: Record<string, unknown>): string {
  if (body.echo) throw new InvalidRequestError('echo is not supported by this provider', { param: 'echo' })
  if (body.suffix) throw new InvalidRequestError('suffix is not supported by this provider', { param: 'suffix' })
  const prompt = body.prompt
  if (typeof prompt === 'string') return prompt
  if (Array.isArray(prompt) && prompt.length === 1) return String(prompt[0])
  throw new InvalidRequestError('this provider completes one prompt per request', { param: 'prompt' })
}

/** Prompt tokens as LlamaCompletion evaluates them: the text, after a BOS token when the model wants one. */
function countPromptTokens(model: LlamaModel, prompt: string): number {
  const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null
  return model.tokenize(prompt, false, bos ? 'trimLeadingSpace' : undefined).length + (bos ? 1 : 0)
}

/** Tokens the completion may use: what the request asks, or the rest of the context; a 400 when they do not fit. */
function completionBudget(body: Record<string, unknown>, promptTokens: number, contextLength: number, param: string): number {
  const requested = body.max_completion_tokens ?? body.max_tokens
  const asked = typeof requested === 'number' ? requested : undefined
  if (promptTokens + (asked ?? 1) > contextLength) throw contextLengthError(promptTokens + (asked ?? 1), contextLength, param)
  return asked ?? contextLength - promptTokens
}

function contextLengthError(tokens: number, contextLength: number, param = 'messages'): InvalidRequestError {
  return new InvalidRequestError(`This model's context length is ${contextLength} tokens; the request needs ${tokens}`, { code: 'context_length_exceeded', param })
}

/** Embedding inputs: strings, or token ids checked against the vocabulary. */
function embeddingInputs(input: unknown, vocabularySize: number): Array<string | Token[]> {
  const checked = (tokens: number[]): Token[] => {
    if (tokens.some((token) => token >= vocabularySize)) throw new InvalidRequestError(`input holds a token id outside the vocabulary (${vocabularySize} tokens)`, { param: 'input' })
    return tokens as Token[]
  }
  if (typeof input === 'string') return [input]
  const items = input as Array<string | number | number[]>
  if (items.every((item) => typeof item === 'number')) return [checked(items as number[])]
  return items.map((item) => (typeof item === 'string' ? item : checked(item as number[])))
}

type Meta = { id: string; created: number; model: string }

function chatChunk(meta: Meta, delta: Record<string, unknown>, finishReason: string | null): Record<string, unknown> {
  return { ...meta, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] }
}

function textChunk(meta: Meta, delta: Record<string, unknown>, finishReason: string | null): Record<string, unknown> {
  return { ...meta, object: 'text_completion', choices: [{ index: 0, text: delta.text ?? '', logprobs: null, finish_reason: finishReason }] }
}

function chatCompletion(meta: Meta, content: string, finishReason: string, usage: Usage): Record<string, unknown> {
  return {
    ...meta,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finishReason }],
    usage,
  }
}

/** A quantization label for the offer from the GGUF file type: `q4_k_m`, `q8_0`, `fp16`, `bf16`, `fp32`. */
function quantizationLabel(lib: NodeLlamaCpp, fileType: number | undefined): string | undefined {
  if (fileType === undefined) return undefined
  const name = lib.GgufFileType[fileType]
  if (!name) return undefined
  const label = name.replace(/^(ALL|MOSTLY)_/, '').toLowerCase()
  return ({ f32: 'fp32', f16: 'fp16' } as Record<string, string>)[label] ?? label
}

/**
 * Starts `generate`, which pushes pieces as it makes them: `pieces` yields them as they
 * come and ends when `generate` settles; `result` is what it resolves to.
 */
function startGeneration<T>(generate: (push: (piece: T) => void) => Promise<string>): { pieces: AsyncIterable<T>; result: Promise<string> } {
  const queue: T[] = []
  let wake: (() => void) | undefined
  let done = false
  const result = generate((piece) => {
    queue.push(piece)
    wake?.()
  }).finally(() => {
    done = true
    wake?.()
  })
  // Awaited by the caller once the pieces end; this keeps a failure meanwhile from counting as unhandled.
  result.catch(() => {})
  async function* pieces(): AsyncGenerator<T> {
    while (true) {
      if (queue.length) yield queue.shift()!
      else if (done) return
      else await new Promise<void>((resolve) => (wake = resolve))
    }
  }
  return { pieces: pieces(), result }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
