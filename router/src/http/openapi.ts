import { z } from 'zod'
import {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  CatalogModel,
  Completion,
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResponse,
  ErrorEnvelope,
  ModelList,
} from '@agora/protocol'

type Schema = Record<string, unknown>

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output'): Schema =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Schema

const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [String(status), { description: ERROR_TEXT[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
  )

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid JSON or a body that does not match the schema; `param` names the field',
  401: 'Missing or invalid API key',
  404: 'Unknown model',
  502: 'The provider failed before the first byte',
  503: 'The model is known but no provider is available now',
  504: 'No answer before the request deadline',
}

const inference = (summary: string, request: string, response: Schema, streamed?: string) => ({
  post: {
    summary,
    security: [{ bearer: [] }],
    requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${request}` } } } },
    responses: {
      '200': {
        description: streamed
          ? `The response; with \`stream: true\`, server-sent events each carrying a \`${streamed}\`, ending with \`data: [DONE]\`. Every response names the serving \`provider\` and has \`x-generation-id\` and \`x-provider-id\` headers.`
          : 'The response, naming the serving `provider`, with `x-generation-id` and `x-provider-id` headers.',
        content: {
          'application/json': { schema: response },
          ...(streamed ? { 'text/event-stream': { schema: { $ref: `#/components/schemas/${streamed}` } } } : {}),
        },
      },
      ...errors(400, 401, 404, 502, 503, 504),
    },
  },
})

/**
 * The OpenAPI 3.1 document the router serves at `/openapi.json`, built from the same zod
 * schemas that validate requests, so it cannot drift from what the router accepts.
 */
export function openApiDocument(): Schema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Agora router',
      version: '0.1.0',
      description: 'OpenAI-compatible API of the Agora inference marketplace. Point any OpenAI SDK at `/v1`.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ChatCompletionRequest: json(ChatCompletionRequest, 'input'),
        ChatCompletion: json(ChatCompletion),
        ChatCompletionChunk: json(ChatCompletionChunk),
        CompletionRequest: json(CompletionRequest, 'input'),
        Completion: json(Completion),
        EmbeddingRequest: json(EmbeddingRequest, 'input'),
        EmbeddingResponse: json(EmbeddingResponse),
        Model: json(CatalogModel),
        ModelList: json(ModelList),
        Error: json(ErrorEnvelope),
      },
    },
    paths: {
      '/v1/chat/completions': inference('Create a chat completion', 'ChatCompletionRequest', { $ref: '#/components/schemas/ChatCompletion' }, 'ChatCompletionChunk'),
      '/v1/completions': inference('Create a text completion', 'CompletionRequest', { $ref: '#/components/schemas/Completion' }, 'Completion'),
      '/v1/embeddings': inference('Create embeddings', 'EmbeddingRequest', { $ref: '#/components/schemas/EmbeddingResponse' }),
      '/v1/models': {
        get: {
          summary: 'List the models live providers offer, with context length, cheapest price and provider count',
          security: [{ bearer: [] }],
          responses: { '200': { description: 'The catalog', content: { 'application/json': { schema: { $ref: '#/components/schemas/ModelList' } } } }, ...errors(401) },
        },
      },
      '/v1/models/{model}': {
        get: {
          summary: 'One model of the catalog',
          security: [{ bearer: [] }],
          parameters: [{ name: 'model', in: 'path', required: true, schema: { type: 'string' }, description: 'Model id; may contain `/`' }],
          responses: { '200': { description: 'The model', content: { 'application/json': { schema: { $ref: '#/components/schemas/Model' } } } }, ...errors(401, 404) },
        },
      },
      '/health': {
        get: {
          summary: 'Liveness and what the router sees: connected peers and live offers',
          responses: {
            '200': {
              description: 'Healthy',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { status: { const: 'ok' }, peerId: { type: 'string' }, peers: { type: 'integer' }, offers: { type: 'integer' } },
                    required: ['status', 'peerId', 'peers', 'offers'],
                  },
                },
              },
            },
          },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1 document', content: { 'application/json': {} } } } } },
    },
  }
}
