import { z } from 'zod'
import { ModelId } from './common.ts'

/** `POST /v1/embeddings` body. */
export const EmbeddingRequest = z.looseObject({
  model: ModelId,
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int()).min(1)).min(1),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().max(8192).optional(),
  user: z.string().optional(),
})
export type EmbeddingRequest = z.infer<typeof EmbeddingRequest>

export const EmbeddingResponse = z.looseObject({
  object: z.literal('list'),
  model: z.string(),
  data: z.array(
    z.looseObject({
      object: z.literal('embedding'),
      index: z.number().int(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  usage: z.looseObject({ prompt_tokens: z.number().int().nonnegative(), total_tokens: z.number().int().nonnegative() }),
})
export type EmbeddingResponse = z.infer<typeof EmbeddingResponse>
