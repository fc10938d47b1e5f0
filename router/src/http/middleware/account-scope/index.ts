import type { MiddlewareHandler } from 'hono'
import { MarketError, PermissionError } from '@agora/protocol'
import type { Database } from '../../../db/index.ts'
import { findAccountByAddress } from '../../../db/queries/accounts.ts'
import type { Account } from '../../../db/schema/index.ts'

declare module 'hono' {
  interface ContextVariableMap {
    /** The account named by the `:address` of a management path, which the caller may use. */
    account: Account
  }
}

/** 404 for an account, or something of an account, that does not exist. */
export class NotFoundError extends MarketError {
  override name = 'NotFoundError'
  constructor(what: string) {
    super(404, 'invalid_request_error', 'not_found', `${what} not found`)
  }
}

/**
 * Resolves the `:address` of a management path to `c.var.account`, for the operator any
 * account, for a wallet session only its own: another address is a 403 whether or not it
 * exists, so a session learns nothing about other accounts. Use after `managementAuth`.
 * @example
 * routes.use('/accounts/:address/*', accountScope({ db }))
 */
export function accountScope({ db }: { db: Database }): MiddlewareHandler {
  return async (c, next) => {
    const address = c.req.param('address')
    if (!address) throw new NotFoundError('Account')
    const { principal } = c.var
    if (principal.kind === 'session' && principal.session.address !== address.toLowerCase()) {
      throw new PermissionError('A session can only use its own account')
    }
    const account = await findAccountByAddress(db, address)
    if (!account) throw new NotFoundError(`Account ${address}`)
    c.set('account', account)
    return next()
  }
}
