import { describe, it, expect } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { SHARED_SPEC_URL, SPEC_URL, openAPISchemaToJsonSchema, validateAgainstOpenAI } from './openai-spec.ts'

const created = 1_735_689_600
const usage = { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 }

const chatCompletion = {
  id: 'chatcmpl-123',
  object: 'chat.completion',
  created,
  model: 'gpt-4o-mini',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello there.', refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage,
  service_tier: 'default',
}

const chatChunk = {
  id: 'chatcmpl-123',
  object: 'chat.completion.chunk',
  created,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
  usage: null,
}

describe('validateAgainstOpenAI', () => {
  it('accepts a chat.completion, including one that calls a tool', () => {
    expect(validateAgainstOpenAI('CreateChatCompletionResponse', chatCompletion)).toEqual({ valid: true, errors: [] })
    const toolCall = {
      ...chatCompletion,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
    }
    expect(validateAgainstOpenAI('CreateChatCompletionResponse', toolCall).errors).toEqual([])
  })

  it('accepts chat.completion.chunk deltas, the finish chunk and the usage-only chunk', () => {
    const chunks = [
      chatChunk,
      { ...chatChunk, choices: [{ index: 0, delta: { content: 'Hel' }, logprobs: null, finish_reason: null }] },
      {
        ...chatChunk,
        choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }, finish_reason: null }],
      },
      { ...chatChunk, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] },
      { ...chatChunk, choices: [], usage },
    ]
    for (const chunk of chunks) expect(validateAgainstOpenAI('CreateChatCompletionStreamResponse', chunk).errors).toEqual([])
  })

  it('accepts a text_completion, an embedding list, a model list and an error body', () => {
    const completion = {
      id: 'cmpl-123',
      object: 'text_completion',
      created,
      model: 'gpt-3.5-turbo-instruct',
      choices: [{ text: ' world', index: 0, logprobs: null, finish_reason: 'length' }],
      usage,
    }
    const embeddings = {
      object: 'list',
      model: 'text-embedding-3-small',
      data: [{ object: 'embedding', index: 0, embedding: [0.25, -0.5, 0.125] }],
      usage: { prompt_tokens: 4, total_tokens: 4 },
    }
    const models = { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created, owned_by: 'openai' }] }
    const error = { error: { message: 'Invalid API key', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }
    expect(validateAgainstOpenAI('CreateCompletionResponse', completion).errors).toEqual([])
    expect(validateAgainstOpenAI('CreateEmbeddingResponse', embeddings).errors).toEqual([])
    expect(validateAgainstOpenAI('ListModelsResponse', models).errors).toEqual([])
    expect(validateAgainstOpenAI('ErrorResponse', error).errors).toEqual([])
  })

  it('accepts fields OpenAI does not define, because no response schema forbids additional properties', () => {
    const withExtras = {
      ...chatCompletion,
      provider: '12D3KooWExample',
      usage: { ...usage, cost: 0.000042 },
      choices: chatCompletion.choices.map((choice) => ({ ...choice, message: { ...choice.message, reasoning: 'why' } })),
    }
    expect(validateAgainstOpenAI('CreateChatCompletionResponse', withExtras).errors).toEqual([])
    expect(validateAgainstOpenAI('CreateChatCompletionStreamResponse', { ...chatChunk, provider: 'p' }).valid).toBe(true)
  })

  it('rejects a response without choices or with the wrong object', () => {
    const { choices: _, ...withoutChoices } = chatCompletion
    const missing = validateAgainstOpenAI('CreateChatCompletionResponse', withoutChoices)
    expect(missing.valid).toBe(false)
    expect(missing.errors).toContain("(root) must have required property 'choices'")

    const wrongObject = validateAgainstOpenAI('CreateChatCompletionResponse', { ...chatCompletion, object: 'chat.completion.chunk' })
    expect(wrongObject.valid).toBe(false)
    expect(wrongObject.errors).toEqual(['/object must be equal to one of the allowed values: "chat.completion"'])

    expect(validateAgainstOpenAI('CreateChatCompletionStreamResponse', { ...chatChunk, object: 'chat.completion' }).valid).toBe(false)
    expect(validateAgainstOpenAI('CreateEmbeddingResponse', { object: 'list', data: [] }).valid).toBe(false)
    expect(validateAgainstOpenAI('ErrorResponse', { error: { message: 'no type' } }).valid).toBe(false)
  })

  it('rejects null where the spec does not make a field nullable', () => {
    const result = validateAgainstOpenAI('CreateChatCompletionResponse', { ...chatCompletion, model: null })
    expect(result.errors).toEqual(['/model must be string'])
    const chunk = { ...chatChunk, choices: [{ index: 0, delta: {}, finish_reason: 'done' }] }
    expect(validateAgainstOpenAI('CreateChatCompletionStreamResponse', chunk).valid).toBe(false)
  })

  it('throws on a schema name the spec does not have', () => {
    expect(() => validateAgainstOpenAI('NoSuchSchema', {})).toThrow(/no component schema named "NoSuchSchema"/)
  })
})

describe('openAPISchemaToJsonSchema', () => {
  it('adds null to type and enum', () => {
    expect(openAPISchemaToJsonSchema({ type: 'string', nullable: true })).toEqual({ type: ['string', 'null'] })
    expect(openAPISchemaToJsonSchema({ type: 'string', enum: ['stop', 'length'], nullable: true })).toEqual({
      type: ['string', 'null'],
      enum: ['stop', 'length', null],
    })
  })

  it('wraps $ref and compositions in anyOf with null', () => {
    const ref = { $ref: '#/components/schemas/CompletionUsage' }
    expect(openAPISchemaToJsonSchema({ ...ref, nullable: true })).toEqual({ anyOf: [ref, { type: 'null' }] })
    const oneOf = { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }
    expect(openAPISchemaToJsonSchema({ ...oneOf, nullable: true })).toEqual({ anyOf: [oneOf, { type: 'null' }] })
  })

  it('reads an allOf member that is only nullable as making the whole allOf nullable', () => {
    const ref = { $ref: '#/components/schemas/TruncationObject' }
    expect(openAPISchemaToJsonSchema({ allOf: [ref, { nullable: true, description: 'may be null' }] })).toEqual({
      anyOf: [{ allOf: [ref] }, { type: 'null' }],
    })
  })

  it('translates nested schemas but leaves properties that are named like keywords alone', () => {
    const schema = {
      type: 'object',
      'x-oaiMeta': { name: 'thing' },
      discriminator: { propertyName: 'format' },
      example: { format: 'mp3' },
      properties: {
        format: { type: 'string', nullable: true },
        example: { type: 'array', items: { type: 'integer', nullable: true } },
      },
    }
    expect(openAPISchemaToJsonSchema(schema)).toEqual({
      type: 'object',
      properties: {
        format: { type: ['string', 'null'] },
        example: { type: 'array', items: { type: ['integer', 'null'] } },
      },
    })
  })

  it('turns 3.0 boolean exclusive bounds into 2020-12 numbers', () => {
    expect(openAPISchemaToJsonSchema({ type: 'number', minimum: 0, maximum: 2, exclusiveMinimum: true })).toEqual({
      type: 'number',
      maximum: 2,
      exclusiveMinimum: 0,
    })
  })
})

describe('the committed copy of the spec', () => {
  it.runIf(existsSync(SHARED_SPEC_URL))('equals the reference beside the project', () => {
    expect(readFileSync(SPEC_URL).equals(readFileSync(SHARED_SPEC_URL))).toBe(true)
  })
})
