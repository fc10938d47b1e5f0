import { adjust } from './billing/ledger.ts'
import { ensureAccount } from './db/queries/accounts.ts'
import { createKey } from './db/queries/keys.ts'
import type { Router } from './router.ts'

/** The wallet address of the local marketplace's dev account: not a real wallet. */
export const DEV_ACCOUNT_ADDRESS = '0x000000000000000000000000000000000000de0a'

export interface DevAccountParameters {
  /** Credits granted once (idempotent by ref), in micro-USD. */
  credits: bigint
  /** A key from an earlier start to keep using, if it still works. */
  reuseKey?: string
}

/**
 * The local marketplace's dev account: created on first start with `credits`, then kept,
 * with a key to use. A key from an earlier start is reused while it is valid, so a
 * restarted `npm start` prints the same key and the same balance goes on.
 * @example
 * const { secret } = await devAccount(router, { credits: 100_000_000n })
 */
export async function devAccount(router: Router, { credits, reuseKey }: DevAccountParameters): Promise<{ account: { id: string; address: string }; secret: string }> {
  const { db } = router.database
  const account = await ensureAccount(db, DEV_ACCOUNT_ADDRESS)
  if (credits > 0n) await adjust(db, { accountId: account.id, amount: credits, note: 'local dev credits', ref: `dev-grant:${account.id}` })
  if (reuseKey) {
    const key = await router.billing.authenticate(reuseKey).catch(() => undefined)
    if (key?.accountId === account.id) return { account, secret: reuseKey }
  }
  const { secret } = await createKey(db, { accountId: account.id, name: 'local dev' })
  return { account, secret }
}
