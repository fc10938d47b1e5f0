import { Buffer } from 'node:buffer'
import { z } from 'zod'
import { InvalidRequestError } from '@agora/protocol'

/** How `provider.sort` (or a `:floor` / `:nitro` suffix) orders providers, best first. */
export const ProviderSort = z.enum(['price', 'throughput', 'latency'])
export type ProviderSort = z.infer<typeof ProviderSort>

/** Fallback models a request may list in `models`. */
export const MAX_FALLBACK_MODELS = 8

/** Model id suffixes that stand for a sort, as on OpenRouter. */
const SORT_SUFFIXES: Record<string, ProviderSort> = { ':floor': 'price', ':nitro': 'throughput' }

/**
 * Request parameters a provider can declare support for (OpenRouter's `supported_parameters`
 * names), checked by `provider.require_parameters`.
 */
const ROUTED_PARAMETERS = [
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'max_tokens',
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'top_a',
  'stop',
  'frequency_penalty',
  'presence_penalty',
  'repetition_penalty',
  'seed',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'response_format',
  'reasoning',
  'include_reasoning',
] as const

/** A decimal USD amount per million tokens (number or string), as micro-USD per million tokens. */
export const UsdPerMTok = z
  .union([z.number(), z.string()])
  .refine((value) => parseUsdPerMTok(value) !== undefined, 'must be a non-negative decimal amount of USD per million tokens')
  .transform((value) => parseUsdPerMTok(value)!)

const ProviderList = z.array(z.string().min(1).max(128)).max(64).nullish()

/**
 * The `provider` object of a request, OpenRouter's shape. Fields routing does not act on
 * (`data_collection`, `zdr`, `max_price.request`, …) are neither checked nor kept.
 */
const ProviderPreferencesBody = z.looseObject({
  order: ProviderList,
  only: ProviderList,
  ignore: ProviderList,
  sort: z.union([ProviderSort, z.looseObject({ by: ProviderSort })], { error: "must be 'price', 'throughput' or 'latency'" }).nullish(),
  max_price: z.looseObject({ prompt: UsdPerMTok.nullish(), completion: UsdPerMTok.nullish() }).nullish(),
  allow_fallbacks: z.boolean().nullish(),
  require_parameters: z.boolean().nullish(),
  quantizations: z.array(z.string().min(1).max(32)).max(32).nullish(),
})

/** The parts of a request body routing reads; the endpoint's own schema checks the rest. */
const RoutingBody = z.looseObject({
  model: z.string().min(1).max(256).optional(),
  models: z.array(z.string().min(1).max(256)).max(MAX_FALLBACK_MODELS).nullish(),
  provider: ProviderPreferencesBody.nullish(),
  session_id: z.string().max(256).nullish(),
})

/** What a client asked of routing, in the router's units. */
export interface RoutingPreferences {
  /** Providers (peer ids or offer names) to try first, in this order. */
  order: string[]
  /** When set, only these providers may serve. */
  only: string[] | undefined
  /** Providers that must not serve. */
  ignore: string[]
  /** A strict order by one metric instead of the weighted pick. */
  sort: ProviderSort | undefined
  /** Highest acceptable prices, micro-USD per million tokens. */
  maxPrice: { prompt: bigint | undefined; completion: bigint | undefined }
  /** false: only the providers in `order` (or, without `order`, only the first choice) are tried. */
  allowFallbacks: boolean
  /** Only providers that declare support for every parameter the request uses. */
  requireParameters: boolean
  /** When set, only offers with one of these quantizations (lower case; `unknown` for none declared). */
  quantizations: string[] | undefined
}

/**
 * An account's defaults (its saved settings) for the preferences a request leaves unset. A
 * request that sets a field, even to an empty list, overrides the default of that field.
 */
export interface RoutingDefaults {
  sort?: ProviderSort | undefined
  maxPrice?: { prompt?: bigint | undefined; completion?: bigint | undefined }
  ignore?: string[]
  quantizations?: string[] | undefined
  allowFallbacks?: boolean
}

/** Everything routing needs to know about one request. */
export interface RoutingRequest {
  /** The model to serve first, then the fallbacks, suffixes stripped, without repeats. */
  models: string[]
  preferences: RoutingPreferences
  /** Session to keep on one provider, from `session_id` or the `x-session-id` header. */
  sessionId?: string
  /** Routed parameters the request sets (see `require_parameters`). */
  parameters: string[]
  /** A rough count of prompt tokens, to check context lengths and weigh prices. */
  promptTokensEstimate: number
  /** `max_completion_tokens` or `max_tokens`, if the request sets one. */
  maxTokens?: number
}

export type RequestHeaders = Headers | Record<string, string | string[] | undefined>

/**
 * Reads the routing controls of a request body: `model` and `models`, the `provider`
 * preferences, the session id (body `session_id`, else header `x-session-id`), the routed
 * parameters it sets and the size of its prompt. Fields it does not know are ignored; a
 * control of the wrong type is a 400 naming it. `defaults` (the account's settings) fill in
 * the `provider` fields the request does not set.
 * @throws {InvalidRequestError} e.g. `Invalid value for 'provider.sort': …` with `param: 'provider.sort'`
 * @example
 * const request = parseRoutingRequest({ model: 'llama-3-8b:nitro', models: ['qwen-7b'], messages }, c.req.raw.headers)
 * // request.models: ['llama-3-8b', 'qwen-7b'], request.preferences.sort: 'throughput'
 */
export function parseRoutingRequest(body: Record<string, unknown>, headers: RequestHeaders = {}, defaults: RoutingDefaults = {}): RoutingRequest {
  const parsed = RoutingBody.safeParse(body)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const param = formatPath(issue.path)
    throw new InvalidRequestError(param ? `Invalid value for '${param}': ${issue.message}` : issue.message, {
      param: param || null,
      code: 'invalid_value',
    })
  }
  const { model, models: fallbacks, provider, session_id: bodySession } = parsed.data

  const requested = [...(model ? [model] : []), ...(fallbacks ?? [])]
  if (!requested.length) throw new InvalidRequestError('model is required', { param: 'model', code: 'invalid_value' })
  const models: string[] = []
  let suffixSort: ProviderSort | undefined
  for (const id of requested) {
    const { base, sort } = stripSortSuffix(id)
    suffixSort ??= sort
    if (!models.includes(base)) models.push(base)
  }

  const headerSession = header(headers, 'x-session-id')
  if (headerSession && headerSession.length > 256) {
    throw new InvalidRequestError("Invalid value for 'x-session-id': must be at most 256 characters", { param: 'x-session-id', code: 'invalid_value' })
  }
  const sessionId = bodySession || headerSession || undefined
  const tokens = maxTokens(body)
  return {
    models,
    preferences: {
      order: provider?.order ?? [],
      only: provider?.only?.length ? provider.only : undefined,
      ignore: provider?.ignore ?? defaults.ignore ?? [],
      sort: (typeof provider?.sort === 'object' ? provider.sort?.by : provider?.sort) ?? suffixSort ?? defaults.sort,
      maxPrice: { prompt: provider?.max_price?.prompt ?? defaults.maxPrice?.prompt, completion: provider?.max_price?.completion ?? defaults.maxPrice?.completion },
      allowFallbacks: provider?.allow_fallbacks ?? defaults.allowFallbacks ?? true,
      requireParameters: provider?.require_parameters ?? false,
      quantizations: provider?.quantizations ? (provider.quantizations.length ? provider.quantizations.map((q) => q.toLowerCase()) : undefined) : defaults.quantizations,
    },
    ...(sessionId ? { sessionId } : {}),
    parameters: requestedParameters(body),
    promptTokensEstimate: estimatePromptTokens(body),
    ...(tokens !== undefined ? { maxTokens: tokens } : {}),
  }
}

/**
 * A USD amount per million tokens as micro-USD per million tokens, exactly: the decimal is
 * read digit by digit, never through a float, and rounded down (a provider price, a whole
 * number of micro-USD, is within a maximum exactly when it is within its floor).
 * Undefined for anything that is not a non-negative decimal.
 * @example
 * parseUsdPerMTok('0.15') // 150000n
 * parseUsdPerMTok(1e-7) // 0n
 */
export function parseUsdPerMTok(value: number | string): bigint | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim()
  const match = /^\+?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/.exec(text)
  if (!match || text.length > 64) return undefined
  const [, whole = '', fraction = '', exponent = '0'] = match
  if (!whole && !fraction) return undefined
  // value = digits × 10^(exponent − fraction.length) USD; micro-USD adds 6 to the exponent.
  const digits = BigInt(`${whole}${fraction}` || '0')
  const scale = Number(exponent) - fraction.length + 6
  if (scale > 40) return undefined
  return scale >= 0 ? digits * 10n ** BigInt(scale) : digits / 10n ** BigInt(-scale)
}

function stripSortSuffix(id: string): { base: string; sort: ProviderSort | undefined } {
  for (const [suffix, sort] of Object.entries(SORT_SUFFIXES)) {
    if (id.endsWith(suffix) && id.length > suffix.length) return { base: id.slice(0, -suffix.length), sort }
  }
  return { base: id, sort: undefined }
}

/** The routed parameters a body sets (not null); `max_completion_tokens` counts as `max_tokens`. */
function requestedParameters(body: Record<string, unknown>): string[] {
  const set = (key: string) => body[key] !== undefined && body[key] !== null
  return ROUTED_PARAMETERS.filter((name) => set(name) || (name === 'max_tokens' && set('max_completion_tokens')))
}

function maxTokens(body: Record<string, unknown>): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined
}

/**
 * Prompt tokens, roughly: a token per four UTF-8 bytes of text, plus a few per chat
 * message. It errs low for code and non-Latin scripts, so the context-length filter
 * rejects a provider only when the prompt surely does not fit.
 */
function estimatePromptTokens(body: Record<string, unknown>): number {
  let bytes = 0
  let tokens = 0
  const text = (value: unknown): void => {
    if (typeof value === 'string') bytes += Buffer.byteLength(value, 'utf8')
    else if (typeof value === 'number') tokens += 1
    else if (Array.isArray(value)) for (const item of value) text(item)
    else if (value && typeof value === 'object' && 'text' in value) text(value.text)
  }
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) {
      tokens += 4
      if (!message || typeof message !== 'object') continue
      text((message as Record<string, unknown>).content)
      const calls = (message as Record<string, unknown>).tool_calls
      if (calls !== undefined) text(JSON.stringify(calls))
    }
  }
  text(body.prompt)
  text(body.input)
  if (body.tools !== undefined) text(JSON.stringify(body.tools))
  return tokens + Math.ceil(bytes / 4)
}

function header(headers: RequestHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name)
  const value = key === undefined ? undefined : headers[key]
  return Array.isArray(value) ? value[0] : value
}

function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '')
}
