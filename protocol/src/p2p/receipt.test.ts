import { describe, it, expect } from 'vitest'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { hashTypedData, recoverAddress, verifyTypedData } from 'viem'
import { requestCost } from '../money.ts'
import { encodeFrame, readFrames, ResponseFrame } from './frames.ts'
import { RECEIPT_EIP712_DOMAIN, RECEIPT_TYPES, Receipt, SignedReceipt, encodeReceipt, hashReceipt, signReceipt, verifyReceipt } from './receipt.ts'

const payout = privateKeyToAccount(generatePrivateKey())
const other = privateKeyToAccount(generatePrivateKey())

const receipt: Receipt = {
  generationId: 'gen-mww0kjlz-s6_0e9fQMJYQ',
  routerPeerId: '12D3KooWHepk1avmgbCbMfHZK79rnat17xhwsfgfqQnmjVkwe6NS',
  providerPeerId: '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK',
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  promptTokens: 1_000,
  completionTokens: 500,
  inputPerMTok: 150_000n,
  outputPerMTok: 600_000n,
  cost: requestCost({ promptTokens: 1_000, completionTokens: 500 }, { inputPerMTok: 150_000n, outputPerMTok: 600_000n }),
  timestamp: 1_800_000_000_123,
}

const signed = await signReceipt({ account: payout, receipt })

describe('usage receipts (EIP-712)', () => {
  it('verify for the payout key that signed them, and no other', async () => {
    expect(await verifyReceipt(signed, payout.address)).toBe(true)
    expect(await verifyReceipt(signed, other.address)).toBe(false)
    expect(await verifyReceipt(await signReceipt({ account: other, receipt }), payout.address)).toBe(false)
    expect(await verifyReceipt({ ...signed, signature: `0x${'00'.repeat(65)}` }, payout.address)).toBe(false)
  })

  it('verify exactly when viem does, whichever key signed and whatever the recovery bit', async () => {
    const keys = Array.from({ length: 20 }, () => generatePrivateKey())
    for (let i = 0; i < 20; i++) {
      const key = privateKeyToAccount(keys[i]!)
      const mine = await signReceipt({ account: key, receipt: { ...receipt, promptTokens: i } })
      const { signature, ...fields } = mine
      const viaViem = await verifyTypedData({
        address: key.address,
        domain: RECEIPT_EIP712_DOMAIN,
        types: RECEIPT_TYPES,
        primaryType: 'Receipt',
        message: { ...fields, timestamp: BigInt(fields.timestamp) },
        signature,
      })
      expect(viaViem).toBe(true)
      // The raw key signs the same deterministic signature through libsecp256k1.
      expect((await signReceipt({ privateKey: keys[i]!, receipt: { ...receipt, promptTokens: i } })).signature).toBe(signature)
      expect(await verifyReceipt(mine, key.address)).toBe(true)
      // The same r and s with the other recovery bit name another key.
      const flipped: `0x${string}` = `0x${signature.slice(2, -2)}${signature.endsWith('1b') ? '1c' : '1b'}`
      expect(await verifyReceipt({ ...mine, signature: flipped }, key.address)).toBe(false)
    }
  })

  // Every field is signed: changing any one of them breaks the signature.
  const tampered: Array<[keyof Receipt, Receipt[keyof Receipt]]> = [
    ['generationId', 'gen-someone-else'],
    ['routerPeerId', '12D3KooWAnotherRouter'],
    ['providerPeerId', '12D3KooWAnotherProvider'],
    ['model', 'meta-llama/Llama-3.1-70B-Instruct'],
    ['promptTokens', 1_001],
    ['completionTokens', 5_000],
    ['inputPerMTok', 150_001n],
    ['outputPerMTok', 6_000_000n],
    ['cost', receipt.cost + 1n],
    ['timestamp', receipt.timestamp + 1],
  ]
  for (const [field, value] of tampered) {
    it(`refuse a receipt whose ${field} was changed after signing`, async () => {
      const changed = { ...signed, [field]: value }
      expect(await verifyReceipt(changed, payout.address)).toBe(false)
      expect(hashReceipt(changed)).not.toBe(hashReceipt(signed))
    })
  }

  it('hash to the digest the signature signs, so ecrecover on it gives the signer', async () => {
    const digest = hashReceipt(signed)
    expect(digest).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await recoverAddress({ hash: digest, signature: signed.signature })).toBe(payout.address)
    // The signature is not part of the leaf: one receipt has one hash.
    expect(hashReceipt(receipt)).toBe(digest)
  })

  it('hash exactly as viem hashes the typed data, at the edges of every field too', () => {
    const edges: Receipt[] = [
      receipt,
      { ...receipt, promptTokens: 0, completionTokens: 0, inputPerMTok: 0n, outputPerMTok: 0n, cost: 0n, timestamp: 1 },
      { ...receipt, promptTokens: 2 ** 32 - 1, completionTokens: 2 ** 32 - 1, inputPerMTok: 2n ** 255n, cost: 2n ** 256n - 1n, timestamp: Number.MAX_SAFE_INTEGER },
      { ...receipt, generationId: 'gén-ünïcode-✓', model: 'x'.repeat(256) },
    ]
    for (const edge of edges) {
      const { generationId, routerPeerId, providerPeerId, model, promptTokens, completionTokens, inputPerMTok, outputPerMTok, cost, timestamp } = edge
      const message = { generationId, routerPeerId, providerPeerId, model, promptTokens, completionTokens, inputPerMTok, outputPerMTok, cost, timestamp: BigInt(timestamp) }
      expect(hashReceipt(edge)).toBe(hashTypedData({ domain: RECEIPT_EIP712_DOMAIN, types: RECEIPT_TYPES, primaryType: 'Receipt', message }))
    }
  })

  it('round-trip through JSON exactly, bigints as decimal strings', () => {
    const json = JSON.parse(JSON.stringify(encodeReceipt(signed)))
    expect(json.cost).toBe('450')
    expect(SignedReceipt.parse(json)).toEqual(signed)
  })

  it('travel as the last frame of a stream', async () => {
    async function* source() {
      yield encodeFrame({ t: 'end', usage: { prompt_tokens: 1_000, completion_tokens: 500, total_tokens: 1_500 } })
      yield encodeFrame({ t: 'receipt', receipt: signed })
    }
    const frames = []
    for await (const raw of readFrames(source())) frames.push(ResponseFrame.parse(raw))
    expect(frames[1]).toEqual({ t: 'receipt', receipt: signed })
  })

  it('are validated by schema', () => {
    const json = encodeReceipt(signed)
    expect(SignedReceipt.safeParse({ ...json, promptTokens: -1 }).success).toBe(false)
    expect(SignedReceipt.safeParse({ ...json, completionTokens: 2 ** 32 }).success).toBe(false)
    expect(SignedReceipt.safeParse({ ...json, cost: 375 }).success).toBe(false)
    expect(SignedReceipt.safeParse({ ...json, cost: '-1' }).success).toBe(false)
    expect(SignedReceipt.safeParse({ ...json, signature: '0x1234' }).success).toBe(false)
    expect(SignedReceipt.safeParse({ ...json, generationId: '' }).success).toBe(false)
    const { signature: _, ...unsigned } = json
    expect(SignedReceipt.safeParse(unsigned).success).toBe(false)
  })

  it('refuse to sign what the schema would not read back', async () => {
    await expect(signReceipt({ account: payout, receipt: { ...receipt, promptTokens: 2 ** 32 } })).rejects.toThrow()
  })
})
