import { z } from 'zod'
import { ModelId, samplingFields, Usage } from './common.ts'

/** `POST /v1/completions` (legacy text completions) body. */
export const CompletionRequest = z.looseObject({
  model: ModelId,
  prompt: z.union([z.string(), z.array(z.string()).min(1)]),
  ...samplingFields,
  echo: z.boolean().nullish(),
  suffix: z.string().nullish(),
})
export type CompletionRequest = z.infer<typeof CompletionRequest>

const Choice = z.looseObject({
  index: z.number().int(),
  text: z.string(),
  finish_reason: z.enum(['stop', 'length', 'content_filter']).nullable(),
})

/** A `text_completion`, streamed or not (a stream sends several with partial text). */
export const Completion = z.looseObject({
  id: z.string(),
  object: z.literal('text_completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(Choice),
  usage: Usage.nullish(),
})
export type Completion = z.infer<typeof Completion>
