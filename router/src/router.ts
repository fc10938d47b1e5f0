import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { pino, type Logger } from 'pino'
import { Redis } from 'ioredis'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { createPeer, type MarketPeer } from '@agora/protocol'
import type { RouterConfig } from './config.ts'
import { BillingGateway } from './billing/gateway.ts'
import { startEscrowLink, type EscrowLink } from './chain/index.ts'
import { KeyRateLimiter } from './billing/rate-limit.ts'
import { migrate, openDatabase, type OpenedDatabase } from './db/index.ts'
import { createApp } from './http/app.ts'
import { OfferRegistry } from './routing/registry.ts'
import { Measurements } from './routing/measurements.ts'
import { Cooldown } from './routing/cooldown.ts'
import { SessionAffinity } from './routing/sessions.ts'
import type { RoutingContext } from './routing/plan.ts'
import { receiveOffers, type OfferIntake } from './p2p/offers.ts'
import { ReceiptVerifier } from './p2p/receipts.ts'
import { AccountSettingsCache } from './settings/account-settings.ts'

/** How often the router pings the providers it has offers from. */
const PING_INTERVAL_MS = 10_000

/** A running router. */
export interface Router {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** Multiaddrs providers dial, each ending in `/p2p/<peer id>`. */
  readonly multiaddrs: string[]
  readonly peer: MarketPeer
  readonly registry: OfferRegistry
  readonly routing: RoutingContext
  readonly offers: OfferIntake
  /** Verdicts on providers' usage receipts. */
  readonly receipts: ReceiptVerifier
  readonly database: OpenedDatabase
  readonly billing: BillingGateway
  /** The escrow watcher and settler, when a chain is configured. */
  readonly chain: EscrowLink | undefined
  stop(): Promise<void>
}

export interface StartRouterOptions {
  log?: Logger
  /** Use this database instead of opening one from config (tests sharing one PGlite). */
  database?: OpenedDatabase
}

/**
 * Starts a router: its ledger (migrated), its libp2p peer (listening for providers and
 * their offers), routing state, the hold reaper and the HTTP API.
 * @example
 * const router = await startRouter(RouterConfig.parse({ port: 0, adminToken: '…' }))
 */
export async function startRouter(config: RouterConfig, options: StartRouterOptions = {}): Promise<Router> {
  const log = options.log ?? pino({ name: 'router', level: config.logLevel })
  const database = options.database ?? (await openDatabase({ ...(config.databaseUrl ? { url: config.databaseUrl } : {}), ...(config.dataDir ? { dataDir: config.dataDir } : {}) }))
  await migrate(database.db)
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : undefined
  redis?.on('error', (error: Error) => log.warn({ err: error.message }, 'redis unavailable: rate limits fall back to this process'))
  const billing = new BillingGateway({ db: database.db, rateLimiter: new KeyRateLimiter({ redis }), log, charging: config.billing === 'on' })
  const chain = config.chain
    ? await startEscrowLink({ config: config.chain, db: database.db, log: log.child({ name: 'chain' }), holder: randomUUID() }).catch(async (error: unknown) => {
        redis?.disconnect()
        if (!options.database) await database.close()
        throw error
      })
    : undefined

  const privateKey = config.peerPrivateKey ? privateKeyFromProtobuf(Buffer.from(config.peerPrivateKey, 'base64')) : undefined
  const peer = await createPeer({ ...(privateKey ? { privateKey } : {}), listen: config.p2pListen, announce: config.p2pAnnounce })
  const registry = new OfferRegistry()
  const now = Date.now
  const routing: RoutingContext = {
    registry,
    measurements: new Measurements(config.routing, now),
    cooldown: new Cooldown(config.routing.cooldown, now),
    sessions: new SessionAffinity(config.routing.sessions, now),
    config: config.routing,
    rng: Math.random,
    now,
    reachable: (peerId) => peer.getConnections(peerIdFromString(peerId)).length > 0,
  }
  const offers = receiveOffers({ peer, registry, log })
  const receipts = new ReceiptVerifier({ log })
  const app = createApp({
    peer,
    routing,
    billing,
    receipts,
    accountSettings: new AccountSettingsCache({ db: database.db }),
    db: database.db,
    log,
    adminToken: config.adminToken,
    signIn: { origins: config.signInOrigins, chainId: config.signInChainId, sessionTtlMs: config.sessionTtlMs },
    consoleDir: config.consoleDir,
    chain: config.chain,
    requestTimeoutMs: config.requestTimeoutMs,
    holdGraceMs: config.holdGraceMs,
  })
  const server = await listen(app.fetch, config.host, config.port)
  const { port } = server.address() as AddressInfo
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`
  const multiaddrs = peer.getMultiaddrs().map((ma) => ma.toString())

  const reaper = setInterval(() => void billing.reap().catch((error: unknown) => log.error({ err: error }, 'hold reaper failed')), config.reapIntervalMs)
  const pinger = setInterval(() => {
    routing.measurements.prune()
    for (const offer of registry.offers(now(), routing.reachable)) {
      peer.services.ping
        .ping(peerIdFromString(offer.peerId), { signal: AbortSignal.timeout(5_000) })
        .then((ms) => routing.measurements.recordRtt(offer.peerId, ms))
        .catch(() => {})
    }
  }, PING_INTERVAL_MS)
  log.info({ url, peerId: peer.peerId.toString(), multiaddrs, database: database.kind, billing: config.billing, sharedRateLimits: Boolean(redis) }, 'router started')

  return {
    url,
    multiaddrs,
    peer,
    registry,
    routing,
    offers,
    receipts,
    database,
    billing,
    chain,
    async stop() {
      clearInterval(reaper)
      clearInterval(pinger)
      offers.stop()
      server.closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await peer.stop()
      await chain?.stop()
      redis?.disconnect()
      if (!options.database) await database.close()
    },
  }
}

function listen(fetch: (request: Request) => Response | Promise<Response>, hostname: string, port: number): Promise<ServerType & { closeAllConnections?: () => void }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server as ServerType & { closeAllConnections?: () => void }))
    server.once('error', reject)
  })
}
