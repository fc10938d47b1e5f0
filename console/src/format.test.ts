import { describe, it, expect } from 'vitest'
import { decimalToScaled, parseUsd, perMillion, shortAddress, usd, utcDay } from './format.ts'

describe('console formatting', () => {
  it('shows micro-USD as dollars, every micro-dollar kept, at least cents', () => {
    expect(usd('0')).toBe('$0.00')
    expect(usd('6')).toBe('$0.000006')
    expect(usd('1500000')).toBe('$1.50')
    expect(usd(123_456_789_000n)).toBe('$123,456.789')
    expect(usd('-250000')).toBe('−$0.25')
  })

  it('shows a per-token price per million tokens, exactly', () => {
    expect(perMillion('0.0000001')).toBe('$0.10')
    expect(perMillion('0.00000002')).toBe('$0.02')
    expect(perMillion('0.000000000001')).toBe('$0.000001')
    expect(perMillion('0')).toBe('$0.00')
  })

  it('reads the dollars people type, and refuses what is not an amount', () => {
    expect(parseUsd('12.50')).toBe(12_500_000n)
    expect(parseUsd('$1,000')).toBe(1_000_000_000n)
    expect(parseUsd('0.000001')).toBe(1n)
    for (const text of ['', 'abc', '-1', '1.0000001', '1e3']) expect(parseUsd(text), text).toBeUndefined()
    expect(decimalToScaled('0.5', 6)).toBe(500_000n)
    expect(() => decimalToScaled('x', 6)).toThrow(RangeError)
  })

  it('shortens addresses and counts UTC days', () => {
    expect(shortAddress('0x52908400098527886e0f7030069857d2e4169ee7')).toBe('0x5290…9ee7')
    expect(utcDay(new Date('2026-11-25T23:59:59Z'))).toBe('2026-11-25')
    expect(utcDay(new Date('2026-11-25T23:59:59Z'), 7)).toBe('2026-12-02')
  })
})
