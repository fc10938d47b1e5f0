/**
 * Money, in one place. Credits and prices are bigint micro-USD (1 USD = 1_000_000);
 * prices are micro-USD per million tokens.
 *
 * Rounding rule: the cost of one request is computed once, over the sum of its parts,
 * and rounded up to the next micro-USD. Parts are never rounded separately, so a
 * fraction is never charged up twice. The operator's fee on a settlement is rounded down,
 * once per provider payout, so a fraction of a micro-USD always stays with the provider.
 */

export const MICRO_USD_PER_USD = 1_000_000n
export const TOKENS_PER_PRICE_UNIT = 1_000_000n
/** Basis points in a whole: a fee of 10_000 bps is 100 %. */
export const BPS_PER_WHOLE = 10_000n

/** Per-model price: micro-USD per million input and output tokens. */
export interface Pricing {
  inputPerMTok: bigint
  outputPerMTok: bigint
}

export interface TokenCounts {
  promptTokens: number
  completionTokens: number
}

/**
 * Cost of a request in micro-USD, rounded up once.
 * @example
 * requestCost({ promptTokens: 1000, completionTokens: 500 }, { inputPerMTok: 150_000n, outputPerMTok: 600_000n }) // 450n
 */
export function requestCost({ promptTokens, completionTokens }: TokenCounts, { inputPerMTok, outputPerMTok }: Pricing): bigint {
  const scaled = BigInt(promptTokens) * inputPerMTok + BigInt(completionTokens) * outputPerMTok
  return ceilDiv(scaled, TOKENS_PER_PRICE_UNIT)
}

/**
 * The operator's fee on `amount` micro-USD at `feeBps` basis points, rounded down: a
 * settlement credits the provider `amount − fee` and the treasury `fee`, which add up to
 * `amount` exactly.
 * @example
 * operatorFee(1_000_001n, 250) // 25_000n (2.5 % of 1.000001 USD, the 0.025 micro-USD dropped)
 */
export function operatorFee(amount: bigint, feeBps: number): bigint {
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > Number(BPS_PER_WHOLE)) throw new RangeError(`fee must be 0 to ${BPS_PER_WHOLE} basis points, got ${feeBps}`)
  if (amount < 0n) throw new RangeError(`amount must not be negative, got ${amount}`)
  return (amount * BigInt(feeBps)) / BPS_PER_WHOLE
}

/**
 * A micro-USD amount as an exact decimal USD string, no floats involved.
 * @example
 * formatUsd(1_500_000n) // '1.5'
 */
export function formatUsd(microUsd: bigint): string {
  return formatScaled(microUsd, 6)
}

/**
 * A micro-USD amount as a JSON number of USD, the form OpenRouter uses for `usage.cost` and
 * credits. For display only: it goes through the exact decimal string, never float arithmetic.
 * @example
 * usdNumber(1_500_000n) // 1.5
 */
export function usdNumber(microUsd: bigint): number {
  return Number(formatUsd(microUsd))
}

/**
 * A price per million tokens in micro-USD as USD per single token (OpenRouter's `pricing` format).
 * @example
 * usdPerToken(150_000n) // '0.00000015'
 */
export function usdPerToken(perMTokMicroUsd: bigint): string {
  return formatScaled(perMTokMicroUsd, 12)
}

function formatScaled(value: bigint, decimals: number): string {
  const negative = value < 0n
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, '0')
  const whole = digits.slice(0, -decimals)
  const fraction = digits.slice(-decimals).replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a + b - 1n) / b
}
