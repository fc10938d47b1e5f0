import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getLlama } from 'node-llama-cpp'
import { BusyError, InvalidRequestError, type Usage } from '@agora/protocol'
import { ConfigError, loadProviderConfig } from '../config.ts'
import { TINY_ANSWERS, TINY_GREEDY_ANSWER, writeTinyGguf } from '../testing/tiny-gguf.ts'
import { createEngine } from './index.ts'
import { createLlamaCppEngine, LLAMA_CPP_CHAT_PARAMETERS } from './llama-cpp.ts'
import type { Engine, EngineEvent, EngineRequest } from './engine.ts'

// A real model runs here: a tiny llama GGUF written by the test (no weights can be
// downloaded), loaded and run by node-llama-cpp on the CPU. Its weights make it answer
// every chat with `TINY_GREEDY_ANSWER` at temperature 0. Loading llama.cpp takes a second
// or more on a busy machine, hence the long timeouts.

let dir: string
let chatModel: string
let embedModel: string
let engine: Engine

const CONTEXT = 256

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llama-cpp-engine-'))
  chatModel = join(dir, 'tiny-chat.gguf')
  embedModel = join(dir, 'tiny-embed.gguf')
  await writeTinyGguf(chatModel)
  await writeTinyGguf(embedModel, { embeddings: true })
  engine = await createLlamaCppEngine({ modelPath: chatModel, model: 'tiny-chat', sequences: 2, contextSize: CONTEXT, threads: 1, gpuLayers: 0 })
}, 120_000)

afterAll(async () => {
  await engine?.close?.()
  await rm(dir, { recursive: true, force: true })
})

async function collect(events: AsyncIterable<EngineEvent>) {
  const chunks: Array<Record<string, unknown>> = []
  let result: Record<string, unknown> | undefined
  let usage: Usage | undefined
  for await (const event of events) {
    if (event.type === 'chunk') chunks.push(event.data)
    else if (event.type === 'result') result = event.data
    else usage = event.usage
  }
  return { chunks, result, usage }
}

const chat = (body: Record<string, unknown>, stream = false): EngineRequest => ({
  kind: 'chat.completions',
  body: { model: 'tiny-chat', messages: [{ role: 'user', content: 'Hello there' }], temperature: 0, ...body },
  stream,
})

const run = (request: EngineRequest, target = engine) => collect(target.run(request, new AbortController().signal))

type ChatChoice = { message: { content: string }; finish_reason: string }
type ChunkChoice = { delta: { role?: string; content?: string }; finish_reason: string | null }
const choice = (data: Record<string, unknown> | undefined) => (data!.choices as ChatChoice[])[0]!
const streamedText = (chunks: Array<Record<string, unknown>>) => chunks.map((c) => (c.choices as ChunkChoice[])[0]!.delta.content ?? '').join('')

/** Prompt tokens of a chat as the model's own tokenizer counts its ChatML rendering, checked apart from the engine. */
async function chatMlTokens(messages: Array<{ role: string; content: string }>): Promise<number> {
  const llama = await getLlama({ gpu: false, build: 'never' })
  try {
    const model = await llama.loadModel({ modelPath: chatModel, vocabOnly: true })
    const text = messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('') + '<|im_start|>assistant\n'
    return model.tokenize(text, true).length + (model.tokens.shouldPrependBosToken ? 1 : 0)
  } finally {
    await llama.dispose()
  }
}

describe('llama-cpp engine: a GGUF model in-process', { timeout: 120_000 }, () => {
  it('reports the model with its context size, quantization and the parameters it honours', async () => {
    const [model] = await engine.models()
    expect(model).toEqual({ id: 'tiny-chat', contextLength: CONTEXT, quantization: 'fp32', supportedParameters: LLAMA_CPP_CHAT_PARAMETERS })
    expect(model!.supportedParameters).not.toContain('tools')
  })

  it('answers a chat through the model chat template, with usage counted by its tokenizer', async () => {
    const { result, usage } = await run(chat({}))
    expect(result).toMatchObject({ object: 'chat.completion', model: 'tiny-chat' })
    expect(choice(result)).toMatchObject({ message: { role: 'assistant', content: TINY_GREEDY_ANSWER }, finish_reason: 'stop' })
    // Hello · ▁from · ▁a · ▁tiny · ▁model · . and the end-of-turn token
    expect(usage).toEqual({ prompt_tokens: await chatMlTokens([{ role: 'user', content: 'Hello there' }]), completion_tokens: 7, total_tokens: usage!.prompt_tokens + 7 })
    expect(result!.usage).toEqual(usage)
  })

  it('renders system and earlier turns into the prompt', async () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello from a tiny model.' },
      { role: 'user', content: [{ type: 'text', text: 'Again' }] },
    ]
    const { result, usage } = await run(chat({ messages }))
    expect(choice(result).message.content).toBe(TINY_GREEDY_ANSWER)
    const flat = messages.map((m) => ({ role: m.role, content: typeof m.content === 'string' ? m.content : 'Again' }))
    expect(usage!.prompt_tokens).toBe(await chatMlTokens(flat))
  })

  it('streams the answer token by token, then the finish reason and usage', async () => {
    const whole = await run(chat({}))
    const streamed = await run(chat({}, true))
    expect((streamed.chunks[0]!.choices as ChunkChoice[])[0]!.delta).toEqual({ role: 'assistant', content: '' })
    expect(streamed.chunks.length).toBeGreaterThanOrEqual(6)
    expect(streamedText(streamed.chunks)).toBe(TINY_GREEDY_ANSWER)
    const finishes = streamed.chunks.map((c) => (c.choices as ChunkChoice[])[0]!.finish_reason)
    expect(finishes.at(-1)).toBe('stop')
    expect(finishes.slice(0, -1).every((f) => f === null)).toBe(true)
    expect(streamed.chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === streamed.chunks[0]!.id)).toBe(true)
    expect(streamed.usage).toEqual(whole.usage)
  })

  it('stops at max_tokens with finish_reason length', async () => {
    const { result, usage } = await run(chat({ max_tokens: 2 }))
    expect(choice(result)).toMatchObject({ message: { content: 'Hello from' }, finish_reason: 'length' })
    expect(usage!.completion_tokens).toBe(2)
  })

  it('stops at a stop sequence, which is not part of the answer', async () => {
    const { result } = await run(chat({ stop: ['tiny'] }))
    expect(choice(result)).toMatchObject({ message: { content: 'Hello from a ' }, finish_reason: 'stop' })
    const streamed = await run(chat({ stop: '.' }, true))
    expect(streamedText(streamed.chunks)).toBe('Hello from a tiny model')
  })

  it('samples with temperature and top_p, and a seed makes a sample repeatable', async () => {
    const answers: string[] = []
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const first = choice((await run(chat({ temperature: 1.5, top_p: 0.99, seed }))).result).message.content
      const again = choice((await run(chat({ temperature: 1.5, top_p: 0.99, seed }))).result).message.content
      expect(again).toBe(first)
      expect(TINY_ANSWERS).toContain(first)
      answers.push(first)
    }
    expect(new Set(answers).size).toBeGreaterThan(1)
  })

  it('accepts the sampling extras top_k, min_p and the penalties', async () => {
    const { result } = await run(chat({ temperature: 0.7, seed: 7, top_k: 2, min_p: 0.05, repetition_penalty: 1.1, frequency_penalty: 0.5, presence_penalty: 0.5 }))
    expect(TINY_ANSWERS).toContain(choice(result).message.content)
  })

  it('constrains output to JSON for response_format', async () => {
    const schema = { type: 'object', properties: { size: { enum: ['tiny', 'small'] } }, required: ['size'], additionalProperties: false }
    const { result } = await run(chat({ response_format: { type: 'json_schema', json_schema: { name: 'size', schema } }, max_tokens: 40 }))
    const content = choice(result).message.content
    expect(JSON.parse(content)).toEqual({ size: expect.stringMatching(/^(tiny|small)$/) })
  })

  it('completes text prompts (legacy completions), streamed or whole', async () => {
    const { result, usage } = await run({ kind: 'completions', body: { model: 'tiny-chat', prompt: 'Once upon a time', temperature: 0 }, stream: false })
    expect(result).toMatchObject({ object: 'text_completion', choices: [{ index: 0, text: 'the tiny model.', finish_reason: 'stop' }] })
    // ▁the · ▁tiny · ▁model · . and the end-of-text token
    expect(usage!.completion_tokens).toBe(5)
    expect(usage!.prompt_tokens).toBeGreaterThan(1)
    const streamed = await run({ kind: 'completions', body: { model: 'tiny-chat', prompt: ['Once upon a time'], temperature: 0, max_tokens: 2 }, stream: true })
    expect(streamed.chunks.map((c) => (c.choices as Array<{ text: string }>)[0]!.text).join('')).toBe('the tiny')
    expect((streamed.chunks.at(-1)!.choices as Array<{ finish_reason: string }>)[0]!.finish_reason).toBe('length')
    expect(streamed.usage).toEqual({ prompt_tokens: usage!.prompt_tokens, completion_tokens: 2, total_tokens: usage!.prompt_tokens + 2 })
  })

  it('answers 400 for what it does not support, naming the parameter', async () => {
    const cases: Array<[EngineRequest, string | null]> = [
      [chat({ tools: [{ type: 'function', function: { name: 'f' } }] }), 'tools'],
      [chat({ logprobs: true }), 'logprobs'],
      [chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }), 'messages[0].content'],
      [chat({ messages: [{ role: 'tool', tool_call_id: 'a', content: 'x' }] }), 'messages[0].role'],
      [{ kind: 'completions', body: { model: 'tiny-chat', prompt: ['a', 'b'] }, stream: false }, 'prompt'],
      [{ kind: 'completions', body: { model: 'tiny-chat', prompt: 'a', echo: true }, stream: false }, 'echo'],
      [{ kind: 'embeddings', body: { model: 'tiny-chat', input: 'a' }, stream: false }, 'model'],
    ]
    for (const [request, param] of cases) {
      const error = await run(request).catch((e: unknown) => e)
      expect(error, JSON.stringify(request.body)).toBeInstanceOf(InvalidRequestError)
      expect((error as InvalidRequestError).param).toBe(param)
    }
  })

  it('refuses prompts and max_tokens beyond the context length', async () => {
    const long = await run(chat({ messages: [{ role: 'user', content: 'word '.repeat(CONTEXT) }] })).catch((e: unknown) => e)
    expect(long).toMatchObject({ status: 400, code: 'context_length_exceeded' })
    const greedy = await run(chat({ max_tokens: CONTEXT })).catch((e: unknown) => e)
    expect(greedy).toMatchObject({ status: 400, code: 'context_length_exceeded' })
  })

  it('generates one request per sequence at once, answering busy beyond them', async () => {
    const slow = (signal: AbortSignal) => engine.run(chat({ temperature: 1, seed: 3 }, true), signal)[Symbol.asyncIterator]()
    const a = new AbortController()
    const b = new AbortController()
    const first = slow(a.signal)
    const second = slow(b.signal)
    // Both hold a sequence once their first chunk is out.
    expect((await first.next()).done).toBe(false)
    expect((await second.next()).done).toBe(false)
    await expect(run(chat({}))).rejects.toBeInstanceOf(BusyError)
    a.abort(new Error('the client went away'))
    await expect(drain(first)).rejects.toThrow('the client went away')
    let text = ''
    for (let step = await second.next(); !step.done; step = await second.next()) {
      if (step.value.type === 'chunk') text += (step.value.data.choices as ChunkChoice[])[0]!.delta.content ?? ''
    }
    expect(TINY_ANSWERS).toContain(text)
    // The aborted request gave its sequence back: two at once work again.
    const both = await Promise.all([run(chat({})), run(chat({}, true))])
    expect(choice(both[0].result).message.content).toBe(TINY_GREEDY_ANSWER)
    expect(streamedText(both[1].chunks)).toBe(TINY_GREEDY_ANSWER)
  })
})

async function drain(iterator: AsyncIterator<EngineEvent>): Promise<void> {
  for (let step = await iterator.next(); !step.done; step = await iterator.next());
}

describe('llama-cpp engine: an embedding model', { timeout: 120_000 }, () => {
  let embed: Engine

  beforeAll(async () => {
    embed = await createLlamaCppEngine({ modelPath: embedModel, model: 'tiny-embed', sequences: 1, contextSize: 128, threads: 1, gpuLayers: 0 })
  }, 60_000)

  afterAll(() => embed?.close?.())

  it('serves embeddings (floats or base64) with its vector size, and nothing else', async () => {
    expect(await embed.models()).toEqual([{ id: 'tiny-embed', contextLength: 128, quantization: 'fp32', supportedParameters: [] }])
    const { result, usage } = await run({ kind: 'embeddings', body: { model: 'tiny-embed', input: ['Hello from', 'a tiny model'] }, stream: false }, embed)
    const data = result!.data as Array<{ index: number; embedding: number[] }>
    expect(data.map((d) => d.index)).toEqual([0, 1])
    expect(data.every((d) => d.embedding.length === 128 && d.embedding.every(Number.isFinite))).toBe(true)
    expect(data[0]!.embedding).not.toEqual(data[1]!.embedding)
    expect(usage!.prompt_tokens).toBeGreaterThanOrEqual(4)
    expect(result!.usage).toEqual({ prompt_tokens: usage!.prompt_tokens, total_tokens: usage!.prompt_tokens })

    const again = await run({ kind: 'embeddings', body: { model: 'tiny-embed', input: 'Hello from', encoding_format: 'base64' }, stream: false }, embed)
    const [encoded] = again.result!.data as Array<{ embedding: string }>
    const bytes = Buffer.from(encoded!.embedding, 'base64')
    const decoded = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)
    expect(Array.from(decoded)).toEqual(data[0]!.embedding.map((x) => Math.fround(x)))

    const tokens = await run({ kind: 'embeddings', body: { model: 'tiny-embed', input: [300, 301, 302] }, stream: false }, embed)
    expect((tokens.result!.data as unknown[]).length).toBe(1)

    for (const body of [{ input: 'a', dimensions: 64 }, { input: [[1, 99_999]] }, { input: 'word '.repeat(200) }]) {
      await expect(run({ kind: 'embeddings', body: { model: 'tiny-embed', ...body }, stream: false }, embed)).rejects.toBeInstanceOf(InvalidRequestError)
    }
    await expect(run(chat({ model: 'tiny-embed' }), embed)).rejects.toMatchObject({ status: 400, param: 'model' })
  })
})

describe('llama-cpp engine: configuration', { timeout: 120_000 }, () => {
  const base = { bootstrap: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWGRUVh7eFApmw2BG7ubjpvaL8CbF1SYjRcyFn4Lkgqjkd'] }

  it('validates the engine row, naming the bad field', () => {
    const config = loadProviderConfig({ ...base, engine: { kind: 'llama-cpp', modelPath: '/models/m.gguf' } }, {})
    expect(config.engine).toEqual({ kind: 'llama-cpp', modelPath: '/models/m.gguf', gpuLayers: 'auto' })
    const bad = (engine: Record<string, unknown>) => () => loadProviderConfig({ ...base, engine: { kind: 'llama-cpp', modelPath: '/m.gguf', ...engine } }, {})
    expect(() => loadProviderConfig({ ...base, engine: { kind: 'llama-cpp' } }, {})).toThrow(/engine\.modelPath/)
    expect(bad({ gpuLayers: 'some' })).toThrow(/engine\.gpuLayers/)
    expect(bad({ contextSize: 0 })).toThrow(/engine\.contextSize/)
    expect(bad({ threads: 1.5 })).toThrow(/engine\.threads/)
    expect(bad({ sequences: 2 })).toThrow(/sequences/)
  })

  it('says how to install node-llama-cpp when it is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package 'node-llama-cpp'"), { code: 'ERR_MODULE_NOT_FOUND' })
    const error = await createLlamaCppEngine({ modelPath: chatModel, model: 'x', sequences: 1, importModule: () => Promise.reject(missing) }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message).toMatch(/optional package node-llama-cpp.*npm install node-llama-cpp@3\.21\.1/)
  })

  it('names the model path when the file is missing or not a GGUF model', async () => {
    const notGguf = join(dir, 'notes.gguf')
    await writeFile(notGguf, 'these are not weights\n'.repeat(100))
    const truncated = join(dir, 'truncated.gguf')
    await writeFile(truncated, (await import('../testing/tiny-gguf.ts')).tinyGguf().subarray(0, 5_000))
    for (const modelPath of [join(dir, 'absent.gguf'), notGguf, truncated]) {
      const error = await createLlamaCppEngine({ modelPath, model: 'x', sequences: 1, threads: 1 }).catch((e: unknown) => e)
      expect(error, modelPath).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toContain(`engine.modelPath: cannot load ${modelPath} as a GGUF model`)
    }
  })

  it('createEngine names the model after its file and gives it one sequence per concurrent request', async () => {
    const config = loadProviderConfig({
      ...base,
      engine: { kind: 'llama-cpp', modelPath: chatModel, contextSize: 512, threads: 1, gpuLayers: 0 },
      models: [{ id: 'acme/tiny', upstream: 'tiny-chat', maxConcurrency: 3 }],
    }, {})
    const built = await createEngine(config)
    try {
      expect((await built.models()).map((m) => [m.id, m.contextLength])).toEqual([['tiny-chat', 512]])
      const controllers = [0, 1, 2].map(() => new AbortController())
      const streams = controllers.map((c) => built.run(chat({}, true), c.signal)[Symbol.asyncIterator]())
      for (const stream of streams) expect((await stream.next()).done).toBe(false)
      await expect(run(chat({}), built)).rejects.toBeInstanceOf(BusyError)
      await Promise.all(streams.map(drain))
    } finally {
      await built.close?.()
    }
  })
})
