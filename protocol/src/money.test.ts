import { describe, it, expect } from 'vitest'
import { formatUsd, operatorFee, requestCost, usdNumber, usdPerToken } from './money.ts'

describe('requestCost', () => {
  const price = { inputPerMTok: 150_000n, outputPerMTok: 600_000n }

  it('prices tokens per million, in integer micro-USD', () => {
    expect(requestCost({ promptTokens: 1_000, completionTokens: 500 }, price)).toBe(450n)
    expect(requestCost({ promptTokens: 1_000_000, completionTokens: 1_000_000 }, price)).toBe(750_000n)
    expect(requestCost({ promptTokens: 0, completionTokens: 0 }, price)).toBe(0n)
  })

  it('rounds up once over the sum, never per part', () => {
    // 1 input token costs 0.15 micro-USD and 1 output token 0.6: 0.75 in all, charged as 1, not 1 + 1.
    expect(requestCost({ promptTokens: 1, completionTokens: 1 }, price)).toBe(1n)
    // Exactly one micro-USD is not rounded up to two.
    expect(requestCost({ promptTokens: 0, completionTokens: 5 }, { inputPerMTok: 0n, outputPerMTok: 200_000n })).toBe(1n)
  })

  it('stays exact far beyond float precision', () => {
    const huge = { inputPerMTok: 10n ** 20n + 1n, outputPerMTok: 0n }
    expect(requestCost({ promptTokens: 1_000_000, completionTokens: 0 }, huge)).toBe(10n ** 20n + 1n)
  })
})

describe('operatorFee', () => {
  it('takes basis points of an amount, rounded down so the fraction stays with the provider', () => {
    expect(operatorFee(1_000_000n, 250)).toBe(25_000n)
    expect(operatorFee(1_000_001n, 250)).toBe(25_000n)
    expect(operatorFee(39n, 250)).toBe(0n)
    expect(operatorFee(40n, 250)).toBe(1n)
    expect(operatorFee(123n, 0)).toBe(0n)
    expect(operatorFee(123n, 10_000)).toBe(123n)
  })

  it('is exact on any amount and leaves amount − fee for the provider', () => {
    const amount = 10n ** 30n + 7n
    const fee = operatorFee(amount, 333)
    expect(fee).toBe((amount * 333n) / 10_000n)
    expect(amount - fee + fee).toBe(amount)
  })

  it('refuses a fee outside 0–10000 basis points or a negative amount', () => {
    expect(() => operatorFee(1n, -1)).toThrow(RangeError)
    expect(() => operatorFee(1n, 10_001)).toThrow(RangeError)
    expect(() => operatorFee(1n, 2.5)).toThrow(RangeError)
    expect(() => operatorFee(-1n, 100)).toThrow(RangeError)
  })
})

describe('formatting', () => {
  it('formats micro-USD as exact USD strings', () => {
    expect(formatUsd(1_500_000n)).toBe('1.5')
    expect(formatUsd(1n)).toBe('0.000001')
    expect(formatUsd(0n)).toBe('0')
    expect(formatUsd(-2_000_000n)).toBe('-2')
    expect(usdNumber(1_500_000n)).toBe(1.5)
    expect(usdNumber(6n)).toBe(0.000006)
  })

  it('turns per-million prices into USD per token, as OpenRouter lists them', () => {
    expect(usdPerToken(150_000n)).toBe('0.00000015')
    expect(usdPerToken(1n)).toBe('0.000000000001')
    expect(usdPerToken(0n)).toBe('0')
  })
})
