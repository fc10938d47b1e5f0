import { Hono } from 'hono'
import { MarketError, RouteNotFoundError, toMarketError } from '@agora/protocol'
import type { ChainConfig } from '../chain/config.ts'
import type { Database } from '../db/index.ts'
import { accountScope } from './middleware/account-scope/index.ts'
import { apiKeyAuth } from './middleware/auth/index.ts'
import { managementAuth } from './middleware/management-auth/index.ts'
import { accountRoutes } from './routes/v1/account.ts'
import { inferenceRoutes } from './routes/v1/inference.ts'
import { modelRoutes } from './routes/v1/models.ts'
import { settlementRoutes } from './routes/v1/settlements.ts'
import { signInRoutes } from './routes/api/auth.ts'
import { chainRoutes } from './routes/api/chain.ts'
import { managementRoutes } from './routes/api/management.ts'
import { nodeRoutes } from './routes/api/nodes.ts'
import { settingsRoutes } from './routes/api/settings.ts'
import { consoleRoutes } from './routes/console.ts'
import { openApiDocument } from './openapi.ts'
import type { RelayContext } from './relay.ts'

export interface AppParameters extends RelayContext {
  db: Database
  /** Token of the management API; only wallet sessions get in when undefined. */
  adminToken: string | undefined
  /** Sign-In with Ethereum: the console's origins (empty: each request's own) and chain id. */
  signIn: { origins: string[]; chainId: number; sessionTtlMs: number }
  /** The console's build directory, served at `/console`. */
  consoleDir: string
  /** The escrow the console's wallet deposits to, withdraws from and claims from; none when off chain. */
  chain: Pick<ChainConfig, 'chainId' | 'escrow' | 'token' | 'confirmations'> | undefined
}

/**
 * The router's HTTP app: the OpenAI-compatible `/v1` API, wallet sign-in under `/api/auth`,
 * the management API under `/api` (admin token or console session), the console at
 * `/console`, `/health` and `/openapi.json`. Every error leaves through `onError` in
 * OpenAI's shape.
 */
export function createApp(params: AppParameters): Hono {
  const { peer, routing, log, db } = params
  const document = openApiDocument()
  const app = new Hono()
  app.get('/health', (c) =>
    c.json({ status: 'ok' as const, peerId: peer.peerId.toString(), peers: peer.getConnections().length, offers: routing.registry.offers().length }),
  )
  app.get('/openapi.json', (c) => c.json(document))
  app.use('/v1/*', apiKeyAuth({ billing: params.billing }))
  app.route('/v1', inferenceRoutes(params))
  app.route('/v1', modelRoutes(params))
  app.route('/v1', accountRoutes(params))
  app.route('/v1', settlementRoutes(params))
  // Signing in needs no credentials: these routes answer before the guard below runs.
  app.route('/api/auth', signInRoutes({ db, ...params.signIn }))
  app.use('/api/*', managementAuth({ db, adminToken: params.adminToken }))
  app.use('/api/accounts/:address/*', accountScope({ db }))
  app.route('/api', managementRoutes(params))
  app.route('/api', settingsRoutes(params))
  app.route('/api', nodeRoutes(params))
  app.route('/api', modelRoutes(params))
  app.route('/api', chainRoutes(params))
  app.route('/api/accounts/:address', settlementRoutes({ db, accountOf: (c) => c.var.account.id }))
  app.route('/', consoleRoutes({ dir: params.consoleDir }))
  app.notFound((c) => c.json(new RouteNotFoundError(c.req.method, c.req.path).toBody(), 404))
  app.onError((error, c) => {
    const market = toMarketError(error)
    // Our own errors are expected outcomes (a provider failed, a deadline passed); anything else is a bug.
    if (!(error instanceof MarketError)) log.error({ err: error, path: c.req.path }, 'unhandled error')
    else if (market.status >= 500) log.warn({ status: market.status, code: market.code, path: c.req.path }, market.message)
    return c.json(market.toBody(), market.status as 400, market.headers)
  })
  return app
}
