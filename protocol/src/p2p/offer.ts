import { z } from 'zod'
import { getAddress, isAddress, verifyTypedData, type Address, type Hex, type LocalAccount } from 'viem'
import { CLOCK_SKEW_MS, MAX_OFFER_MODELS, MAX_OFFER_TTL_MS } from './constants.ts'

/** A non-negative integer amount, sent as a decimal string so it survives JSON exactly. */
export const MicroUsd = z
  .string()
  .regex(/^\d{1,30}$/, 'must be a decimal integer string of micro-USD')
  .transform((value) => BigInt(value))

const AddressSchema = z.string().refine(isAddress, 'must be an EVM address').transform((value) => getAddress(value))

/** A 65-byte ECDSA signature (r, s, v) as 0x-prefixed hex, as viem's `signTypedData` makes it. */
export const Signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 65-byte hex signature') as z.ZodType<Hex>

/** What a provider offers for one model. */
export const ModelOffer = z.object({
  id: z.string().min(1).max(256),
  contextLength: z.number().int().positive(),
  quantization: z.string().max(32).optional(),
  /** Request parameters the provider honours (e.g. `tools`, `response_format`), for `provider.require_parameters`. */
  supportedParameters: z.array(z.string().min(1).max(64)).max(128).optional(),
  pricing: z.object({ inputPerMTok: MicroUsd, outputPerMTok: MicroUsd }),
  maxConcurrency: z.number().int().positive(),
  /** Requests in flight on this model when the offer was made: a hint, not a measurement. */
  inFlight: z.number().int().nonnegative(),
})
export type ModelOffer = z.infer<typeof ModelOffer>
export type ModelOfferInput = z.input<typeof ModelOffer>

/**
 * A provider's signed offer, published on the offers topic. The gossipsub envelope is
 * signed with the provider's libp2p key (so `peerId` must equal the message's `from`);
 * `binding` is the payout address's EIP-712 signature over `{ peerId, payout }`, so a
 * payout key can stay offline while the node re-announces freely.
 */
export const Offer = z.object({
  v: z.literal(1),
  peerId: z.string().min(1).max(128),
  name: z.string().min(1).max(64),
  payout: AddressSchema,
  binding: Signature,
  seq: z.number().int().nonnegative(),
  expiresAt: z.number().int().positive(),
  models: z.array(ModelOffer).max(MAX_OFFER_MODELS),
})
export type Offer = z.infer<typeof Offer>
export type OfferInput = z.input<typeof Offer>

/** EIP-712 domain of marketplace statements signed by payout keys. */
export const AGORA_EIP712_DOMAIN = { name: 'Agora Marketplace', version: '1' } as const

/** EIP-712 types of the statement binding a payout address to a libp2p peer id. */
export const PEER_BINDING_TYPES = {
  PeerBinding: [
    { name: 'peerId', type: 'string' },
    { name: 'payout', type: 'address' },
  ],
} as const

export interface SignPeerBindingParameters {
  /** The payout key (a viem local account). */
  account: LocalAccount
  peerId: string
}

/**
 * Signs the statement that `account` is the payout address of `peerId`.
 * @example
 * const binding = await signPeerBinding({ account: privateKeyToAccount(key), peerId: node.peerId.toString() })
 */
export async function signPeerBinding({ account, peerId }: SignPeerBindingParameters): Promise<Hex> {
  if (!account.signTypedData) throw new Error('the payout account cannot sign typed data')
  return account.signTypedData({
    domain: AGORA_EIP712_DOMAIN,
    types: PEER_BINDING_TYPES,
    primaryType: 'PeerBinding',
    message: { peerId, payout: account.address },
  })
}

/** Whether `signature` is `payout`'s binding to `peerId`. */
export async function verifyPeerBinding(peerId: string, payout: Address, signature: Hex): Promise<boolean> {
  try {
    return await verifyTypedData({
      address: payout,
      domain: AGORA_EIP712_DOMAIN,
      types: PEER_BINDING_TYPES,
      primaryType: 'PeerBinding',
      message: { peerId, payout },
      signature,
    })
  } catch {
    return false
  }
}

/** Encodes an offer for the wire: JSON, money as decimal strings. */
export function encodeOffer(offer: Offer): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(offer, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)))
}

export type OfferRejection = 'malformed' | 'peer-mismatch' | 'expired' | 'ttl-too-long' | 'bad-binding'

export type DecodeOfferResult = { ok: true; offer: Offer } | { ok: false; reason: OfferRejection; details?: string }

/**
 * Decodes and checks an offer received from `fromPeerId`: schema, sender, freshness and
 * payout binding. Ordering (`seq`) is the registry's concern, since it needs history.
 * `knownBindings` caches bindings already verified, keyed by `peerId|payout|binding`.
 */
export async function decodeOffer(
  data: Uint8Array,
  fromPeerId: string,
  now: number,
  knownBindings?: Set<string>,
): Promise<DecodeOfferResult> {
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder().decode(data))
  } catch {
    return { ok: false, reason: 'malformed', details: 'not JSON' }
  }
  const parsed = Offer.safeParse(json)
  if (!parsed.success) return { ok: false, reason: 'malformed', details: z.prettifyError(parsed.error) }
  const offer = parsed.data
  if (offer.peerId !== fromPeerId) return { ok: false, reason: 'peer-mismatch' }
  if (offer.expiresAt <= now) return { ok: false, reason: 'expired' }
  if (offer.expiresAt > now + MAX_OFFER_TTL_MS + CLOCK_SKEW_MS) return { ok: false, reason: 'ttl-too-long' }
  const bindingKey = `${offer.peerId}|${offer.payout}|${offer.binding}`
  if (!knownBindings?.has(bindingKey)) {
    if (!(await verifyPeerBinding(offer.peerId, offer.payout, offer.binding))) return { ok: false, reason: 'bad-binding' }
    knownBindings?.add(bindingKey)
  }
  return { ok: true, offer }
}
