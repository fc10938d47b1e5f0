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
  ModelEndpoints,
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
  401: 'Missing, invalid, revoked or expired API key',
  402: 'Insufficient credits, or the key reached its spend limit; do not retry until topped up',
  403: 'The key may not use this model (or the management API is disabled)',
  429: 'Rate limited: see `Retry-After` and the `x-ratelimit-*` headers',
  404: 'Unknown model',
  502: 'The provider failed before the first byte',
  503: 'The model is known but no provider is available now',
  504: 'No answer before the request deadline',
}

const NUMBER = { type: 'number' } as const
const STRING = { type: 'string' } as const
const MICRO_USD = { type: 'string', pattern: '^-?\\d+$', description: 'micro-USD (1 USD = 1000000), as a decimal string' } as const
const NULLABLE = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] })

const jsonResponse = (description: string, schema: Schema) => ({ description, content: { 'application/json': { schema } } })

const GENERATION: Schema = {
  type: 'object',
  properties: {
    id: STRING,
    model: STRING,
    provider: { type: 'string', description: 'Peer id of the provider that served it' },
    created_at: STRING,
    status: { enum: ['completed', 'failed', 'cancelled'] },
    finish_reason: NULLABLE(STRING),
    tokens_prompt: { type: 'integer' },
    tokens_completion: { type: 'integer' },
    total_cost: { type: 'number', description: 'USD' },
    total_cost_micro_usd: MICRO_USD,
    latency: NULLABLE({ type: 'integer', description: 'ms to the first token' }),
    generation_time: { type: 'integer', description: 'ms from request to last byte' },
    settlement_batch_id: NULLABLE(STRING),
  },
}

const KEY_INFO: Schema = {
  type: 'object',
  properties: {
    label: STRING,
    prefix: STRING,
    limit: NULLABLE(NUMBER),
    limit_reset: { enum: ['daily', 'weekly', 'monthly', 'never'] },
    limit_remaining: NULLABLE(NUMBER),
    usage: NUMBER,
    usage_daily: NUMBER,
    usage_weekly: NUMBER,
    usage_monthly: NUMBER,
    rate_limit: { type: 'object', properties: { requests_per_minute: NULLABLE({ type: 'integer' }), tokens_per_minute: NULLABLE({ type: 'integer' }) } },
    allowed_models: NULLABLE({ type: 'array', items: STRING }),
    expires_at: NULLABLE(STRING),
  },
}

const API_KEY: Schema = {
  type: 'object',
  properties: {
    id: STRING,
    name: STRING,
    prefix: STRING,
    spend_limit_micro_usd: NULLABLE(MICRO_USD),
    spend_reset: { enum: ['daily', 'weekly', 'monthly', 'never'] },
    rpm_limit: NULLABLE({ type: 'integer' }),
    tpm_limit: NULLABLE({ type: 'integer' }),
    allowed_models: NULLABLE({ type: 'array', items: STRING }),
    expires_at: NULLABLE(STRING),
    revoked_at: NULLABLE(STRING),
    created_at: STRING,
  },
}

const KEY_LIMITS_BODY: Schema = {
  type: 'object',
  properties: {
    name: STRING,
    spend_limit_micro_usd: NULLABLE({ anyOf: [{ type: 'integer' }, MICRO_USD] }),
    spend_reset: { enum: ['daily', 'weekly', 'monthly', 'never'] },
    rpm_limit: NULLABLE({ type: 'integer', minimum: 1 }),
    tpm_limit: NULLABLE({ type: 'integer', minimum: 1 }),
    allowed_models: NULLABLE({ type: 'array', items: STRING, minItems: 1 }),
    expires_at: NULLABLE({ type: 'string', format: 'date-time' }),
  },
}

const ADDRESS = { name: 'address', in: 'path', required: true, schema: { type: 'string' }, description: 'The account wallet address' }
const KEY_ID = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Key id' }
const RANGE = [
  { name: 'from', in: 'query', schema: { type: 'string' }, description: 'Inclusive start, a date or ISO timestamp' },
  { name: 'to', in: 'query', schema: { type: 'string' }, description: 'Exclusive end' },
]

const admin = (summary: string, responses: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  summary,
  tags: ['management'],
  security: [{ admin: [] }],
  ...extra,
  responses: { ...responses, ...errors(401, 403, 404) },
})

/** The management API under `/api`, authenticated with the admin token. */
function managementPaths(): Record<string, Schema> {
  const body = (schema: Schema) => ({ requestBody: { required: true, content: { 'application/json': { schema } } } })
  return {
    '/api/accounts': {
      post: admin('Create (or find) the account of a wallet address', { '201': jsonResponse('The account', { type: 'object' }) }, body({ type: 'object', properties: { address: STRING }, required: ['address'] })),
    },
    '/api/accounts/{address}': {
      get: admin('An account with its credits: deposited, used, adjusted, held, balance (micro-USD)', { '200': jsonResponse('The account', { type: 'object' }) }, { parameters: [ADDRESS] }),
    },
    '/api/accounts/{address}/credits': {
      post: admin(
        'Adjust a balance (an operator grant or correction), idempotent by `ref`',
        { '200': jsonResponse('The new balance', { type: 'object', properties: { balance_micro_usd: MICRO_USD } }), ...errors(400) },
        { parameters: [ADDRESS], ...body({ type: 'object', properties: { amount_micro_usd: { anyOf: [{ type: 'integer' }, MICRO_USD] }, note: STRING, ref: STRING }, required: ['amount_micro_usd', 'note'] }) },
      ),
    },
    '/api/accounts/{address}/journal': {
      get: admin('Every change of the balance, newest first', { '200': jsonResponse('Journal entries', { type: 'object' }) }, {
        parameters: [ADDRESS, { name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'before', in: 'query', schema: { type: 'integer' }, description: 'Entries with a smaller id' }],
      }),
    },
    '/api/accounts/{address}/keys': {
      get: admin('The account\'s API keys, revoked ones included', { '200': jsonResponse('Keys', { type: 'object', properties: { data: { type: 'array', items: API_KEY } } }) }, { parameters: [ADDRESS] }),
      post: admin(
        'Create an API key; its `secret` is in this response only',
        { '201': jsonResponse('The key and its secret', { allOf: [API_KEY, { type: 'object', properties: { secret: STRING }, required: ['secret'] }] }), ...errors(400) },
        { parameters: [ADDRESS], ...body({ ...KEY_LIMITS_BODY, required: ['name'] }) },
      ),
    },
    '/api/accounts/{address}/keys/{id}': {
      patch: admin('Change a key\'s name or limits (null removes a limit)', { '200': jsonResponse('The key', API_KEY), ...errors(400) }, { parameters: [ADDRESS, KEY_ID], ...body(KEY_LIMITS_BODY) }),
      delete: admin('Revoke a key; it stops working within seconds', { '200': jsonResponse('The revoked key', API_KEY) }, { parameters: [ADDRESS, KEY_ID] }),
    },
    '/api/accounts/{address}/usage': {
      get: admin('Usage aggregated by UTC day, model or key', { '200': jsonResponse('Usage rows', { type: 'object' }), ...errors(400) }, {
        parameters: [ADDRESS, { name: 'group', in: 'query', schema: { enum: ['day', 'model', 'key'] } }, ...RANGE],
      }),
    },
    '/api/accounts/{address}/generations': {
      get: admin('Generations, newest first, a page at a time', { '200': jsonResponse('Generations', { type: 'object' }) }, {
        parameters: [ADDRESS, ...RANGE, { name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'offset', in: 'query', schema: { type: 'integer' } }],
      }),
    },
    '/api/accounts/{address}/usage.csv': {
      get: admin('Every generation in the range as CSV', { '200': { description: 'CSV', content: { 'text/csv': { schema: STRING } } } }, { parameters: [ADDRESS, ...RANGE] }),
    },
  }
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
      ...errors(400, 401, 402, 403, 404, 429, 502, 503, 504),
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
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key, `sk-agora-…`' },
        admin: { type: 'http', scheme: 'bearer', description: 'The admin token (`ROUTER_ADMIN_TOKEN`)' },
      },
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
        ModelEndpoints: json(ModelEndpoints),
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
      '/v1/models/{author}/{slug}/endpoints': {
        get: {
          summary: "The providers of a model: price, context, quantization, cooldown status, and the router's measurements (latency, throughput, ping, uptime over the last hour)",
          security: [{ bearer: [] }],
          parameters: [
            { name: 'author', in: 'path', required: true, schema: { type: 'string' }, description: 'First part of the model id, e.g. `meta-llama`' },
            { name: 'slug', in: 'path', required: true, schema: { type: 'string' }, description: 'The rest, e.g. `llama-3.1-8b-instruct`' },
          ],
          responses: { '200': { description: 'The endpoints', content: { 'application/json': { schema: { $ref: '#/components/schemas/ModelEndpoints' } } } }, ...errors(401, 404) },
        },
      },
      '/v1/generation': {
        get: {
          summary: 'Stats of one generation of the calling account: tokens, cost, provider, latency, timings',
          security: [{ bearer: [] }],
          parameters: [{ name: 'id', in: 'query', required: true, schema: { type: 'string' }, description: 'The `x-generation-id` of a response' }],
          responses: { '200': jsonResponse('The generation', { type: 'object', properties: { data: GENERATION } }), ...errors(400, 401, 404) },
        },
      },
      '/v1/key': {
        get: {
          summary: 'The calling key: label, spend limit and what is left of it, usage today, this week and this month, rate limits',
          security: [{ bearer: [] }],
          responses: { '200': jsonResponse('The key', { type: 'object', properties: { data: KEY_INFO } }), ...errors(401) },
        },
      },
      '/v1/credits': {
        get: {
          summary: "The calling account's credits in USD: total granted and deposited, total used, balance, held by running requests",
          security: [{ bearer: [] }],
          responses: {
            '200': jsonResponse('Credits', {
              type: 'object',
              properties: { data: { type: 'object', properties: { total_credits: NUMBER, total_usage: NUMBER, balance: NUMBER, held: NUMBER }, required: ['total_credits', 'total_usage', 'balance'] } },
            }),
            ...errors(401),
          },
        },
      },
      ...managementPaths(),
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
