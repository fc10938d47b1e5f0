import { createHash, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import { AuthenticationError, PermissionError } from '@agora/protocol'
import { hashSessionId, SESSION_COOKIE } from '../../../auth/sessions.ts'
import type { Database } from '../../../db/index.ts'
import { findSession, type ActiveSession } from '../../../db/queries/sessions.ts'
import { bearerSecret } from '../auth/index.ts'

/** Who is calling the management API: the operator (admin token, every account) or a signed-in wallet (its own account). */
export type ManagementPrincipal = { kind: 'admin' } | { kind: 'session'; session: ActiveSession }

declare module 'hono' {
  interface ContextVariableMap {
    /** The caller of the management API. */
    principal: ManagementPrincipal
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest()

export interface ManagementAuthParameters {
  db: Database
  /** The admin token from config; without one, bearer tokens are refused and only sessions work. */
  adminToken: string | undefined
}

/**
 * Authenticates a management API call by the admin token (`Authorization: Bearer <token>`,
 * compared in constant time) or by a console session (the `agora_session` cookie of a
 * wallet sign-in), and sets `c.var.principal`. A request with an Authorization header is
 * judged by it alone, so a wrong token never falls back to a cookie.
 * @example
 * app.use('/api/accounts/*', managementAuth({ db, adminToken: config.adminToken }))
 */
export function managementAuth({ db, adminToken }: ManagementAuthParameters): MiddlewareHandler {
  const expected = adminToken ? digest(adminToken) : undefined
  return async (c, next) => {
    const header = c.req.header('authorization')
    if (header !== undefined) {
      if (!expected) throw new PermissionError('Admin access to the management API is disabled: set ROUTER_ADMIN_TOKEN, or sign in with a wallet')
      if (!timingSafeEqual(digest(bearerSecret(header)), expected)) throw new AuthenticationError('Invalid admin token.', 'invalid_admin_token')
      c.set('principal', { kind: 'admin' })
      return next()
    }
    const cookie = getCookie(c, SESSION_COOKIE)
    if (!cookie) throw new AuthenticationError('Sign in with your wallet, or pass the admin token as `Authorization: Bearer <token>`.', 'missing_credentials')
    const session = await findSession(db, { idHash: hashSessionId(cookie) })
    if (!session) throw new AuthenticationError('Your session has expired or was ended. Sign in again.', 'invalid_session')
    c.set('principal', { kind: 'session', session })
    return next()
  }
}

/**
 * Lets only the operator through: operations that create accounts or grant credits are
 * never open to a wallet session. Use after `managementAuth`.
 * @example
 * routes.post('/accounts', adminOnly(), handler)
 */
export function adminOnly(): MiddlewareHandler {
  return async (c, next) => {
    if (c.var.principal.kind !== 'admin') throw new PermissionError('Only the operator (admin token) may do this')
    return next()
  }
}
