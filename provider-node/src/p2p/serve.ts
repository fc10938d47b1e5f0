import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import {
  BusyError,
  DeadlineError,
  INFER_PROTOCOL,
  InferRequest,
  InvalidRequestError,
  MAX_FRAME_BYTES,
  MAX_INBOUND_INFER_STREAMS,
  ModelNotFoundError,
  REQUEST_FRAME_TIMEOUT_MS,
  encodeFrame,
  readFrames,
  MarketError,
  ProviderError,
  type MarketPeer,
  type ResponseFrame,
  type Usage,
} from '@agora/protocol'
import type { Catalog } from '../catalog.ts'
import type { Engine } from '../engines/index.ts'
import type { ReceiptSigner } from '../receipts/index.ts'
import type { ProviderMetrics } from '../metrics.ts'

export interface ServeParameters {
  peer: MarketPeer
  engine: Engine
  catalog: Catalog
  metrics: ProviderMetrics
  log: Logger
  /** Signs the receipt sent after every completed request; without it (no payout key on this node) none is sent. */
  receipts?: ReceiptSigner
  /** Log request bodies and response frames (prompts and completions); off unless the operator debugs. */
  logContent?: boolean
}

/** Closed by the router: its client went away, or it gave up on us. */
class StreamClosedError extends Error {
  override name = 'StreamClosedError'
}

const ZERO_USAGE: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }

/**
 * Serves the inference protocol: reads one request frame (within a deadline and a size
 * limit), waits for a slot of the model's capacity (or answers busy), runs it on the
 * engine, and writes response frames. When the router closes the stream, generation is
 * aborted.
 */
export async function serveInference({ peer, engine, catalog, metrics, log, receipts, logContent = false }: ServeParameters): Promise<() => Promise<void>> {
  async function handle(stream: Stream, connection: Connection): Promise<void> {
    const abort = new AbortController()
    let finished = false
    let requestId: string | undefined
    stream.addEventListener('close', () => {
      if (!finished) abort.abort(new StreamClosedError('the router closed the stream'))
    })
    const send = async (frame: ResponseFrame): Promise<void> => {
      if (stream.writeStatus !== 'writable') throw new StreamClosedError('the stream is no longer writable')
      if (logContent) log.info({ id: requestId, frame }, 'response frame')
      metrics.frameSent()
      if (!stream.send(encodeFrame(frame))) await stream.onDrain({ signal: abort.signal })
    }
    const fail = async (error: unknown): Promise<void> => {
      // An engine's own failure (a bad upstream line, a crash) is the provider's fault: 502, not 500.
      const market = error instanceof MarketError ? error : new ProviderError('the engine failed to complete the request', { cause: error })
      if (market.status >= 500 && market.code !== 'provider_busy') log.warn({ id: requestId, err: error }, 'inference failed')
      const { status, type, code, message, param } = market
      await send({ t: 'error', error: { status, type, code, message, param } }).catch(() => {})
      await stream.close().catch(() => stream.abort(new Error('close failed')))
    }

    const receivedAt = performance.now()
    const seconds = () => (performance.now() - receivedAt) / 1000
    let request: InferRequest
    try {
      request = InferRequest.parse(await readRequestFrame(stream))
    } catch (error) {
      finished = true
      await fail(new InvalidRequestError('malformed inference request', { cause: error }))
      return
    }
    requestId = request.id
    metrics.received()
    if (logContent) log.info({ id: request.id, kind: request.kind, body: request.body }, 'request content')
    const model = catalog.get(String(request.body.model))
    if (!model) {
      finished = true
      metrics.failed(undefined, 'model_not_found')
      await fail(new ModelNotFoundError(String(request.body.model)))
      return
    }
    const deadline = setTimeout(() => abort.abort(new DeadlineError()), Math.max(0, request.deadline - Date.now()))
    let admitted = false
    try {
      await model.capacity.acquire(abort.signal)
      admitted = true
      const streaming = request.kind !== 'embeddings' && request.body.stream === true
      let usage = ZERO_USAGE
      let first = true
      const events = engine.run({ kind: request.kind, body: { ...request.body, model: model.engineModel }, stream: streaming }, abort.signal)
      for await (const event of events) {
        if (event.type === 'usage') {
          usage = event.usage
          continue
        }
        // Answer under the published name, whatever the engine calls the model.
        event.data.model = model.id
        await send({ t: event.type, data: event.data })
        if (first) metrics.firstFrame(model.id, seconds())
        first = false
      }
      abort.signal.throwIfAborted()
      await send({ t: 'end', usage })
      finished = true
      // Last frame: the receipt signing the usage just sent, which the router checks and stores.
      if (receipts) {
        await receipts
          .sign({ generationId: request.id, routerPeerId: connection.remotePeer.toString(), model: model.id, pricing: model.pricing, usage })
          .then((receipt) => send({ t: 'receipt', receipt }))
          .catch((error: unknown) => {
            if (error instanceof StreamClosedError) log.debug({ id: request.id }, 'the router closed the stream before the receipt')
            else log.warn({ id: request.id, err: error }, 'receipt not sent')
          })
      }
      await stream.close()
      metrics.succeeded(model.id, usage, seconds())
      log.info({ id: request.id, model: model.id, kind: request.kind, stream: streaming, promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, ms: Math.round(seconds() * 1000) }, 'request served')
    } catch (error) {
      finished = true
      const reason: unknown = abort.signal.aborted ? abort.signal.reason : error
      if (reason instanceof StreamClosedError) {
        metrics.aborted(model.id)
        log.debug({ id: request.id, peer: connection.remotePeer.toString() }, 'request aborted by the router')
        stream.abort(reason)
        return
      }
      if (reason instanceof BusyError) {
        metrics.busy(model.id)
        log.debug({ id: request.id, model: model.id }, 'busy: the model is at capacity')
      } else {
        metrics.failed(model.id, reason instanceof MarketError ? reason.code : 'provider_error')
      }
      await fail(reason)
    } finally {
      clearTimeout(deadline)
      if (admitted) model.capacity.release()
    }
  }

  await peer.handle(INFER_PROTOCOL, handle, { maxInboundStreams: MAX_INBOUND_INFER_STREAMS })
  return () => peer.unhandle(INFER_PROTOCOL)
}

/** Reads the single request frame, giving up after `REQUEST_FRAME_TIMEOUT_MS`. */
async function readRequestFrame(stream: Stream): Promise<unknown> {
  const frames = readFrames(stream, MAX_FRAME_BYTES)
  let timer: NodeJS.Timeout | undefined
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no request frame in time')), REQUEST_FRAME_TIMEOUT_MS)
    })
    const first = await Promise.race([frames.next(), timeout])
    if (first.done) throw new Error('stream ended before the request frame')
    return first.value
  } finally {
    clearTimeout(timer)
    void frames.return(undefined)
  }
}
