import { adjust } from '../billing/ledger.ts'
import type { Database } from '../db/index.ts'
import { deleteWithdrawalRequest, getWithdrawalRequest, lockBalance, putWithdrawalRequest } from '../db/queries/chain.ts'
import { eventRef, type EscrowEvent } from './events.ts'

// A user's exit through the escrow, mirrored in the ledger with `adjustment` rows (so that
// `balance = deposited − used + adjusted − held` still holds), each idempotent by its ref:
//
//   WithdrawalRequested(w)  give back an earlier request's reservation, then reserve
//                           r = min(w, balance): the router stops spending it;
//   WithdrawalCancelled     give r back;
//   Withdrawal(p)           the escrow paid p, so the ledger drops by p in all: give back
//                           r − p when p < r, take p − r more when p > r (at most the balance).
//
// Every function runs inside the watcher's transaction, the account's row locked first.

type Event<Name extends EscrowEvent['eventName']> = Extract<EscrowEvent, { eventName: Name }>

/** What a withdrawal event did to the ledger, for the watcher's log. */
export interface WithdrawalEffect {
  /** Signed micro-USD added to the spendable balance. */
  change: bigint
  /** Micro-USD the escrow paid out that the ledger no longer held (usage that can no longer be settled). */
  uncovered: bigint
}

/**
 * The escrow took note of a withdrawal request: reserve what it asks for out of the
 * spendable balance, replacing an earlier request's reservation.
 * @example
 * await applyWithdrawalRequested(tx, account.id, event)
 */
export async function applyWithdrawalRequested(tx: Database, accountId: string, event: Event<'WithdrawalRequested'>): Promise<WithdrawalEffect> {
  const ref = eventRef(event)
  const earlier = await getWithdrawalRequest(tx, accountId)
  let balance = await lockBalance(tx, accountId)
  if (earlier && earlier.reserved > 0n) {
    await adjust(tx, { accountId, amount: earlier.reserved, note: `withdrawal request ${earlier.ref} replaced by ${ref}: reservation back`, ref: `${ref}:replaces` })
    balance += earlier.reserved
  }
  const reserved = event.args.amount < balance ? event.args.amount : balance
  if (reserved > 0n) await adjust(tx, { accountId, amount: -reserved, note: `withdrawal request ${ref}: reserved until it is withdrawn or cancelled`, ref })
  await putWithdrawalRequest(tx, { accountId, amount: event.args.amount, reserved, maturesAt: new Date(Number(event.args.maturesAt) * 1000), ref })
  return { change: (earlier?.reserved ?? 0n) - reserved, uncovered: 0n }
}

/**
 * The user cancelled its request: its reservation is spendable again.
 * @example
 * await applyWithdrawalCancelled(tx, account.id, event)
 */
export async function applyWithdrawalCancelled(tx: Database, accountId: string, event: Event<'WithdrawalCancelled'>): Promise<WithdrawalEffect> {
  await lockBalance(tx, accountId)
  const request = await getWithdrawalRequest(tx, accountId)
  if (!request) return { change: 0n, uncovered: 0n }
  const ref = eventRef(event)
  if (request.reserved > 0n) await adjust(tx, { accountId, amount: request.reserved, note: `withdrawal request ${request.ref} cancelled in ${ref}`, ref })
  await deleteWithdrawalRequest(tx, accountId)
  return { change: request.reserved, uncovered: 0n }
}

/**
 * The escrow paid the user `amount`: the ledger's balance drops by exactly that, counting
 * what was reserved. Were the ledger to hold less (usage not settled before the thaw
 * ended), it drops to zero and the rest is reported as `uncovered`.
 * @example
 * const { uncovered } = await applyWithdrawal(tx, account.id, event)
 */
export async function applyWithdrawal(tx: Database, accountId: string, event: Event<'Withdrawal'>): Promise<WithdrawalEffect> {
  const balance = await lockBalance(tx, accountId)
  const request = await getWithdrawalRequest(tx, accountId)
  const reserved = request?.reserved ?? 0n
  const ref = eventRef(event)
  const paid = event.args.amount
  let change = reserved - paid
  let uncovered = 0n
  if (change < 0n && -change > balance) {
    uncovered = -change - balance
    change = -balance
  }
  if (change !== 0n) await adjust(tx, { accountId, amount: change, note: `withdrawal ${ref} paid ${paid} of ${reserved} reserved`, ref })
  if (request) await deleteWithdrawalRequest(tx, accountId)
  return { change, uncovered }
}
