import { z } from 'zod'

/** One entry of `GET /v1/models`: OpenAI's fields plus the marketplace's catalog fields. */
export const CatalogModel = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  context_length: z.number().int(),
  pricing: z.object({
    prompt: z.string().describe('USD per input token, exact decimal'),
    completion: z.string().describe('USD per output token, exact decimal'),
  }),
  price_range: z
    .object({
      prompt: z.object({ min: z.string(), max: z.string() }),
      completion: z.object({ min: z.string(), max: z.string() }),
    })
    .describe('USD per token across live providers'),
  providers: z.number().int().describe('live providers serving the model'),
  quantizations: z.array(z.string()).describe('quantizations live providers offer'),
})
export type CatalogModel = z.infer<typeof CatalogModel>

export const ModelList = z.object({ object: z.literal('list'), data: z.array(CatalogModel) })
export type ModelList = z.infer<typeof ModelList>

/** One provider of a model, as `GET /v1/models/{model}/endpoints` lists it: its price and what the router measured. */
export const ModelEndpoint = z.object({
  provider: z.string().describe("the provider's name in its offer"),
  peer_id: z.string(),
  context_length: z.number().int(),
  quantization: z.string().nullable(),
  pricing: z.object({ prompt: z.string(), completion: z.string() }),
  max_concurrency: z.number().int(),
  status: z.enum(['available', 'cooling_down', 'probing']),
  latency_ms: z.number().nullable().describe('measured time to first token of streams (decaying average)'),
  throughput_tps: z.number().nullable().describe('measured output tokens per second'),
  rtt_ms: z.number().nullable().describe('libp2p ping round trip'),
  uptime_last_hour: z.number().nullable().describe('share of successful requests over the last hour'),
  in_flight: z.number().int().describe("the router's requests in flight to it"),
})
export type ModelEndpoint = z.infer<typeof ModelEndpoint>

export const ModelEndpoints = z.object({ data: z.object({ id: z.string(), endpoints: z.array(ModelEndpoint) }) })
export type ModelEndpoints = z.infer<typeof ModelEndpoints>
