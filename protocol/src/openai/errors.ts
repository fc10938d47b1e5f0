import { z } from 'zod'

/** OpenAI's error envelope, the only shape an error reaches a client in. */
export const ErrorEnvelope = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
})
