import { Hono } from 'hono'
import { ChatCompletionRequest, CompletionRequest, EmbeddingRequest } from '@agora/protocol'
import { readJsonBody } from '../../body.ts'
import { relay, type RelayContext } from '../../relay.ts'

/** `POST /v1/chat/completions`, `/v1/completions`, `/v1/embeddings`: validated, then relayed to a provider. */
export function inferenceRoutes(ctx: RelayContext): Hono {
  return new Hono()
    .post('/chat/completions', async (c) =>
      relay(ctx, { kind: 'chat.completions', body: await readJsonBody(c, ChatCompletionRequest), clientSignal: c.req.raw.signal }),
    )
    .post('/completions', async (c) =>
      relay(ctx, { kind: 'completions', body: await readJsonBody(c, CompletionRequest), clientSignal: c.req.raw.signal }),
    )
    .post('/embeddings', async (c) =>
      relay(ctx, { kind: 'embeddings', body: await readJsonBody(c, EmbeddingRequest), clientSignal: c.req.raw.signal }),
    )
}
