import type { MiddlewareHandler } from 'hono'
import { AuthenticationError } from '@agora/protocol'
import type { BillingGateway } from '../../../billing/gateway.ts'
import type { ApiKey } from '../../../db/schema/index.ts'

declare module 'hono' {
  interface ContextVariableMap {
    /** The API key the request authenticated with. */
    apiKey: ApiKey
  }
}

/** Reads the secret of `Authorization: Bearer <secret>`, or throws a 401 that says what is wrong. */
export function bearerSecret(header: string | undefined): string {
  if (!header) throw new AuthenticationError("You didn't provide an API key. Pass it as `Authorization: Bearer <key>`.", 'missing_api_key')
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match) throw new AuthenticationError('Malformed Authorization header. Expected `Bearer <key>`.')
  return match[1]!
}

/**
 * Requires `Authorization: Bearer <key>` with an active API key of the ledger, and makes
 * it available as `c.var.apiKey`. Lookups are cached briefly by the billing gateway, so a
 * revoked key stops working within seconds.
 */
export function apiKeyAuth({ billing }: { billing: BillingGateway }): MiddlewareHandler {
  return async (c, next) => {
    c.set('apiKey', await billing.authenticate(bearerSecret(c.req.header('authorization'))))
    await next()
  }
}
