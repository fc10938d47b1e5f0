import { createHash, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { AuthenticationError } from '@agora/protocol'

export interface BearerAuthOptions {
  /** The accepted keys; only their SHA-256 digests are kept in memory. */
  keys: string[]
}

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * Requires `Authorization: Bearer <key>` with one of the configured keys. Keys are
 * compared as SHA-256 digests in constant time.
 */
export function bearerAuth({ keys }: BearerAuthOptions): MiddlewareHandler {
  const accepted = keys.map(digest)
  return async (c, next) => {
    const header = c.req.header('authorization')
    if (!header) throw new AuthenticationError("You didn't provide an API key. Pass it as `Authorization: Bearer <key>`.", 'missing_api_key')
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!match) throw new AuthenticationError('Malformed Authorization header. Expected `Bearer <key>`.')
    const presented = digest(match[1]!)
    let ok = false
    for (const key of accepted) ok = timingSafeEqual(key, presented) || ok
    if (!ok) throw new AuthenticationError()
    await next()
  }
}
