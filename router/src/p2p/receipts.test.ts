import { describe, it, expect } from 'vitest'
import { pino } from 'pino'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { requestCost, signReceipt, type Receipt } from '@agora/protocol'
import { ReceiptVerifier, checkReceipt, type ReceiptExpectation } from './receipts.ts'

const payout = privateKeyToAccount(generatePrivateKey())
const startedAt = 1_800_000_000_000
const now = startedAt + 900
const pricing = { inputPerMTok: 100_000n, outputPerMTok: 300_000n }

const expected: ReceiptExpectation = {
  generationId: 'gen-1',
  routerPeerId: '12D3KooWRouter',
  providerPeerId: '12D3KooWProvider',
  model: 'dev/chat',
  pricing,
  payout: payout.address,
  billed: { promptTokens: 12, completionTokens: 30 },
  startedAt,
}

const honest: Receipt = {
  generationId: 'gen-1',
  routerPeerId: '12D3KooWRouter',
  providerPeerId: '12D3KooWProvider',
  model: 'dev/chat',
  promptTokens: 12,
  completionTokens: 30,
  ...pricing,
  cost: requestCost({ promptTokens: 12, completionTokens: 30 }, pricing),
  timestamp: startedAt + 800,
}

const sign = (overrides: Partial<Receipt> = {}, account = payout) => signReceipt({ account, receipt: { ...honest, ...overrides } })

describe('checkReceipt', () => {
  it('accepts a receipt that states what the router sent, offered and bills, signed by the payout key', async () => {
    expect(await checkReceipt(await sign(), expected, now)).toEqual({ ok: true })
  })

  const mismatches: Array<[string, Partial<Receipt>]> = [
    ['another generation', { generationId: 'gen-2' }],
    ['another router', { routerPeerId: '12D3KooWOtherRouter' }],
    ['another provider', { providerPeerId: '12D3KooWOtherProvider' }],
    ['another model', { model: 'dev/other' }],
    ['another input price', { inputPerMTok: 100_001n }],
    ['another output price', { outputPerMTok: 3_000_000n }],
    ['a cost its own fields do not make', { cost: honest.cost + 1n }],
    ['a time before the request', { timestamp: startedAt - 60_000 }],
    ['a time in the future', { timestamp: now + 60_000 }],
  ]
  for (const [what, overrides] of mismatches) {
    it(`rejects ${what} as a mismatch, even when properly signed`, async () => {
      expect(await checkReceipt(await sign(overrides), expected, now)).toMatchObject({ ok: false, reason: 'mismatch' })
    })
  }

  it('rejects tokens other than the billed usage, more or fewer', async () => {
    const more = { completionTokens: 31, cost: requestCost({ promptTokens: 12, completionTokens: 31 }, pricing) }
    const fewer = { promptTokens: 11, cost: requestCost({ promptTokens: 11, completionTokens: 30 }, pricing) }
    expect(await checkReceipt(await sign(more), expected, now)).toMatchObject({ ok: false, reason: 'usage' })
    expect(await checkReceipt(await sign(fewer), expected, now)).toMatchObject({ ok: false, reason: 'usage' })
  })

  it('rejects a receipt signed by another key, or changed after signing', async () => {
    const stranger = privateKeyToAccount(generatePrivateKey())
    expect(await checkReceipt(await sign({}, stranger), expected, now)).toMatchObject({ ok: false, reason: 'bad-signature' })
    // Tokens and cost changed together after signing: every check but the signature passes.
    const signed = await sign({ promptTokens: 1, cost: requestCost({ promptTokens: 1, completionTokens: 30 }, pricing) })
    const inflated = { ...signed, promptTokens: 12, cost: honest.cost }
    expect(await checkReceipt(inflated, expected, now)).toMatchObject({ ok: false, reason: 'bad-signature' })
  })
})

describe('ReceiptVerifier', () => {
  it('returns a valid receipt and counts the others against their provider', async () => {
    const verifier = new ReceiptVerifier({ log: pino({ level: 'silent' }) })
    const fresh = { ...expected, startedAt: Date.now() - 100 }
    const receipt = await sign({ timestamp: Date.now() })
    expect(await verifier.verify({ ok: true, receipt }, fresh)).toEqual(receipt)
    expect(await verifier.verify({ ok: true, receipt: await sign({ timestamp: Date.now(), model: 'dev/other' }) }, fresh)).toBeUndefined()
    expect(await verifier.verify({ ok: false, reason: 'missing', details: 'the stream ended after the end frame' }, fresh)).toBeUndefined()
    // The client left before the receipt came: no verdict on the provider.
    expect(await verifier.verify({ ok: false, reason: 'abandoned' }, fresh)).toBeUndefined()
    expect(verifier.accepted).toBe(1)
    expect(verifier.rejected).toMatchObject({ mismatch: 1, missing: 1, usage: 0, 'bad-signature': 0, malformed: 0 })
    expect(verifier.rejectionsOf('12D3KooWProvider')).toBe(2)
    expect(verifier.rejectionsOf('12D3KooWRouter')).toBe(0)
  })
})
