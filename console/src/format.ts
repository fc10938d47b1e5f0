import { formatUsd } from '@agora/protocol/money'

/**
 * Display helpers. Amounts arrive as micro-USD decimal strings and prices as USD-per-token
 * decimal strings; both are formatted exactly, never through floating point.
 */

/**
 * Micro-USD as dollars, at least cents, every micro-dollar kept.
 * @example
 * usd('1500000') // '$1.50'
 * usd('6') // '$0.000006'
 */
export function usd(microUsd: string | bigint): string {
  const text = formatUsd(BigInt(microUsd))
  const negative = text.startsWith('-')
  const [whole, fraction = ''] = (negative ? text.slice(1) : text).split('.')
  return `${negative ? '−' : ''}$${Number(whole).toLocaleString('en-US')}.${fraction.padEnd(2, '0')}`
}

/**
 * A USD-per-token price (the catalog's format) as USD per million tokens.
 * @example
 * perMillion('0.0000001') // '$0.10'
 */
export function perMillion(usdPerToken: string): string {
  return usd(decimalToScaled(usdPerToken, 12))
}

/**
 * A decimal as an integer of `10^-decimals` units, exactly; digits beyond are dropped.
 * @example
 * decimalToScaled('0.5', 6) // 500000n
 */
export function decimalToScaled(decimal: string, decimals: number): bigint {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(decimal.trim())
  if (!match || (!match[2] && !match[3])) throw new RangeError(`not a decimal: ${decimal}`)
  const [, sign, whole = '', fraction = ''] = match
  const units = BigInt(`${whole || '0'}${fraction.slice(0, decimals).padEnd(decimals, '0')}`)
  return sign ? -units : units
}

/**
 * Dollars a person typed (`1.5`, `$2`, `0.25`) as micro-USD, or undefined if it is not an amount.
 * @example
 * parseUsd('$1.50') // 1500000n
 */
export function parseUsd(text: string): bigint | undefined {
  const cleaned = text.trim().replace(/^\$/, '').replaceAll(',', '')
  if (!/^\d+(\.\d{0,6})?$/.test(cleaned)) return undefined
  return decimalToScaled(cleaned, 6)
}

/** Micro-USD as a number of dollars, for charts only. */
export function usdForChart(microUsd: string | bigint): number {
  return Number(formatUsd(BigInt(microUsd)))
}

/** A count with thousands separators. */
export function count(value: number): string {
  return value.toLocaleString('en-US')
}

/** An instant as `2026-11-25 12:30` in UTC, the router's time zone for usage. */
export function dateTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`
}

/** Milliseconds, or a dash when unmeasured. */
export function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${Math.round(value).toLocaleString('en-US')} ms`
}

/** A wallet address shortened for display: `0x1234…abcd`. */
export function shortAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`
}

/** The UTC date `YYYY-MM-DD` of an instant, `days` later (negative: earlier). */
export function utcDay(date: Date, days = 0): string {
  return new Date(date.getTime() + days * 86_400_000).toISOString().slice(0, 10)
}
