import { z } from 'zod'

/** Token usage as OpenAI reports it; vendors add fields (e.g. `cost`), which pass through. */
export const Usage = z.looseObject({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
})
export type Usage = z.infer<typeof Usage>

/** `stream_options` of streaming endpoints. */
export const StreamOptions = z.looseObject({ include_usage: z.boolean().optional() })

const positiveInt = z.number().int().positive()

/** Fields shared by the generation endpoints (chat and legacy completions). */
export const samplingFields = {
  stream: z.boolean().optional(),
  stream_options: StreamOptions.nullish(),
  max_tokens: positiveInt.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.literal(1, { message: 'Only n=1 is supported' }).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  seed: z.number().int().nullish(),
  user: z.string().optional(),
}

export const ModelId = z.string().min(1, 'model is required')
