import { createHash, randomBytes } from 'node:crypto'

/** The cookie that carries a console session's id. */
export const SESSION_COOKIE = 'agora_session'

/** How long a sign-in nonce may wait for its signature. */
export const NONCE_TTL_MS = 10 * 60_000

/**
 * A fresh session id: 256 random bits, sent to the browser in the cookie and never stored.
 * @example
 * const id = newSessionId() // 'Qm3x…' (43 characters)
 */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * The stored form of a session id: hex SHA-256 (the id is random, so a fast hash suffices).
 * @example
 * const session = await findSession(db, { idHash: hashSessionId(cookie) })
 */
export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('hex')
}
