import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger } from 'pino'
import {
  DeadlineError,
  FrameError,
  MarketError,
  ModelNotFoundError,
  NoProviderError,
  ProviderError,
  ClientClosedError,
  type InferKind,
  type MarketPeer,
  type ResponseFrame,
  type Usage,
} from '@agora/protocol'
import type { OfferRegistry } from '../routing/registry.ts'
import { selectCandidate } from '../routing/select.ts'
import { openInference, type InferenceSession } from '../p2p/infer.ts'

/** What relaying a request needs from the running router. */
export interface RelayContext {
  peer: MarketPeer
  registry: OfferRegistry
  requestTimeoutMs: number
  log: Logger
}

export interface RelayRequest {
  kind: InferKind
  /** The client's body, validated; unknown fields included. */
  body: Record<string, unknown>
  /** Aborts when the HTTP client goes away. */
  clientSignal: AbortSignal
}

const encoder = new TextEncoder()
const DONE = encoder.encode('data: [DONE]\n\n')

/**
 * Relays one OpenAI request to a provider over libp2p and turns its frames back into an
 * HTTP response: JSON for a plain request, SSE for a stream. Everything up to the first
 * frame can still become a proper HTTP error; after the first byte of a stream an error
 * is sent as a final SSE `error` event.
 */
export async function relay(ctx: RelayContext, { kind, body, clientSignal }: RelayRequest): Promise<Response> {
  const model = String(body.model)
  const streaming = kind !== 'embeddings' && body.stream === true
  const reachable = (peerId: string) => ctx.peer.getConnections(peerIdFromString(peerId)).length > 0
  const candidates = ctx.registry.candidates(model, Date.now(), reachable)
  if (!candidates.length) throw ctx.registry.knowsModel(model) ? new NoProviderError(model) : new ModelNotFoundError(model)
  const chosen = selectCandidate(candidates, (peerId) => ctx.registry.inFlight(peerId))!
  const { peerId, name: providerName } = chosen.offer
  const generationId = `gen-${Date.now().toString(36)}-${randomBytes(9).toString('base64url')}`

  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new DeadlineError()), ctx.requestTimeoutMs)
  const onClientGone = () => controller.abort(new ClientClosedError('the client closed the connection'))
  clientSignal.addEventListener('abort', onClientGone, { once: true })
  ctx.registry.begin(peerId)
  const finish = () => {
    clearTimeout(timer)
    clientSignal.removeEventListener('abort', onClientGone)
    ctx.registry.end(peerId)
  }

  let session: InferenceSession
  let first: ResponseFrame
  try {
    session = await openInference(ctx.peer, peerId, { id: generationId, kind, body, deadline: Date.now() + ctx.requestTimeoutMs }, controller.signal)
    first = await nextFrame(session)
    if (first.t === 'error') throw errorFromFrame(first.error)
  } catch (error) {
    finish()
    throw failure(error, controller.signal)
  }

  const headers = { 'x-generation-id': generationId, 'x-provider-id': peerId }
  if (!streaming) {
    try {
      if (first.t !== 'result') throw new ProviderError('the provider answered a plain request with a stream')
      const end = await nextFrame(session)
      if (end.t === 'error') throw errorFromFrame(end.error)
      if (end.t !== 'end') throw new ProviderError('the provider sent more than one result')
      return Response.json({ ...first.data, provider: providerName }, { headers })
    } catch (error) {
      throw failure(error, controller.signal)
    } finally {
      finish()
    }
  }

  const includeUsage = (body.stream_options as { include_usage?: boolean } | null | undefined)?.include_usage === true
  let pending: ResponseFrame | undefined = first
  let last: Record<string, unknown> | undefined
  const sse = new ReadableStream<Uint8Array>({
    async pull(out) {
      try {
        const frame = pending ?? (await nextFrame(session))
        pending = undefined
        switch (frame.t) {
          case 'chunk':
            last = frame.data
            out.enqueue(event({ ...frame.data, provider: providerName }))
            return
          case 'end':
            if (includeUsage) out.enqueue(event(usageChunk(kind, last, frame.usage, providerName)))
            out.enqueue(DONE)
            break
          case 'error':
            out.enqueue(event(errorFromFrame(frame.error).toBody()))
            break
          case 'result':
            throw new ProviderError('the provider answered a stream with a plain result')
        }
      } catch (error) {
        const market = failure(error, controller.signal)
        if (!(market instanceof ClientClosedError)) out.enqueue(event(market.toBody()))
      }
      finish()
      out.close()
    },
    cancel(reason) {
      session.abort(new ClientClosedError(String(reason ?? 'the client closed the connection')))
      finish()
    },
  })
  return new Response(sse, {
    headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' },
  })
}

async function nextFrame(session: InferenceSession): Promise<ResponseFrame> {
  const next = await session.frames.next()
  if (next.done) throw new ProviderError('the provider closed the stream before finishing')
  return next.value
}

function event(data: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(data)}\n\n`)
}

/** The final usage chunk OpenAI sends when `stream_options.include_usage` is set. */
function usageChunk(kind: InferKind, last: Record<string, unknown> | undefined, usage: Usage, provider: string): Record<string, unknown> {
  return {
    id: last?.id ?? 'usage',
    object: kind === 'chat.completions' ? 'chat.completion.chunk' : 'text_completion',
    created: last?.created ?? Math.floor(Date.now() / 1000),
    model: last?.model ?? '',
    choices: [],
    usage,
    provider,
  }
}

function errorFromFrame(error: FrameError): MarketError {
  return new MarketError(error.status, error.type, error.code, error.message, { param: error.param })
}

/** What a failure means for the client: the deadline, the client leaving, or the provider's fault. */
function failure(error: unknown, signal: AbortSignal): MarketError {
  if (signal.aborted && (signal.reason instanceof DeadlineError || signal.reason instanceof ClientClosedError)) return signal.reason
  if (error instanceof MarketError) return error
  return new ProviderError('the provider failed to complete the request', { cause: error })
}
