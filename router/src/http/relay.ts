import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import {
  ClientClosedError,
  DeadlineError,
  InternalError,
  FrameError,
  MarketError,
  ProviderError,
  encodeReceipt,
  requestCost,
  type InferKind,
  type MarketPeer,
  type ResponseFrame,
  type Usage,
} from '@agora/protocol'
import type { BillingGateway, Settlement } from '../billing/gateway.ts'
import type { PlacedHold } from '../billing/holds.ts'
import { billableUsage, generatedBytes, promptTokenBound, type BilledUsage } from '../billing/usage-bound.ts'
import type { ApiKey } from '../db/schema/index.ts'
import { openInference, type InferenceSession } from '../p2p/infer.ts'
import { receiveReceipt, type ReceiptVerifier, type ReceivedReceipt } from '../p2p/receipts.ts'
import { AttemptTracker } from '../routing/attempt.ts'
import { noRouteError, planRoute, type Attempt, type RoutingContext } from '../routing/plan.ts'
import { parseRoutingRequest, type RoutingRequest } from '../routing/preferences.ts'
import { assertAccountAllows, routingDefaults, type AccountSettingsCache } from '../settings/account-settings.ts'

/** What relaying a request needs from the running router. */
export interface RelayContext {
  peer: MarketPeer
  routing: RoutingContext
  billing: BillingGateway
  /** Checks the receipts providers sign for completed requests. */
  receipts: ReceiptVerifier
  /** Accounts' defaults for what a request does not set. */
  accountSettings: AccountSettingsCache
  requestTimeoutMs: number
  /** How long a hold outlives the request deadline before the reaper may release it. */
  holdGraceMs: number
  log: Logger
}

export interface RelayRequest {
  kind: InferKind
  /** The client's body, validated; unknown fields included. */
  body: Record<string, unknown>
  headers: Headers
  /** The calling key, authenticated. */
  key: ApiKey
  /** Aborts when the HTTP client goes away. */
  clientSignal: AbortSignal
}

/** Routing controls the router acts on; they are not forwarded to providers. */
const ROUTER_FIELDS = ['models', 'provider', 'session_id', 'route', 'transforms'] as const

const encoder = new TextEncoder()
const DONE = encoder.encode('data: [DONE]\n\n')

/**
 * Relays one OpenAI request to a provider over libp2p and turns its frames back into an
 * HTTP response, billing it on the way:
 *
 * 1. plan the attempts (routing), check the key may make them, hold the most they can cost;
 * 2. try providers in order until one sends its first frame (fallback happens only before
 *    the first byte reaches the client); when the balance this router last saw covers the
 *    hold, this starts beside the hold instead of after it, and a refused hold stops it;
 * 3. relay JSON or SSE, counting what was delivered;
 * 4. charge the usage, bounded by what was delivered, and release the rest of the hold,
 *    storing the provider's receipt with the generation when it agrees with that usage.
 *
 * After the first byte of a stream an error is sent as a final SSE `error` event.
 */
export async function relay(ctx: RelayContext, { kind, body, headers: requestHeaders, key, clientSignal }: RelayRequest): Promise<Response> {
  const startedAt = Date.now()
  const settings = await ctx.accountSettings.get(key.accountId)
  const routingRequest = parseRoutingRequest(body, requestHeaders, routingDefaults(settings))
  assertAccountAllows(settings, routingRequest.models)
  const sessionId = routingRequest.sessionId === undefined ? undefined : `${key.id}:${routingRequest.sessionId}`
  const plan = planRoute(ctx.routing, { ...routingRequest, ...(sessionId ? { sessionId } : {}) })
  if (!plan.attempts.length) throw noRouteError(ctx.routing, routingRequest, plan)
  const rateHeaders = await ctx.billing.admit(key, [...new Set(plan.attempts.map((a) => a.model))])

  const streaming = kind !== 'embeddings' && body.stream === true
  const promptBound = promptTokenBound(kind, body)
  const holdAmount = plan.attempts.reduce((most, attempt) => {
    const cost = requestCost({ promptTokens: promptBound, completionTokens: completionCap(kind, routingRequest, attempt) }, attempt.candidate.model.pricing)
    return cost > most ? cost : most
  }, 0n)
  const deadline = startedAt + ctx.requestTimeoutMs
  const holding = ctx.billing.startHold(key, holdAmount, new Date(deadline + ctx.holdGraceMs))
  let hold = holding.ahead ? null : await holding.placed

  const generationId = `gen-${startedAt.toString(36)}-${randomBytes(9).toString('base64url')}`
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new DeadlineError()), ctx.requestTimeoutMs)
  const onClientGone = () => controller.abort(new ClientClosedError('the client closed the connection'))
  clientSignal.addEventListener('abort', onClientGone, { once: true })
  const finish = () => {
    clearTimeout(timer)
    clientSignal.removeEventListener('abort', onClientGone)
  }

  // A hold refused while the request is on its way stops it: the refusal is what the client gets.
  if (holding.ahead) holding.placed.catch((refused: unknown) => controller.abort(refused instanceof MarketError ? refused : new InternalError(refused)))
  let served: Served | undefined
  try {
    served = await firstAnswer(ctx, plan.attempts, { kind, body, generationId, deadline, streaming, sessionId }, controller.signal)
    if (holding.ahead) hold = await holding.placed
  } catch (error) {
    finish()
    if (served) {
      served.session.abort(failure(error, controller.signal))
      served.tracker.abandon()
    }
    if (holding.ahead) {
      const placed = await holding.placed.then(
        (placedHold) => ({ placedHold }),
        (refused: unknown) => ({ refused }),
      )
      if ('refused' in placed) throw placed.refused
      hold = placed.placedHold
    }
    await ctx.billing.release(key, hold).catch((releaseError: unknown) => ctx.log.error({ err: releaseError, holdId: hold?.id }, 'could not release a hold'))
    throw error
  }

  const { attempt, session, first, tracker } = served
  const { peerId, name: providerName } = attempt.candidate.offer
  const headers = { ...rateHeaders, 'x-generation-id': generationId, 'x-provider-id': peerId }
  const bill = new Bill(ctx, { key, hold, attempt, generationId, startedAt, promptBound, completionCap: completionCap(kind, routingRequest, attempt) })

  if (!streaming) {
    try {
      if (first.t !== 'result') throw new ProviderError('the provider answered a plain request with a stream')
      const end = await nextFrame(session)
      if (end.t === 'error') throw errorFromFrame(end.error)
      if (end.t !== 'end') throw new ProviderError(`the provider sent a ${end.t} frame after its result`)
      const receipt = receiveReceipt(session, controller.signal)
      bill.delivered(kind, first.data)
      tracker.succeed({ completionTokens: end.usage.completion_tokens })
      // A ledger failure is ours, not the provider's: a 500, and the hold is left to the reaper.
      const settled = await bill.settle(end.usage, 'completed', finishReason(first.data), receipt).catch((error: unknown) => {
        throw new InternalError(error)
      })
      return Response.json({ ...first.data, usage: usageWithCost(first.data.usage, settled), provider: providerName }, { headers })
    } catch (error) {
      const market = failure(error, controller.signal)
      session.abort(market)
      tracker.fail(market)
      // The client receives nothing but this error, so it pays nothing.
      await ctx.billing.release(key, hold).catch((releaseError: unknown) => ctx.log.error({ err: releaseError, holdId: hold?.id }, 'could not release a hold'))
      throw market
    } finally {
      finish()
    }
  }

  const includeUsage = (body.stream_options as { include_usage?: boolean } | null | undefined)?.include_usage === true
  let pending: ResponseFrame | undefined = first
  let last: Record<string, unknown> | undefined
  let done = false
  const sse = new ReadableStream<Uint8Array>({
    async pull(out) {
      try {
        const frame = pending ?? (await nextFrame(session))
        pending = undefined
        switch (frame.t) {
          case 'chunk':
            last = frame.data
            bill.delivered(kind, frame.data)
            out.enqueue(event({ ...frame.data, provider: providerName }))
            return
          case 'end': {
            const receipt = receiveReceipt(session, controller.signal)
            tracker.succeed({ completionTokens: frame.usage.completion_tokens })
            const settled = await bill.settle(frame.usage, 'completed', finishReason(last), receipt)
            if (includeUsage) out.enqueue(event(usageChunk(kind, last, usageWithCost(frame.usage, settled), providerName)))
            out.enqueue(DONE)
            break
          }
          case 'error':
            throw errorFromFrame(frame.error)
          case 'result':
            throw new ProviderError('the provider answered a stream with a plain result')
          case 'receipt':
            throw new ProviderError('the provider sent a receipt before the end frame')
        }
      } catch (error) {
        const market = failure(error, controller.signal)
        session.abort(market)
        if (market instanceof ClientClosedError) tracker.abandon()
        else tracker.fail(market)
        await bill.settle(undefined, market instanceof ClientClosedError ? 'cancelled' : 'failed', null).catch((settleError: unknown) => {
          ctx.log.error({ err: settleError, generationId }, 'could not settle an interrupted stream')
        })
        if (!(market instanceof ClientClosedError)) out.enqueue(event(market.toBody()))
      }
      done = true
      finish()
      out.close()
    },
    async cancel(reason) {
      if (done) return
      done = true
      session.abort(new ClientClosedError(String(reason ?? 'the client closed the connection')))
      tracker.abandon()
      finish()
      await bill.settle(undefined, 'cancelled', null).catch((settleError: unknown) => ctx.log.error({ err: settleError, generationId }, 'could not settle a cancelled stream'))
    },
  })
  return new Response(sse, {
    headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' },
  })
}

interface Served {
  attempt: Attempt
  session: InferenceSession
  first: ResponseFrame
  tracker: AttemptTracker
}

interface AttemptInput {
  kind: InferKind
  body: Record<string, unknown>
  generationId: string
  deadline: number
  streaming: boolean
  sessionId: string | undefined
}

/**
 * Tries the planned attempts in order until one answers with a first frame that is not an
 * error. A failure before that moves on to the next attempt unless it was the request's
 * own fault, the client left or the deadline passed.
 */
async function firstAnswer(ctx: RelayContext, attempts: Attempt[], input: AttemptInput, signal: AbortSignal): Promise<Served> {
  const forwarded = Object.fromEntries(Object.entries(input.body).filter(([field]) => !(ROUTER_FIELDS as readonly string[]).includes(field)))
  let lastError: MarketError | undefined
  for (const attempt of attempts) {
    if (signal.aborted) break
    const tracker = new AttemptTracker(ctx.routing, attempt, { streamed: input.streaming, ...(input.sessionId ? { sessionId: input.sessionId } : {}) })
    try {
      const request = { id: input.generationId, kind: input.kind, body: { ...forwarded, model: attempt.model }, deadline: input.deadline }
      const session = await openInference(ctx.peer, attempt.candidate.offer.peerId, request, signal)
      const first = await nextFrame(session)
      if (first.t === 'error') {
        session.abort(new Error('error frame'))
        throw errorFromFrame(first.error)
      }
      tracker.firstByte()
      return { attempt, session, first, tracker }
    } catch (error) {
      lastError = failure(error, signal)
      const { retry } = tracker.fail(lastError)
      ctx.log.debug({ peerId: attempt.candidate.offer.peerId, model: attempt.model, code: lastError.code, retry, err: error }, 'attempt failed')
      if (!retry) throw lastError
    }
  }
  throw failure(lastError ?? new ProviderError('no provider could serve the request'), signal)
}

/** The most output a request can be billed for on one attempt: its `max_tokens`, else the model's context. */
function completionCap(kind: InferKind, request: RoutingRequest, attempt: Attempt): number {
  if (kind === 'embeddings') return 0
  const context = attempt.candidate.model.contextLength
  return Math.min(request.maxTokens ?? context, context)
}

interface BillParameters {
  key: ApiKey
  hold: PlacedHold | null
  attempt: Attempt
  generationId: string
  startedAt: number
  promptBound: number
  completionCap: number
}

/** One request's bill: what was delivered and when, settled exactly once. */
class Bill {
  readonly #ctx: RelayContext
  readonly #p: BillParameters
  #bytes = 0
  #textChunks = 0
  #firstTokenAt: number | undefined
  #settled: Promise<BilledSettlement> | undefined

  constructor(ctx: RelayContext, parameters: BillParameters) {
    this.#ctx = ctx
    this.#p = parameters
  }

  delivered(kind: InferKind, data: Record<string, unknown>): void {
    const bytes = generatedBytes(kind, data)
    if (bytes > 0 && this.#firstTokenAt === undefined) this.#firstTokenAt = Date.now()
    if (bytes > 0) this.#textChunks++
    this.#bytes += bytes
  }

  /**
   * Bills the usage (bounded by what was delivered) and records the generation, with the
   * provider's `receipt` when it arrives and agrees: the settle waits for it, at most
   * `RECEIPT_TIMEOUT_MS`. Not charging (no hold), nothing is recorded and receipts are not checked.
   */
  settle(reported: Usage | undefined, status: 'completed' | 'failed' | 'cancelled', finishReason: string | null, receipt?: Promise<ReceivedReceipt>): Promise<BilledSettlement> {
    this.#settled ??= (async () => {
      const { key, hold, attempt, generationId, startedAt, promptBound, completionCap } = this.#p
      const { offer, model } = attempt.candidate
      const usage = billableUsage(reported, { promptTokens: promptBound, completionBytes: this.#bytes, completionChunks: this.#textChunks, maxTokens: completionCap })
      if (usage.clamped) this.#ctx.log.warn({ generationId, peerId: offer.peerId, reported }, 'provider reported more usage than it delivered: billed the bound')
      const verified =
        receipt && hold
          ? await this.#ctx.receipts.verify(await receipt, {
              generationId,
              routerPeerId: this.#ctx.peer.peerId.toString(),
              providerPeerId: offer.peerId,
              model: attempt.model,
              pricing: model.pricing,
              payout: offer.payout,
              billed: usage,
              startedAt,
            })
          : undefined
      const settlement = await this.#ctx.billing.settle(key, hold, model.pricing, usage, {
        id: generationId,
        model: attempt.model,
        providerPeerId: attempt.candidate.offer.peerId,
        payout: offer.payout,
        timeToFirstTokenMs: this.#firstTokenAt === undefined ? null : this.#firstTokenAt - startedAt,
        durationMs: Date.now() - startedAt,
        finishReason,
        status,
        ...(verified ? { receipt: encodeReceipt(verified) } : {}),
      })
      return { ...settlement, usage }
    })()
    return this.#settled
  }
}

/** A settled request: what it cost and the usage it was billed for. */
interface BilledSettlement extends Settlement {
  usage: BilledUsage
}

/** The response's usage as billed, with its cost in USD as OpenRouter reports it. */
function usageWithCost(reported: unknown, { costUsd, usage: { promptTokens, completionTokens } }: BilledSettlement): Record<string, unknown> {
  return {
    ...(typeof reported === 'object' && reported !== null ? reported : {}),
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    cost: costUsd,
  }
}

function finishReason(data: Record<string, unknown> | undefined): string | null {
  const choices = data?.choices as Array<{ finish_reason?: unknown }> | undefined
  const reason = choices?.find((c) => typeof c.finish_reason === 'string')?.finish_reason
  return typeof reason === 'string' ? reason : null
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
function usageChunk(kind: InferKind, last: Record<string, unknown> | undefined, usage: Record<string, unknown>, provider: string): Record<string, unknown> {
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

/**
 * What a failure means for the client: why the request was aborted (the deadline, the client
 * leaving, its hold refused), or else the provider's fault.
 */
function failure(error: unknown, signal: AbortSignal): MarketError {
  if (signal.aborted && signal.reason instanceof MarketError) return signal.reason
  if (error instanceof MarketError) return error
  return new ProviderError('the provider failed to complete the request', { cause: error })
}
