import { Hono, type Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { generateSiweNonce } from 'viem/siwe'
import { z } from 'zod'
import { AuthenticationError } from '@agora/protocol'
import { hashSessionId, newSessionId, NONCE_TTL_MS, SESSION_COOKIE } from '../../../auth/sessions.ts'
import { SignInError, SIGN_IN_STATEMENT, verifySignIn } from '../../../auth/siwe.ts'
import type { Database } from '../../../db/index.ts'
import { ensureAccount } from '../../../db/queries/accounts.ts'
import { consumeNonce, createSession, deleteSession, findSession, storeNonce } from '../../../db/queries/sessions.ts'
import { readJsonBody } from '../../body.ts'

const VerifyBody = z.object({
  message: z.string().min(1).max(4096),
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/, 'must be a 0x-prefixed hex signature'),
})

export interface SignInRoutesParameters {
  db: Database
  /** Origins the console is served from; empty accepts the origin each request reached the router at. */
  origins: string[]
  chainId: number
  sessionTtlMs: number
}

/**
 * Sign-In with Ethereum for the console, under `/api/auth`: a single-use nonce, the signed
 * message's verification (which opens a session in an httpOnly, SameSite=Strict cookie and
 * creates the wallet's account on its first sign-in), the current session, and logout.
 */
export function signInRoutes({ db, origins, chainId, sessionTtlMs }: SignInRoutesParameters): Hono {
  const sessionView = (session: { accountId: string; address: string; expiresAt: Date }) => ({
    address: session.address,
    account_id: session.accountId,
    expires_at: session.expiresAt.toISOString(),
  })

  return new Hono()
    .post('/nonce', async (c) => {
      const nonce = generateSiweNonce()
      const expiresAt = new Date(Date.now() + NONCE_TTL_MS)
      await storeNonce(db, { nonce, expiresAt })
      return c.json({ nonce, expires_at: expiresAt.toISOString(), chain_id: chainId, statement: SIGN_IN_STATEMENT }, 201)
    })
    .post('/verify', async (c) => {
      const body = await readJsonBody(c, VerifyBody)
      const signIn = await verifySignIn({ message: body.message, signature: body.signature as `0x${string}`, origins: origins.length ? origins : [requestOrigin(c)], chainId })
      if (!(await consumeNonce(db, { nonce: signIn.nonce }))) throw new SignInError('The nonce is unknown, expired or already used: ask for a new one')
      const account = await ensureAccount(db, signIn.address)
      const ttlEnd = new Date(Date.now() + sessionTtlMs)
      const expiresAt = signIn.expirationTime && signIn.expirationTime < ttlEnd ? signIn.expirationTime : ttlEnd
      const id = newSessionId()
      await createSession(db, { idHash: hashSessionId(id), accountId: account.id, expiresAt })
      setCookie(c, SESSION_COOKIE, id, {
        path: '/api',
        httpOnly: true,
        sameSite: 'Strict',
        secure: requestOrigin(c).startsWith('https:'),
        expires: expiresAt,
      })
      return c.json(sessionView({ accountId: account.id, address: account.address, expiresAt }))
    })
    .get('/session', async (c) => {
      const cookie = getCookie(c, SESSION_COOKIE)
      const session = cookie ? await findSession(db, { idHash: hashSessionId(cookie) }) : undefined
      if (!session) throw new AuthenticationError('Not signed in.', 'invalid_session')
      return c.json(sessionView(session))
    })
    .post('/logout', async (c) => {
      const cookie = getCookie(c, SESSION_COOKIE)
      if (cookie) await deleteSession(db, { idHash: hashSessionId(cookie) })
      deleteCookie(c, SESSION_COOKIE, { path: '/api', httpOnly: true, sameSite: 'Strict', secure: requestOrigin(c).startsWith('https:') })
      return c.body(null, 204)
    })
}

/** The origin the client reached us at; behind a TLS-terminating proxy, `x-forwarded-proto` says https. */
function requestOrigin(c: Context): string {
  const url = new URL(c.req.url)
  if (c.req.header('x-forwarded-proto') === 'https') url.protocol = 'https:'
  return url.origin
}
