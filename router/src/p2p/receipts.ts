import { LRUCache } from 'lru-cache'
import type { Logger } from 'pino'
import type { Address } from 'viem'
import { CLOCK_SKEW_MS, RECEIPT_TIMEOUT_MS, requestCost, verifyReceipt, type Pricing, type SignedReceipt } from '@agora/protocol'
import type { InferenceSession } from './infer.ts'

/**
 * Why a provider's receipt was not stored:
 * - `missing`: no `receipt` frame after `end` (the stream closed, or nothing came in time);
 * - `malformed`: a frame that is not a valid receipt;
 * - `mismatch`: it names another generation, router, provider, model or price than the
 *   request and the offer, its cost is not `requestCost` of its own fields, or its time is
 *   outside the request's;
 * - `usage`: its tokens are not the usage the router bills;
 * - `bad-signature`: not signed by the payout address of the provider's offer.
 */
export type ReceiptRejection = 'missing' | 'malformed' | 'mismatch' | 'usage' | 'bad-signature'

/**
 * What arrived after the `end` frame. `abandoned`: the request was aborted (its client left,
 * its deadline passed) before the receipt came, which says nothing about the provider.
 */
export type ReceivedReceipt =
  | { ok: true; receipt: SignedReceipt }
  | { ok: false; reason: 'missing' | 'malformed'; details: string }
  | { ok: false; reason: 'abandoned' }

/**
 * Reads the frame after `end`, which must be the provider's receipt, waiting at most
 * `timeoutMs`; then closes the session. `signal` is the request's, which resets the stream
 * when it aborts. Never throws.
 * @example
 * const receipt = receiveReceipt(session, controller.signal) // right after the `end` frame
 */
export async function receiveReceipt(session: InferenceSession, signal: AbortSignal, timeoutMs = RECEIPT_TIMEOUT_MS): Promise<ReceivedReceipt> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs)
  })
  try {
    const next = await Promise.race([session.frames.next(), late])
    if (next === 'late') {
      session.abort(new Error('no receipt in time'))
      return { ok: false, reason: 'missing', details: `no receipt within ${timeoutMs} ms of the end frame` }
    }
    if (signal.aborted) return { ok: false, reason: 'abandoned' }
    if (next.done) return { ok: false, reason: 'missing', details: 'the stream ended after the end frame' }
    if (next.value.t !== 'receipt') return { ok: false, reason: 'malformed', details: `a ${next.value.t} frame after the end frame` }
    return { ok: true, receipt: next.value.receipt }
  } catch (error) {
    if (signal.aborted) return { ok: false, reason: 'abandoned' }
    return { ok: false, reason: 'malformed', details: error instanceof Error ? error.message : String(error) }
  } finally {
    clearTimeout(timer)
    session.close()
  }
}

/** What the router knows a receipt must say: from the request it sent, the offer it chose and the usage it bills. */
export interface ReceiptExpectation {
  generationId: string
  routerPeerId: string
  providerPeerId: string
  model: string
  /** The offered prices the request is billed at. */
  pricing: Pricing
  /** The offer's payout address, whose binding the router verified: the receipt's signer. */
  payout: Address
  /** The usage the router bills, after its bound. */
  billed: { promptTokens: number; completionTokens: number }
  /** When the router started the request, epoch ms. */
  startedAt: number
}

export type ReceiptCheckResult = { ok: true } | { ok: false; reason: 'mismatch' | 'usage' | 'bad-signature'; details: string }

/**
 * Checks a receipt against what the router sent, offered and counted. Tokens must equal the
 * billed usage exactly: a receipt is the provider's signed claim of what the user paid for
 * this generation, which settlement pays out, so it may claim neither more than the router
 * bills nor a different amount. The cheap comparisons run first; the signature (about a
 * millisecond of secp256k1) only for a receipt that agrees.
 * @example
 * const result = await checkReceipt(receipt, { generationId, routerPeerId, providerPeerId, model, pricing, payout, billed, startedAt })
 */
export async function checkReceipt(receipt: SignedReceipt, expected: ReceiptExpectation, now = Date.now()): Promise<ReceiptCheckResult> {
  const fields = [
    ['generationId', receipt.generationId, expected.generationId],
    ['routerPeerId', receipt.routerPeerId, expected.routerPeerId],
    ['providerPeerId', receipt.providerPeerId, expected.providerPeerId],
    ['model', receipt.model, expected.model],
    ['inputPerMTok', receipt.inputPerMTok, expected.pricing.inputPerMTok],
    ['outputPerMTok', receipt.outputPerMTok, expected.pricing.outputPerMTok],
  ] as const
  for (const [field, got, want] of fields) {
    if (got !== want) return { ok: false, reason: 'mismatch', details: `${field} is ${got}, expected ${want}` }
  }
  if (receipt.timestamp < expected.startedAt - CLOCK_SKEW_MS || receipt.timestamp > now + CLOCK_SKEW_MS) {
    return { ok: false, reason: 'mismatch', details: `timestamp ${receipt.timestamp} is outside the request (${expected.startedAt}–${now})` }
  }
  const cost = requestCost(receipt, receipt)
  if (receipt.cost !== cost) return { ok: false, reason: 'mismatch', details: `cost is ${receipt.cost}, its tokens and prices make ${cost}` }
  const { promptTokens, completionTokens } = expected.billed
  if (receipt.promptTokens !== promptTokens || receipt.completionTokens !== completionTokens) {
    return {
      ok: false,
      reason: 'usage',
      details: `claims ${receipt.promptTokens}+${receipt.completionTokens} tokens, the router bills ${promptTokens}+${completionTokens}`,
    }
  }
  if (!(await verifyReceipt(receipt, expected.payout))) return { ok: false, reason: 'bad-signature', details: `not signed by ${expected.payout}` }
  return { ok: true }
}

/**
 * The router's verdicts on providers' receipts: a valid receipt is returned to be stored
 * with its generation; any other outcome is counted by reason and against the provider,
 * and logged. Either way the generation is billed by the router's own count.
 */
export class ReceiptVerifier {
  /** Receipts accepted since start. */
  accepted = 0
  /** Receipts not stored, by reason, since start. */
  readonly rejected: Record<ReceiptRejection, number> = { missing: 0, malformed: 0, mismatch: 0, usage: 0, 'bad-signature': 0 }
  readonly #byPeer = new LRUCache<string, number>({ max: 10_000 })
  readonly #log: Logger

  constructor({ log }: { log: Logger }) {
    this.#log = log
  }

  /**
   * The receipt to store with the generation, or undefined when there is none worth storing.
   * @example
   * const receipt = await verifier.verify(await receiveReceipt(session), expected)
   */
  async verify(received: ReceivedReceipt, expected: ReceiptExpectation): Promise<SignedReceipt | undefined> {
    if (!received.ok && received.reason === 'abandoned') return undefined
    const result = received.ok ? await checkReceipt(received.receipt, expected) : received
    if (result.ok) {
      this.accepted++
      return received.ok ? received.receipt : undefined
    }
    this.rejected[result.reason]++
    this.#byPeer.set(expected.providerPeerId, this.rejectionsOf(expected.providerPeerId) + 1)
    const entry = { generationId: expected.generationId, peerId: expected.providerPeerId, reason: result.reason, details: result.details }
    // A node without its payout key on board signs nothing; a wrong receipt is a provider misbehaving.
    if (result.reason === 'missing') this.#log.info(entry, 'no receipt from the provider')
    else this.#log.warn(entry, 'receipt rejected')
    return undefined
  }

  /** Receipts rejected from `peerId` (among the most recent 10,000 peers). */
  rejectionsOf(peerId: string): number {
    return this.#byPeer.get(peerId) ?? 0
  }
}
