/** The most generations one settlement batch takes; their number does not change the gas of `settle`, only the tree. */
export const MAX_BATCH_GENERATIONS = 5_000

/**
 * The most debits + credits one `settle` call carries. Gas grows with them (about 8k a
 * debit, 26k a credit to a new payout: 100 of each take 3.5M, see docs/chain.md), so this
 * keeps a batch far below a block's gas limit.
 */
export const MAX_BATCH_ENTRIES = 200

/** How long one router holds the settlement lease without renewing it. */
export const SETTLEMENT_LEASE_TTL_MS = 60_000

/** The name of the settlement lease. */
export const SETTLEMENT_LEASE = 'settlement'

/** Gas limit of a `settle` transaction over its estimate, in percent. */
export const SETTLE_GAS_MARGIN_PERCENT = 20n

/** `settle()` gives up after this many batches the chain refused in a row. */
export const MAX_DISCARDS_IN_A_ROW = 3
