import { Hono } from 'hono'
import { ChatCompletionRequest, CompletionRequest, EmbeddingRequest, type InferKind } from '@agora/protocol'
import type { z } from 'zod'
import { readJsonBody } from '../../body.ts'
import { relay, type RelayContext } from '../../relay.ts'

const ENDPOINTS: Array<[path: string, kind: InferKind, schema: z.ZodType<Record<string, unknown>>]> = [
  ['/chat/completions', 'chat.completions', ChatCompletionRequest],
  ['/completions', 'completions', CompletionRequest],
  ['/embeddings', 'embeddings', EmbeddingRequest],
]

/** `POST /v1/chat/completions`, `/v1/completions`, `/v1/embeddings`: validated, then relayed to a provider. */
export function inferenceRoutes(ctx: RelayContext): Hono {
  const app = new Hono()
  for (const [path, kind, schema] of ENDPOINTS) {
    app.post(path, async (c) =>
      relay(ctx, { kind, body: await readJsonBody(c, schema), headers: c.req.raw.headers, key: c.var.apiKey, clientSignal: c.req.raw.signal }),
    )
  }
  return app
}
