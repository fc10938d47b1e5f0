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
  providers: z.number().int().describe('live providers serving the model'),
})
export type CatalogModel = z.infer<typeof CatalogModel>

export const ModelList = z.object({ object: z.literal('list'), data: z.array(CatalogModel) })
export type ModelList = z.infer<typeof ModelList>
