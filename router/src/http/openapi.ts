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
  403: 'The key or the account may not use this model; a session asked for another account or an operator-only operation; or admin access is disabled',
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
    settlement_batch_id: NULLABLE({ type: 'string', description: 'The on-chain settlement batch that debited it: `GET /v1/settlements/{batchId}`' }),
  },
}

const HEX32 = { type: 'string', pattern: '^0x[0-9a-f]{64}$' } as const
const EVM_ADDRESS = { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' } as const
const BATCH_ID = { name: 'batchId', in: 'path', required: true, schema: { type: 'string', pattern: '^[1-9][0-9]*$' }, description: "The escrow's batch id" }

const SETTLEMENT: Schema = {
  type: 'object',
  properties: {
    id: STRING,
    status: { enum: ['pending', 'submitted', 'confirmed'], description: '`confirmed` once its transaction has the configured confirmations' },
    chain_id: { type: 'integer' },
    escrow: EVM_ADDRESS,
    receipts_root: { ...HEX32, description: "Merkle root over the batch's generations, as `receiptsRootOf(batchId)` holds it on chain" },
    debited_micro_usd: MICRO_USD,
    credited_micro_usd: MICRO_USD,
    fee_micro_usd: MICRO_USD,
    fee_bps: { type: 'integer' },
    treasury: EVM_ADDRESS,
    generations: { type: 'integer' },
    debits: { type: 'array', items: { type: 'object', properties: { account: EVM_ADDRESS, amount_micro_usd: MICRO_USD } } },
    credits: { type: 'array', items: { type: 'object', properties: { payout: EVM_ADDRESS, amount_micro_usd: MICRO_USD } } },
    tx_hash: NULLABLE(HEX32),
    block_number: NULLABLE(STRING),
    created_at: STRING,
    submitted_at: NULLABLE(STRING),
    confirmed_at: NULLABLE(STRING),
  },
}

const SETTLEMENT_PROOF: Schema = {
  type: 'object',
  properties: {
    batch_id: STRING,
    status: { enum: ['pending', 'submitted', 'confirmed'] },
    chain_id: { type: 'integer' },
    escrow: EVM_ADDRESS,
    receipts_root: HEX32,
    tx_hash: NULLABLE(HEX32),
    leaf_encoding: { type: 'array', items: STRING, description: 'ABI types of the leaf, OpenZeppelin standard leaf: `keccak256(keccak256(abi.encode(...)))`' },
    leaf: {
      type: 'object',
      properties: {
        generation_id: STRING,
        account: EVM_ADDRESS,
        payout: { ...EVM_ADDRESS, description: "The provider's payout address (the treasury when none was known)" },
        cost_micro_usd: MICRO_USD,
        receipt_hash: { ...HEX32, description: "EIP-712 digest of the provider's signed receipt; zero when it signed none" },
      },
    },
    leaf_hash: HEX32,
    proof: { type: 'array', items: HEX32, description: 'Sibling hashes from the leaf to the root; each step hashes the sorted pair' },
    receipt: NULLABLE({ type: 'object', description: "The provider's signed receipt (EIP-712 'Agora Usage Receipt' v1), amounts as decimal strings" }),
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
const USAGE_FILTERS = [
  ...RANGE,
  { name: 'key_id', in: 'query', schema: { type: 'string', format: 'uuid' }, description: "Only this key's generations" },
  { name: 'model', in: 'query', schema: { type: 'string' }, description: "Only this model's generations" },
]

/** An operation of the management API: the operator's admin token, or a wallet session for its own account. */
const managed = (summary: string, responses: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  summary,
  tags: ['management'],
  security: [{ admin: [] }, { session: [] }],
  ...extra,
  responses: { ...responses, ...errors(401, 403, 404) },
})

/** An operation only the operator may call (a session gets a 403). */
const admin = (summary: string, responses: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ ...managed(summary, responses, extra), security: [{ admin: [] }] })

const SESSION: Schema = {
  type: 'object',
  properties: { address: { type: 'string', description: 'Lower-case wallet address' }, account_id: STRING, expires_at: STRING },
  required: ['address', 'account_id', 'expires_at'],
}

const USD_PER_MTOK = NULLABLE({ type: 'string', description: 'USD per million tokens, a decimal' })

const SETTINGS: Schema = {
  type: 'object',
  properties: {
    provider: {
      type: 'object',
      description: "Defaults for the `provider` object of every request; a request's own field overrides the default of that field",
      properties: {
        sort: NULLABLE({ enum: ['price', 'throughput', 'latency'] }),
        max_price: { type: 'object', properties: { prompt: USD_PER_MTOK, completion: USD_PER_MTOK } },
        ignore: { type: 'array', items: STRING, description: 'Provider names or peer ids' },
        quantizations: NULLABLE({ type: 'array', items: STRING }),
        allow_fallbacks: { type: 'boolean' },
      },
    },
    allowed_models: NULLABLE({ type: 'array', items: STRING, description: 'Models any key of the account may call; null for all' }),
    low_balance_threshold_micro_usd: NULLABLE(MICRO_USD),
    updated_at: NULLABLE(STRING),
  },
}

const SETTINGS_BODY: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    provider: NULLABLE({
      type: 'object',
      additionalProperties: false,
      properties: {
        sort: NULLABLE({ enum: ['price', 'throughput', 'latency'] }),
        max_price: NULLABLE({ type: 'object', properties: { prompt: NULLABLE({ type: ['number', 'string'] }), completion: NULLABLE({ type: ['number', 'string'] }) } }),
        ignore: NULLABLE({ type: 'array', items: STRING, maxItems: 64 }),
        quantizations: NULLABLE({ type: 'array', items: STRING, maxItems: 32 }),
        allow_fallbacks: NULLABLE({ type: 'boolean' }),
      },
    }),
    allowed_models: NULLABLE({ type: 'array', items: STRING, minItems: 1 }),
    low_balance_threshold_micro_usd: NULLABLE({ anyOf: [{ type: 'integer', minimum: 0 }, MICRO_USD] }),
  },
}

const PRICE_PER_TOKEN = { type: 'object', properties: { prompt: STRING, completion: STRING }, description: 'USD per token, exact decimals' }

const NODE: Schema = {
  type: 'object',
  properties: {
    peer_id: STRING,
    name: STRING,
    online: { type: 'boolean', description: 'The router has a connection to it' },
    offer_expires_at: STRING,
    models: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: STRING,
          context_length: { type: 'integer' },
          quantization: NULLABLE(STRING),
          pricing: PRICE_PER_TOKEN,
          max_concurrency: { type: 'integer' },
          status: { enum: ['available', 'cooling_down', 'probing'] },
          latency_ms: NULLABLE(NUMBER),
          throughput_tps: NULLABLE(NUMBER),
        },
      },
    },
    served: {
      type: 'object',
      description: 'What it answered, all time, over every account',
      properties: { requests: { type: 'integer' }, prompt_tokens: { type: 'integer' }, completion_tokens: { type: 'integer' }, charged_micro_usd: MICRO_USD },
    },
  },
}

/** Sign-In with Ethereum for the console, under `/api/auth`. */
function signInPaths(): Record<string, Schema> {
  const tags = ['sign-in']
  return {
    '/api/auth/nonce': {
      post: {
        summary: 'A single-use nonce for a Sign-In with Ethereum (EIP-4361) message, valid for 10 minutes, with the chain id and statement the message must carry',
        tags,
        responses: {
          '201': jsonResponse('The nonce', {
            type: 'object',
            properties: { nonce: STRING, expires_at: STRING, chain_id: { type: 'integer' }, statement: STRING },
            required: ['nonce', 'expires_at', 'chain_id', 'statement'],
          }),
        },
      },
    },
    '/api/auth/verify': {
      post: {
        summary:
          "Verify a signed Sign-In with Ethereum message (domain and URI of the console's origin, this router's chain id, an unused nonce) and open a session: an httpOnly, SameSite=Strict `agora_session` cookie. A wallet's first sign-in creates its account.",
        tags,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', properties: { message: STRING, signature: { type: 'string', pattern: '^0x[0-9a-fA-F]+$' } }, required: ['message', 'signature'] } } },
        },
        responses: { '200': { ...jsonResponse('Signed in; the response sets the session cookie', SESSION), headers: { 'Set-Cookie': { schema: STRING } } }, ...errors(400, 401) },
      },
    },
    '/api/auth/session': {
      get: { summary: 'The current session: wallet address, account and expiry', tags, security: [{ session: [] }], responses: { '200': jsonResponse('The session', SESSION), ...errors(401) } },
    },
    '/api/auth/logout': {
      post: { summary: 'End the session and clear its cookie', tags, security: [{ session: [] }], responses: { '204': { description: 'Signed out' } } },
    },
  }
}

/** The management API under `/api`, authenticated with the admin token or a console session. */
function managementPaths(): Record<string, Schema> {
  const body = (schema: Schema) => ({ requestBody: { required: true, content: { 'application/json': { schema } } } })
  return {
    '/api/accounts': {
      post: admin('Create (or find) the account of a wallet address', { '201': jsonResponse('The account', { type: 'object' }) }, body({ type: 'object', properties: { address: STRING }, required: ['address'] })),
    },
    '/api/accounts/{address}': {
      get: managed('An account with its credits: deposited, used, adjusted, held, balance (micro-USD)', { '200': jsonResponse('The account', { type: 'object' }) }, { parameters: [ADDRESS] }),
    },
    '/api/accounts/{address}/credits': {
      post: admin(
        'Adjust a balance (an operator grant or correction), idempotent by `ref`',
        { '200': jsonResponse('The new balance', { type: 'object', properties: { balance_micro_usd: MICRO_USD } }), ...errors(400) },
        { parameters: [ADDRESS], ...body({ type: 'object', properties: { amount_micro_usd: { anyOf: [{ type: 'integer' }, MICRO_USD] }, note: STRING, ref: STRING }, required: ['amount_micro_usd', 'note'] }) },
      ),
    },
    '/api/accounts/{address}/journal': {
      get: managed('Every change of the balance, newest first', { '200': jsonResponse('Journal entries', { type: 'object' }) }, {
        parameters: [ADDRESS, { name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'before', in: 'query', schema: { type: 'integer' }, description: 'Entries with a smaller id' }],
      }),
    },
    '/api/accounts/{address}/keys': {
      get: managed('The account\'s API keys, revoked ones included', { '200': jsonResponse('Keys', { type: 'object', properties: { data: { type: 'array', items: API_KEY } } }) }, { parameters: [ADDRESS] }),
      post: managed(
        'Create an API key; its `secret` is in this response only',
        { '201': jsonResponse('The key and its secret', { allOf: [API_KEY, { type: 'object', properties: { secret: STRING }, required: ['secret'] }] }), ...errors(400) },
        { parameters: [ADDRESS], ...body({ ...KEY_LIMITS_BODY, required: ['name'] }) },
      ),
    },
    '/api/accounts/{address}/keys/{id}': {
      patch: managed('Change a key\'s name or limits (null removes a limit)', { '200': jsonResponse('The key', API_KEY), ...errors(400) }, { parameters: [ADDRESS, KEY_ID], ...body(KEY_LIMITS_BODY) }),
      delete: managed('Revoke a key; it stops working within seconds', { '200': jsonResponse('The revoked key', API_KEY) }, { parameters: [ADDRESS, KEY_ID] }),
    },
    '/api/accounts/{address}/usage': {
      get: managed('Usage aggregated by UTC day, model or key', { '200': jsonResponse('Usage rows', { type: 'object' }), ...errors(400) }, {
        parameters: [ADDRESS, { name: 'group', in: 'query', schema: { enum: ['day', 'model', 'key'] } }, ...USAGE_FILTERS],
      }),
    },
    '/api/accounts/{address}/generations': {
      get: managed('Generations, newest first, a page at a time', { '200': jsonResponse('Generations', { type: 'object' }) }, {
        parameters: [ADDRESS, ...USAGE_FILTERS, { name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'offset', in: 'query', schema: { type: 'integer' } }],
      }),
    },
    '/api/accounts/{address}/usage.csv': {
      get: managed('Every generation matching the filters as CSV', { '200': { description: 'CSV', content: { 'text/csv': { schema: STRING } } } }, { parameters: [ADDRESS, ...USAGE_FILTERS] }),
    },
    '/api/accounts/{address}/settings': {
      get: managed('The account-wide defaults applied to every request that does not set them', { '200': jsonResponse('The settings', SETTINGS) }, { parameters: [ADDRESS] }),
      put: managed(
        'Replace the account-wide defaults; a field left out or null takes its default (no restriction)',
        { '200': jsonResponse('The saved settings', SETTINGS), ...errors(400) },
        { parameters: [ADDRESS], ...body(SETTINGS_BODY) },
      ),
    },
    '/api/accounts/{address}/nodes': {
      get: managed(
        "The live provider nodes whose signed offers name this address as payout: models, prices, the router's measurements and what each served",
        { '200': jsonResponse('Nodes', { type: 'object', properties: { data: { type: 'array', items: NODE } } }) },
        { parameters: [ADDRESS] },
      ),
    },
    '/api/accounts/{address}/settlements/{batchId}': {
      get: managed('A settlement batch, as `GET /v1/settlements/{batchId}`, for the console', { '200': jsonResponse('The batch', { type: 'object', properties: { data: SETTLEMENT } }), ...errors(400) }, {
        parameters: [ADDRESS, BATCH_ID],
      }),
    },
    '/api/accounts/{address}/settlements/{batchId}/proof': {
      get: managed(
        "The Merkle proof of one of the account's generations in a batch, as `GET /v1/settlements/{batchId}/proof`, for the console",
        { '200': jsonResponse('The proof', { type: 'object', properties: { data: SETTLEMENT_PROOF } }), ...errors(400) },
        { parameters: [ADDRESS, BATCH_ID, { name: 'generation', in: 'query', required: true, schema: { type: 'string' }, description: 'A generation id' }] },
      ),
    },
    '/api/chain': {
      get: managed(
        "Where the escrow is, for the console's wallet: chain id, escrow and stablecoin addresses, confirmations before a deposit is credited (404 `chain_not_configured` off chain)",
        {
          '200': jsonResponse('The escrow', {
            type: 'object',
            properties: { chain_id: { type: 'integer' }, escrow: STRING, token: STRING, confirmations: { type: 'integer' } },
            required: ['chain_id', 'escrow', 'token', 'confirmations'],
          }),
        },
      ),
    },
    '/api/models': {
      get: managed('The catalog of `GET /v1/models`, for the console', { '200': jsonResponse('The catalog', { $ref: '#/components/schemas/ModelList' }) }),
    },
    '/api/models/{model}': {
      get: managed('One model of the catalog', { '200': jsonResponse('The model', { $ref: '#/components/schemas/Model' }) }, {
        parameters: [{ name: 'model', in: 'path', required: true, schema: { type: 'string' }, description: 'Model id; may contain `/`' }],
      }),
    },
    '/api/models/{author}/{slug}/endpoints': {
      get: managed('The providers of a model, as `GET /v1/models/{author}/{slug}/endpoints`', { '200': jsonResponse('The endpoints', { $ref: '#/components/schemas/ModelEndpoints' }) }, {
        parameters: [
          { name: 'author', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'slug', in: 'path', required: true, schema: { type: 'string' } },
        ],
      }),
    },
  }
}

/** The web console's pages and files. */
function consolePaths(): Record<string, Schema> {
  const page = (summary: string) => ({
    get: {
      summary,
      tags: ['console'],
      responses: { '200': { description: 'HTML or a file of the build', content: { 'text/html': {} } }, '503': { description: 'The console is not built: a page saying how to build it', content: { 'text/html': {} } } },
    },
  })
  const redirect = (summary: string) => ({ get: { summary, tags: ['console'], responses: { '302': { description: 'To `/console/`' } } } })
  return {
    '/': redirect('Leads to the console'),
    '/console': redirect('Leads to `/console/`'),
    '/console/': page('The web console'),
    '/console/{path}': {
      get: {
        ...page('A file of the console build, or (for any path without an extension) the console itself').get,
        parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' } }],
      },
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
        session: { type: 'apiKey', in: 'cookie', name: 'agora_session', description: 'A console session, opened by `POST /api/auth/verify`' },
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
      '/v1/settlements/{batchId}': {
        get: {
          summary: 'An on-chain settlement batch: its Merkle root, totals, debits and credits, transaction and status',
          security: [{ bearer: [] }],
          parameters: [BATCH_ID],
          responses: { '200': jsonResponse('The batch', { type: 'object', properties: { data: SETTLEMENT } }), ...errors(400, 401, 404) },
        },
      },
      '/v1/settlements/{batchId}/proof': {
        get: {
          summary: "The Merkle proof of one of the calling account's generations in a batch, with its leaf and signed receipt, to check against `receiptsRootOf(batchId)` on chain",
          security: [{ bearer: [] }],
          parameters: [BATCH_ID, { name: 'generation', in: 'query', required: true, schema: { type: 'string' }, description: 'A generation id (`x-generation-id`)' }],
          responses: { '200': jsonResponse('The proof', { type: 'object', properties: { data: SETTLEMENT_PROOF } }), ...errors(400, 401, 404) },
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
      ...signInPaths(),
      ...managementPaths(),
      ...consolePaths(),
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
