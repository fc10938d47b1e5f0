import { getAddress, isAddress, isHash, type Address, type Hash } from 'viem'
import { z } from 'zod'
import { depositEvent, withdrawalCancelledEvent, withdrawalEvent, withdrawalRequestedEvent } from '@agora/contracts'

/** The escrow events the watcher applies to the ledger, in the form `eth_getLogs` takes them. */
export const WATCHED_EVENTS = [depositEvent, withdrawalRequestedEvent, withdrawalCancelledEvent, withdrawalEvent] as const

const EventAddress = z
  .string()
  .refine((value) => isAddress(value), 'must be an address')
  .transform((value): Address => getAddress(value))
const Amount = z.bigint().nonnegative()

/** Where a log sits on chain; `<transactionHash>:<logIndex>` names it uniquely. */
const Position = {
  transactionHash: z.string().refine((value): value is Hash => isHash(value), 'must be a transaction hash'),
  logIndex: z.number().int().nonnegative(),
  blockNumber: z.bigint().nonnegative(),
}

/**
 * An escrow event as the watcher reads it: one of {@link WATCHED_EVENTS}, decoded by viem
 * and checked here, the one place a chain log becomes trusted data.
 */
export const EscrowEvent = z.discriminatedUnion('eventName', [
  z.object({ eventName: z.literal('Deposit'), args: z.object({ account: EventAddress, payer: EventAddress, amount: Amount.positive() }), ...Position }),
  z.object({ eventName: z.literal('WithdrawalRequested'), args: z.object({ account: EventAddress, amount: Amount.positive(), maturesAt: Amount }), ...Position }),
  z.object({ eventName: z.literal('WithdrawalCancelled'), args: z.object({ account: EventAddress, amount: Amount }), ...Position }),
  z.object({ eventName: z.literal('Withdrawal'), args: z.object({ account: EventAddress, amount: Amount }), ...Position }),
])
export type EscrowEvent = z.infer<typeof EscrowEvent>

/**
 * The idempotency reference of an event in the credit journal: `<tx hash>:<log index>`.
 * @example
 * await deposit(tx, { accountId, amount, ref: eventRef(event) })
 */
export function eventRef(event: Pick<EscrowEvent, 'transactionHash' | 'logIndex'>): string {
  return `${event.transactionHash.toLowerCase()}:${event.logIndex}`
}
