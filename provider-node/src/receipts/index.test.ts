import { describe, it, expect } from 'vitest'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { requestCost, verifyReceipt } from '@agora/protocol'
import { createReceiptSigner } from './index.ts'

const privateKey = generatePrivateKey()
const account = privateKeyToAccount(privateKey)
const pricing = { inputPerMTok: 100_000n, outputPerMTok: 300_000n }

describe('receipt signer', () => {
  it('states a served request at the offered prices, signed by the payout key', async () => {
    const receipts = createReceiptSigner({ privateKey, peerId: '12D3KooWProvider', now: () => 1_800_000_000_000 })
    const receipt = await receipts.sign({
      generationId: 'gen-1',
      routerPeerId: '12D3KooWRouter',
      model: 'dev/chat',
      pricing,
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    })
    expect(receipt).toMatchObject({
      generationId: 'gen-1',
      routerPeerId: '12D3KooWRouter',
      providerPeerId: '12D3KooWProvider',
      model: 'dev/chat',
      promptTokens: 7,
      completionTokens: 3,
      inputPerMTok: 100_000n,
      outputPerMTok: 300_000n,
      // 7 × 0.1 + 3 × 0.3 = 1.6 micro-USD, rounded up once.
      cost: 2n,
      timestamp: 1_800_000_000_000,
    })
    expect(receipt.cost).toBe(requestCost({ promptTokens: 7, completionTokens: 3 }, pricing))
    expect(await verifyReceipt(receipt, account.address)).toBe(true)
  })
})
