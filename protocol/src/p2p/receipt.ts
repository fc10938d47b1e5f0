import { z } from 'zod'
import { bytesToHex, hashDomain, hexToBytes, keccak256, toBytes, type Address, type Hex, type LocalAccount } from 'viem'
import { MicroUsd, Signature } from './offer.ts'
import { keccak256Bytes, recoverPublicKey, signDigest } from './secp256k1.ts'

/** Tokens of one request: a `uint32` in the typed data. */
const TokenCount = z.number().int().nonnegative().max(0xffff_ffff)

/**
 * A provider's statement of one generation it served: who asked (the router's peer id),
 * who answered (the provider's), for which generation, how many tokens at which prices, and
 * what that cost. Amounts are micro-USD (prices per million tokens), decimal strings on the
 * wire and `bigint` once parsed; `cost` is `requestCost(tokens, prices)`.
 */
export const Receipt = z.object({
  /** The router's generation id (`gen-…`), from the request frame's `id`. */
  generationId: z.string().min(1).max(128),
  /** The libp2p peer id of the router that sent the request. */
  routerPeerId: z.string().min(1).max(128),
  /** The libp2p peer id of the provider that served it. */
  providerPeerId: z.string().min(1).max(128),
  /** The published model id. */
  model: z.string().min(1).max(256),
  promptTokens: TokenCount,
  completionTokens: TokenCount,
  inputPerMTok: MicroUsd,
  outputPerMTok: MicroUsd,
  cost: MicroUsd,
  /** When the provider signed it, epoch milliseconds. */
  timestamp: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
})
export type Receipt = z.infer<typeof Receipt>

/** A receipt with its signer's EIP-712 signature: the `receipt` frame's payload and what `generations.receipt` stores. */
export const SignedReceipt = Receipt.extend({ signature: Signature })
export type SignedReceipt = z.infer<typeof SignedReceipt>
/** A signed receipt as JSON carries it: amounts as decimal strings. */
export type SignedReceiptJson = z.input<typeof SignedReceipt>

/**
 * EIP-712 domain of usage receipts. No `chainId` or `verifyingContract`: a provider signs
 * receipts without knowing which escrow (or chain) will settle them, and a receipt moves no
 * funds by itself: it names one generation of one router, which settlement counts once.
 */
export const RECEIPT_EIP712_DOMAIN = { name: 'Agora Usage Receipt', version: '1' } as const

/** EIP-712 types of a usage receipt. */
export const RECEIPT_TYPES = {
  Receipt: [
    { name: 'generationId', type: 'string' },
    { name: 'routerPeerId', type: 'string' },
    { name: 'providerPeerId', type: 'string' },
    { name: 'model', type: 'string' },
    { name: 'promptTokens', type: 'uint32' },
    { name: 'completionTokens', type: 'uint32' },
    { name: 'inputPerMTok', type: 'uint256' },
    { name: 'outputPerMTok', type: 'uint256' },
    { name: 'cost', type: 'uint256' },
    { name: 'timestamp', type: 'uint64' },
  ],
} as const

/** The typed data of a receipt, as viem signs, verifies and hashes it. */
function typedData(receipt: Receipt) {
  const { generationId, routerPeerId, providerPeerId, model, promptTokens, completionTokens, inputPerMTok, outputPerMTok, cost, timestamp } = receipt
  return {
    domain: RECEIPT_EIP712_DOMAIN,
    types: RECEIPT_TYPES,
    primaryType: 'Receipt',
    message: { generationId, routerPeerId, providerPeerId, model, promptTokens, completionTokens, inputPerMTok, outputPerMTok, cost, timestamp: BigInt(timestamp) },
  } as const
}

/** The provider's payout key, the key that signed its offer's binding: raw (fast) or as a viem local account. */
export type SignReceiptParameters = { receipt: Receipt } & ({ privateKey: Hex } | { account: LocalAccount })

/**
 * Signs a receipt with the provider's payout key. A raw `privateKey` signs with libsecp256k1
 * (native, or WebAssembly where no prebuilt addon fits: see secp256k1.ts), several times
 * cheaper than an account's JavaScript signer;
 * both give the same deterministic (RFC 6979) signature.
 * @example
 * const signed = await signReceipt({ privateKey: payoutKey, receipt })
 */
export async function signReceipt(parameters: SignReceiptParameters): Promise<SignedReceipt> {
  const parsed = Receipt.parse(encodeReceipt(parameters.receipt))
  if ('privateKey' in parameters) {
    const { signature, recoveryId } = signDigest(hexToBytes(hashReceipt(parsed)), hexToBytes(parameters.privateKey))
    return { ...parsed, signature: `${bytesToHex(signature)}${(27 + recoveryId).toString(16)}` }
  }
  const { account } = parameters
  // An account that can sign a raw digest signs ours (the cheaper hash); others sign the typed data.
  const signature = account.sign ? await account.sign({ hash: hashReceipt(parsed) }) : await account.signTypedData(typedData(parsed))
  return { ...parsed, signature }
}

/**
 * Whether `receipt.signature` is `signer`'s EIP-712 signature over the receipt's fields.
 * Routers check one per request, so the public key is recovered with libsecp256k1 (native,
 * or WebAssembly: see secp256k1.ts), several times cheaper than JavaScript secp256k1; the
 * result is the same as viem's `verifyTypedData`.
 * @example
 * if (!(await verifyReceipt(receipt, offer.payout))) reject('bad-signature')
 */
export async function verifyReceipt(receipt: SignedReceipt, signer: Address): Promise<boolean> {
  try {
    const signature = hexToBytes(receipt.signature)
    if (signature.length !== 65) return false
    // v is 27 or 28 in Ethereum's serialisation, 0 or 1 in some others.
    const v = signature[64]!
    const recoveryId = v >= 27 ? v - 27 : v
    if (recoveryId !== 0 && recoveryId !== 1) return false
    const publicKey = recoverPublicKey(hexToBytes(hashReceipt(receipt)), signature.subarray(0, 64), recoveryId)
    if (!publicKey) return false
    const address = bytesToHex(keccak256Bytes(publicKey.subarray(1))).slice(-40)
    return address === signer.slice(2).toLowerCase()
  } catch {
    return false
  }
}

/** `keccak256` of the receipt's EIP-712 type string, `Receipt(string generationId,…)`. */
const RECEIPT_TYPE_HASH = keccak256(toBytes(`Receipt(${RECEIPT_TYPES.Receipt.map(({ type, name }) => `${type} ${name}`).join(',')})`), 'bytes')
const DOMAIN_SEPARATOR = hexToBytes(
  hashDomain({ domain: RECEIPT_EIP712_DOMAIN, types: { EIP712Domain: [{ name: 'name', type: 'string' }, { name: 'version', type: 'string' }] } }),
)
const encoder = new TextEncoder()

/**
 * The receipt's EIP-712 digest, `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(receipt))`:
 * what its signature signs (so `ecrecover(hashReceipt(r), r.signature)` is the signer) and
 * what a settlement's Merkle leaf is built from. The signature is not part of it.
 *
 * Encoded by hand for this one fixed struct (a router hashes one per request; viem's generic
 * encoder costs several times more); a test checks it equals viem's `hashTypedData`.
 * @example
 * const tree = StandardMerkleTree.of(receipts.map((r) => [hashReceipt(r)]), ['bytes32'])
 */
export function hashReceipt(receipt: Receipt): Hex {
  // hashStruct: the type hash, then each field as one 32-byte word (strings by their keccak256).
  const words = new Uint8Array(32 * 11)
  words.set(RECEIPT_TYPE_HASH, 0)
  const strings = [receipt.generationId, receipt.routerPeerId, receipt.providerPeerId, receipt.model]
  strings.forEach((value, i) => words.set(keccak256Bytes(encoder.encode(value)), 32 * (i + 1)))
  const numbers = [receipt.promptTokens, receipt.completionTokens, receipt.inputPerMTok, receipt.outputPerMTok, receipt.cost, receipt.timestamp]
  numbers.forEach((value, i) => writeUint256(words, 32 * (i + 5), BigInt(value)))
  const digestInput = new Uint8Array(2 + 32 + 32)
  digestInput.set([0x19, 0x01], 0)
  digestInput.set(DOMAIN_SEPARATOR, 2)
  digestInput.set(keccak256Bytes(words), 34)
  return bytesToHex(keccak256Bytes(digestInput))
}

/** Writes `value` (0 ≤ value < 2²⁵⁶) big-endian into the 32 bytes of `out` from `offset`. */
function writeUint256(out: Uint8Array, offset: number, value: bigint): void {
  for (let i = 31; i >= 0 && value > 0n; i--) {
    out[offset + i] = Number(value & 0xffn)
    value >>= 8n
  }
}

/**
 * A receipt as JSON: amounts as decimal strings, fields in their typed-data order. What the
 * `receipt` frame carries and `generations.receipt` stores; `SignedReceipt.parse` reads it back.
 */
export function encodeReceipt(receipt: SignedReceipt): SignedReceiptJson
export function encodeReceipt(receipt: Receipt): z.input<typeof Receipt>
export function encodeReceipt(receipt: Receipt | SignedReceipt): z.input<typeof Receipt> | SignedReceiptJson {
  const json = {
    generationId: receipt.generationId,
    routerPeerId: receipt.routerPeerId,
    providerPeerId: receipt.providerPeerId,
    model: receipt.model,
    promptTokens: receipt.promptTokens,
    completionTokens: receipt.completionTokens,
    inputPerMTok: receipt.inputPerMTok.toString(),
    outputPerMTok: receipt.outputPerMTok.toString(),
    cost: receipt.cost.toString(),
    timestamp: receipt.timestamp,
  }
  return 'signature' in receipt ? { ...json, signature: receipt.signature } : json
}
