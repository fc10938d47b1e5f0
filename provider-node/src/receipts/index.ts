import type { Hex } from 'viem'
import { requestCost, signReceipt, type Pricing, type SignedReceipt, type Usage } from '@agora/protocol'

/** What the node knows of a request it completed, enough to state it in a receipt. */
export interface ServedRequest {
  /** The router's generation id: the request frame's `id`. */
  generationId: string
  /** The peer id of the router on the other end of the stream. */
  routerPeerId: string
  /** The published model id. */
  model: string
  /** The model's prices as this node offers them. */
  pricing: Pricing
  /** The usage sent in the `end` frame. */
  usage: Usage
}

/** Signs the receipts of the requests a node completes. */
export interface ReceiptSigner {
  sign(served: ServedRequest): Promise<SignedReceipt>
}

export interface CreateReceiptSignerParameters {
  /** The payout private key: the key that signs the node's offer binding, so routers check receipts against the offer's `payout`. */
  privateKey: Hex
  /** This node's peer id. */
  peerId: string
  now?: () => number
}

/**
 * Receipts signed with the node's payout key: the usage of the `end` frame at the offered
 * prices, with its cost computed by `requestCost` (rounded up once, never floats).
 * @example
 * const receipts = createReceiptSigner({ privateKey: identity.payout.privateKey, peerId })
 * await send({ t: 'receipt', receipt: await receipts.sign({ generationId: request.id, routerPeerId, model: model.id, pricing: model.pricing, usage }) })
 */
export function createReceiptSigner({ privateKey, peerId, now = Date.now }: CreateReceiptSignerParameters): ReceiptSigner {
  return {
    sign({ generationId, routerPeerId, model, pricing, usage }) {
      const tokens = { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
      return signReceipt({
        privateKey,
        receipt: { generationId, routerPeerId, providerPeerId: peerId, model, ...tokens, ...pricing, cost: requestCost(tokens, pricing), timestamp: now() },
      })
    },
  }
}
