import { createHash, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { AuthenticationError, PermissionError } from '@agora/protocol'
import { bearerSecret } from '../auth/index.ts'

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * Guards the management API with the admin token from config (`Authorization: Bearer
 * <token>`), compared in constant time. Without a configured token the API is closed.
 */
export function adminAuth({ token }: { token: string | undefined }): MiddlewareHandler {
  const expected = token ? digest(token) : undefined
  return async (c, next) => {
    if (!expected) throw new PermissionError('The management API is disabled: set ROUTER_ADMIN_TOKEN')
    const header = c.req.header('authorization')
    if (!header) throw new AuthenticationError("You didn't provide the admin token. Pass it as `Authorization: Bearer <token>`.", 'missing_admin_token')
    if (!timingSafeEqual(digest(bearerSecret(header)), expected)) throw new AuthenticationError('Invalid admin token.', 'invalid_admin_token')
    await next()
  }
}
